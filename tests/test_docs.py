"""The documentation site builds without a warning, and every public name has a page.

The build runs the pages, the API reference and the gallery's pages without running the
examples (``SKLEARN_SENTEMB_DOCS_QUICK=1``); ``make -C docs html`` runs them too.
"""

import inspect
import os
import pkgutil
import re
import subprocess
import sys
from enum import Enum
from html.parser import HTMLParser
from importlib import import_module

import pytest

import sklearn_sentemb

from conftest import REPO

DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The HTML site, built with warnings as errors."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "SKLEARN_SENTEMB_DOCS_QUICK": "1", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    command += ["-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return out / "html"


def public_names():
    """(module name, name, object) of every name in ``__all__`` of the package and its
    public modules."""
    modules = [sklearn_sentemb]
    for info in pkgutil.iter_modules(sklearn_sentemb.__path__):
        if not info.name.startswith("_"):
            module = import_module(f"sklearn_sentemb.{info.name}")
            if hasattr(module, "__all__"):
                modules.append(module)
    return [(m.__name__, n, getattr(m, n)) for m in modules for n in m.__all__]


class _Text(HTMLParser):
    """The text of a page's main content, and the names in bold (numpydoc's parameters)."""

    def __init__(self):
        super().__init__()
        self.text, self.strong, self._in_strong = [], [], False

    def handle_starttag(self, tag, attrs):
        self._in_strong |= tag == "strong"

    def handle_endtag(self, tag):
        self._in_strong &= tag != "strong"

    def handle_data(self, data):
        self.text.append(data)
        if self._in_strong:
            self.strong.append(data.strip())


def _read(path):
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_package_and_its_public_modules_are_documented():
    names = {module for module, _, _ in public_names()}
    assert {"sklearn_sentemb", "sklearn_sentemb.metrics", "sklearn_sentemb.search"} <= names
    assert "sklearn_sentemb.datasets" in names and "sklearn_sentemb.evaluation" in names


def test_every_public_name_has_a_page_with_its_parameters(site):
    missing, undocumented = [], {}
    for module, name, obj in public_names():
        page = site / "generated" / f"{module}.{name}.html"
        if not page.is_file():
            missing.append(f"{module}.{name}")
            continue
        content = _read(page)
        assert name in "".join(content.text), page
        if (inspect.isclass(obj) and not issubclass(obj, Enum)) or inspect.isfunction(obj):
            params = [
                ("**" if p.kind is p.VAR_KEYWORD else "*" if p.kind is p.VAR_POSITIONAL else "")
                + p.name
                for p in inspect.signature(obj).parameters.values()
                if p.name != "self"
            ]
            described = {n.strip() for bold in content.strong for n in bold.split(",")}
            absent = [p for p in params if p not in described]
            if absent:
                undocumented[f"{module}.{name}"] = absent
    assert not missing, f"no API page for {missing}"
    assert not undocumented, f"parameters without a description: {undocumented}"


def test_api_reference_links_every_page(site):
    api = (site / "api.html").read_text(encoding="utf-8")
    for module, name, _ in public_names():
        assert f'href="generated/{module}.{name}.html"' in api, name


def test_guide_gallery_results_and_search_are_there(site):
    for page in ("index", "user_guide", "results", "changelog", "search", "auto_examples/index"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "searchindex.js").is_file()
    assert list((site / "_images").glob("results.png")), "the results figure is copied"
    examples = sorted(p.stem for p in (REPO / "examples").glob("plot_*.py"))
    assert len(examples) >= 6
    for example in examples:
        assert (site / "auto_examples" / f"{example}.html").is_file(), example
    guide = (site / "user_guide.html").read_text(encoding="utf-8")
    for page in ("data_flow", "searching", "caching", "evaluation", "command_line", "scale"):
        assert f'href="guide/{page}.html"' in guide, page
    for page in ("guide/backends", "guide/export", "from_search_to_deployment"):
        assert f'href="{page}.html"' in guide, page


def test_math_loads_mathjax_from_the_offline_copy_or_the_cdn(site):
    page = (site / "generated" / "sklearn_sentemb.TokenPooler.html").read_text(encoding="utf-8")
    assert "\\frac" in page or "\\sum" in page, "the TokenPooler page holds its formulas"
    sources = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page, flags=re.IGNORECASE)
    assert len(sources) == 1, sources
    src = sources[0].split("?")[0]
    if (DOCS / "_static" / "mathjax" / "tex-chtml.js").is_file():
        assert (site / "generated" / src).resolve().is_file(), src
        fonts = site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
        assert list(fonts.glob("MathJax_Main-Regular.woff")), "the fonts are copied beside it"
    else:
        assert src.startswith("https://"), src
