"""Sphinx configuration of the sklearn-sentemb site.

Build with ``make -C docs html`` (or ``sphinx-build -W --keep-going -b html docs
docs/_build/html``). ``SKLEARN_SENTEMB_DOCS_QUICK=1`` renders the example gallery without
running the examples (a quick check in CI); a release build runs every example.
"""

import os
import pkgutil
import sys
from importlib import import_module
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # the checkout, not another installed copy
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the examples run on the offline model

import sklearn_sentemb  # noqa: E402

project = "sklearn-sentemb"
author = "the sklearn-sentemb developers"
copyright = "the sklearn-sentemb developers, BSD-3-Clause"
release = version = sklearn_sentemb.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "**/README.md"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- cross-references: ours must all resolve; others' are plain text (no network at build) --
nitpicky = True
default_role = "literal"  # `x` is code, as in scikit-learn's docstrings
THIRD_PARTY = (
    "sklearn|scipy|numpy|pandas|torch|transformers|tokenizers|dask|dask_ml|distributed|joblib"
    "|matplotlib|tqdm|diskcache|pyarrow|sentence_transformers|huggingface_hub"
)
# Python's and other projects' names in docstrings are plain text: without intersphinx
# (the build needs no network) they have no target.
nitpick_ignore_regex = [(r"py:.*", rf"({THIRD_PARTY})(\..*)?")]
# Helpers of private modules that a See Also section names: they have no page.
nitpick_ignore = [("py:obj", "random_token_table")]

autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


# -- API reference: one page per name of ``__all__``, for the package and its modules ------
def public_modules():
    """The package and each public module (no leading underscore) that declares ``__all__``."""
    modules = [sklearn_sentemb]
    for info in pkgutil.iter_modules(sklearn_sentemb.__path__):
        if info.name.startswith("_"):
            continue
        module = import_module(f"sklearn_sentemb.{info.name}")
        if hasattr(module, "__all__"):
            modules.append(module)
    return modules


def _kind(obj):
    if isinstance(obj, type):
        return "class"
    return "function" if callable(obj) else "data"


def write_api_reference(path):
    """Write the API reference page: autosummary tables of every public name."""
    lines = [
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Every name in ``__all__`` of the package and of its public modules.",
        "",
    ]
    for module in public_modules():
        name = module.__name__
        lines += [f"``{name}``", "-" * (len(name) + 4), "", f".. automodule:: {name}"]
        lines += ["   :no-members:", "", f".. currentmodule:: {name}", ""]
        for kind in ("class", "function", "data"):
            names = sorted(
                (n for n in module.__all__ if _kind(getattr(module, n)) == kind), key=str.lower
            )
            if names:
                lines += [".. autosummary::", "   :toctree: generated/"]
                lines += [f"   :template: {kind}.rst", "", *(f"   {n}" for n in names), ""]
    text = "\n".join(lines)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_reference(DOCS / "api.rst")

# -- example gallery ----------------------------------------------------------------------
QUICK = os.environ.get("SKLEARN_SENTEMB_DOCS_QUICK", "") not in ("", "0")
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every example runs: all are named plot_*.py
    "plot_gallery": not QUICK,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 1,
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "write_computation_times": False,  # each example's page gives its own time
}

# -- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-sentemb {release}"
# MathJax from the offline copy that ``make -C docs mathjax`` puts in _static/mathjax (not
# committed), else from Sphinx's default CDN.
MATHJAX = DOCS / "_static" / "mathjax" / "tex-chtml.js"
html_static_path = ["_static"] if MATHJAX.is_file() else []
if MATHJAX.is_file():
    mathjax_path = "mathjax/tex-chtml.js"  # relative to the site's _static folder
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
