"""Grid search over extraction choices on an STS task: the engine of ``sentemb search``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, QuantileTransformer, StandardScaler

from ._featurize import TransformerFeaturizer
from ._fit_on import FitOn
from ._pooling import TokenPooler
from ._refine import AllButTheTop, CommonComponentRemoval, Whitening

__all__ = [
    "REFINERS",
    "NAMED_GRIDS",
    "SearchResult",
    "make_refiner",
    "make_search_pipeline",
    "load_grid",
    "plot_heatmap",
    "search_sts",
]

#: Refiners a grid file may name by string: name -> factory taking the refiner's keyword
#: parameters, which override the defaults set here (see :func:`make_refiner`).
REFINERS = {
    "none": lambda: "passthrough",
    "whitening": Whitening,
    "whitening-256": partial(Whitening, n_components=256),
    "zca": partial(Whitening, method="zca"),
    "abtt": partial(AllButTheTop, n_components=2),
    "ccr": partial(CommonComponentRemoval, n_components=1),
    "zscore": StandardScaler,
    "quantile": partial(QuantileTransformer, n_quantiles=256),
    "l2": Normalizer,
}

#: Named grids: parameter names of :func:`make_search_pipeline`'s steps; refiners by name.
NAMED_GRIDS = {
    "default": {
        "tokens__layers": [-1, [1, -1], [0, -1], [-2, -1]],
        "pool__method": ["mean", "max"],
        "refine": ["none", "whitening", "abtt", "zscore", "quantile"],
    },
    "quick": {
        "tokens__layers": [-1, [1, -1]],
        "pool__method": ["mean"],
        "refine": ["none", "whitening", "zscore"],
    },
}


def make_refiner(name: str, **params):
    """A new refiner from its name in ``REFINERS``; ``params`` override its defaults.

    Parameters
    ----------
    name : str
        A key of :data:`REFINERS`.
    **params
        Parameters of the refiner.

    Examples
    --------
    >>> from sklearn_sentemb.search import make_refiner
    >>> make_refiner("abtt"), make_refiner("abtt", n_components=3)
    (AllButTheTop(n_components=2), AllButTheTop(n_components=3))
    """
    if name not in REFINERS:
        raise ValueError(
            f"make_refiner: unknown refiner {name!r}; choose from {', '.join(REFINERS)}."
        )
    if name == "none" and params:
        raise ValueError(f"make_refiner: refiner 'none' takes no parameters, got {sorted(params)}.")
    return REFINERS[name](**params)


def make_search_pipeline(
    model, *, exclude=("special",), cache=None, batch_size=32, progress=False
) -> Pipeline:
    """The pipeline a search varies: ``fit_on``, ``tokens``, ``pool``, ``refine`` steps.

    Parameters
    ----------
    model : str, path or estimator
        A Hugging Face model id or folder, made into a :class:`~sklearn_sentemb.TransformerFeaturizer` with
        ``cache``, ``batch_size`` and ``progress``; or a token step already built (a static
        featurizer, a :class:`~sklearn_sentemb.TokenMixer`, ...), used as it is.
    exclude : tuple of str, default=("special",)
        Tokens the mean pooling leaves out (:class:`~sklearn_sentemb.TokenPooler`'s ``exclude``).
    cache, batch_size, progress
        Parameters of the :class:`~sklearn_sentemb.TransformerFeaturizer` built from a model name.
    """
    if hasattr(model, "get_params"):
        if cache is not None or batch_size != 32 or progress:
            raise ValueError(
                "make_search_pipeline: cache, batch_size and progress configure the featurizer "
                f"built from a model name; set them on the token step given ({model!r})."
            )
        tokens = model
    else:
        tokens = TransformerFeaturizer(model, cache=cache, batch_size=batch_size, progress=progress)
    return Pipeline(
        [
            ("fit_on", FitOn()),
            ("tokens", tokens),
            ("pool", TokenPooler("mean", exclude=exclude)),
            ("refine", "passthrough"),
        ]
    )


def load_grid(grid) -> dict:
    """A parameter grid from a name in ``NAMED_GRIDS``, a JSON file path or a dict.

    Refiners under the ``"refine"`` key may be given by name (see ``REFINERS``);
    lists of layers stay lists. Raises ``ValueError`` for unknown names.

    Parameters
    ----------
    grid : str, path-like or dict
        A key of :data:`NAMED_GRIDS`, a JSON file of parameter lists, or such a dict.
    """
    if isinstance(grid, dict):
        spec = grid
    elif grid in NAMED_GRIDS:
        spec = NAMED_GRIDS[grid]
    else:
        path = Path(grid)
        if not path.is_file():
            raise ValueError(
                f"grid {grid!r} is neither a named grid ({', '.join(NAMED_GRIDS)}) nor a JSON file."
            )
        try:
            spec = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"grid file {path} is not valid JSON: {exc}") from None
        if not isinstance(spec, dict):
            raise ValueError(f"grid file {path} must hold a JSON object of parameter lists.")
    out = {}
    for key, values in spec.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"grid entry {key!r} must be a non-empty list, got {values!r}.")
        if key == "refine":
            values = [_refiner(v) for v in values]
        out[key] = values
    return out


def _refiner(value):
    if not isinstance(value, str) or value == "passthrough":
        return value
    if value not in REFINERS:
        raise ValueError(f"unknown refiner {value!r}; choose from {', '.join(REFINERS)}.")
    return make_refiner(value)


def describe(value) -> str:
    """Short readable name of a grid value (refiners by their class name)."""
    if value == "passthrough":
        return "none"
    if hasattr(value, "get_params"):
        return type(value).__name__
    return str(value)


@dataclass
class SearchResult:
    """What :func:`search_sts` found.

    Parameters
    ----------
    search : sklearn.model_selection.GridSearchCV
        The fitted search.
    best_pipeline : sklearn.pipeline.Pipeline
        The best candidate, refitted on all of dev.
    test_score : float or None
        Its Spearman correlation on the test pairs, when given.
    table : list of dict
        One row per candidate, best first: ``rank``, each parameter by its readable name,
        ``dev_spearman`` and ``dev_std`` (mean and standard deviation over the folds).
    """

    search: GridSearchCV
    best_pipeline: Pipeline
    test_score: float | None
    table: list[dict]

    def to_csv(self, path) -> None:
        import csv

        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(self.table[0]))
            writer.writeheader()
            writer.writerows(self.table)


def search_sts(
    pipeline,
    grid,
    dev_pairs,
    dev_gold,
    *,
    test_pairs=None,
    test_gold=None,
    cv=3,
    n_jobs=None,
    random_state=0,
    verbose=0,
) -> SearchResult:
    """Grid-search ``pipeline`` on STS dev pairs; refit the best on all of dev, score on test.

    Folds are shuffled (seeded by ``random_state``), because STS files are
    ordered by source and unshuffled folds would differ in kind. The gold scores are
    checked first, as :func:`~sklearn_sentemb.metrics.check_gold` does, so a bad score is
    reported by its index in ``dev_gold`` or ``test_gold``, not by a position in a fold.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        A text pipeline, e.g. from :func:`make_search_pipeline`.
    grid : str, path-like or dict
        The parameter grid, read by :func:`load_grid`.
    dev_pairs : array-like of shape (n_pairs, 2)
        Sentence pairs searched on.
    dev_gold : array-like of shape (n_pairs,)
        Their gold similarity scores.
    test_pairs : array-like of shape (n_test, 2), default=None
        Pairs the best candidate is scored on.
    test_gold : array-like of shape (n_test,), default=None
        Their gold scores; given with ``test_pairs``.
    cv : int, default=3
        Number of shuffled folds.
    n_jobs : int, default=None
        Parallel jobs of the search (:class:`~sklearn.model_selection.GridSearchCV`'s).
    random_state : int, default=0
        Seeds the shuffling of the folds.
    verbose : int, default=0
        Verbosity of the search.

    Returns
    -------
    SearchResult
    """
    from .metrics import _as_scores, make_sts_scorer, split_pairs, sts_score

    if (test_pairs is None) != (test_gold is None):
        raise ValueError("search_sts: give test_pairs and test_gold together, or neither.")
    dev_gold = _as_scores(dev_gold, len(dev_pairs), "search_sts", "dev_gold")
    if test_gold is not None:
        test_gold = _as_scores(test_gold, len(test_pairs), "search_sts", "test_gold")
    folds = KFold(cv, shuffle=True, random_state=random_state)
    search = GridSearchCV(
        pipeline,
        load_grid(grid),
        scoring=make_sts_scorer(),
        cv=folds,
        n_jobs=n_jobs,
        verbose=verbose,
        refit=True,
        error_score="raise",
    )
    search.fit(dev_pairs, dev_gold)
    test_score = None
    if test_pairs is not None:
        emb = search.best_estimator_.transform(test_pairs)
        test_score = sts_score(*split_pairs(emb, len(test_pairs)), test_gold)
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")
    table = []
    for i in order:
        row = {"rank": int(results["rank_test_score"][i])}
        row.update({k: describe(v) for k, v in results["params"][i].items()})
        row["dev_spearman"] = float(results["mean_test_score"][i])
        row["dev_std"] = float(results["std_test_score"][i])
        table.append(row)
    return SearchResult(search, search.best_estimator_, test_score, table)


def plot_heatmap(table, path, title="", *, n_pairs=None, cv=None):
    """Save a PNG heatmap of dev score by layers (rows) and the other choices (columns).

    Columns are grouped by pooler, then refiner; the colour scale spans Tukey's fences of
    the scores (the quartiles widened by 1.5 times their distance, within the scores' range),
    so collapsed candidates do not flatten the rest; each score is written in a colour that
    reads on its cell, and the best cell is framed.

    Parameters
    ----------
    table : list of dict
        The ``table`` of a :class:`SearchResult`.
    path : str or path-like
        Where the PNG is written.
    title : str, default=""
        First line of the title.
    n_pairs : int, default=None
        Number of dev pairs searched on, shown in the title when given.
    cv : int, default=None
        Number of cross-validation folds, shown in the title when given.

    Returns
    -------
    matplotlib.figure.Figure
        The figure written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _check_heatmap_input(table, n_pairs, cv)
    keys = [k for k in table[0] if k not in ("rank", "dev_spearman", "dev_std")]
    row_key = "tokens__layers" if "tokens__layers" in keys else keys[0]
    col_keys = _column_keys([k for k in keys if k != row_key])
    rows = list(dict.fromkeys(r[row_key] for r in table))
    cols = _grouped_columns(table, col_keys)
    grid = np.full((len(rows), len(cols)), np.nan)
    for r in table:
        grid[rows.index(r[row_key]), cols.index(tuple(r[k] for k in col_keys))] = (
            100 * r["dev_spearman"]
        )
    labels = [" / ".join(c) or "-" for c in cols]
    # A figure of its own with an Agg canvas: no pyplot state, no process-wide backend change.
    fig = Figure(figsize=(3.5 + 0.9 * len(cols), 2.5 + 0.5 * len(rows)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    vmin, vmax = _robust_limits(grid)
    image = ax.imshow(grid, cmap="viridis", aspect="auto", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(cols)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(" / ".join(k.split("__")[-1] for k in col_keys))
    ax.set_ylabel(row_key.split("__")[-1])
    _annotate_cells(ax, image, grid)
    for j in range(1, len(cols)):
        if col_keys and cols[j][0] != cols[j - 1][0]:
            ax.axvline(j - 0.5, color="white", linewidth=2)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}
    clipped = (np.nanmin(grid) < vmin, np.nanmax(grid) > vmax)
    fig.colorbar(image, ax=ax, label="dev Spearman x 100", extend=extend.get(clipped, "both"))
    ax.set_title(_heatmap_title(title, n_pairs, cv), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return fig


def _check_heatmap_input(table, n_pairs, cv):
    if not isinstance(table, list | tuple) or not table:
        raise ValueError(
            f"plot_heatmap: table must be a non-empty list of rows (SearchResult.table), got {table!r}."
        )
    for name, value, low in (("n_pairs", n_pairs, 1), ("cv", cv, 2)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low
        ):
            raise ValueError(
                f"plot_heatmap: {name} must be an integer >= {low} or None, got {value!r}."
            )


def _column_keys(keys):
    """The column parameters, pooler first, then refiner, then the rest in table order."""
    return sorted(keys, key=lambda k: (not k.startswith("pool"), not k.startswith("refine")))


def _grouped_columns(table, col_keys):
    """Distinct column values, sorted key by key, each value ranked by first appearance."""
    order = [list(dict.fromkeys(r[k] for r in table)) for k in col_keys]
    cols = dict.fromkeys(tuple(r[k] for k in col_keys) for r in table)
    return sorted(cols, key=lambda c: [order[i].index(v) for i, v in enumerate(c)])


def _robust_limits(grid):
    """Tukey's fences (quartiles -/+ 1.5 IQR) within the scores' range: outliers saturate."""
    low, high = np.nanmin(grid), np.nanmax(grid)
    q1, q3 = np.nanpercentile(grid, [25, 75])
    vmin, vmax = max(low, q1 - 1.5 * (q3 - q1)), min(high, q3 + 1.5 * (q3 - q1))
    if vmax <= vmin:
        vmin, vmax = low, high
    return float(vmin), float(vmax)


def _annotate_cells(ax, image, grid):
    """Write each score in black on light cells and white on dark ones; frame the best."""
    from matplotlib.patches import Rectangle

    colours = image.cmap(image.norm(grid))
    luminance = colours[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    for i, j in zip(*np.nonzero(np.isfinite(grid))):
        colour = "black" if luminance[i, j] > 0.5 else "white"
        ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", color=colour, fontsize=8)
    i, j = np.unravel_index(np.nanargmax(grid), grid.shape)
    frame = Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2.5)
    frame.set_label("best")
    ax.add_patch(frame)


def _heatmap_title(title, n_pairs, cv):
    size = [f"{n_pairs:,} pairs" if n_pairs is not None else "", f"{cv}-fold CV" if cv else ""]
    size = ", ".join(s for s in size if s)
    marks = "best framed in red"
    return "\n".join(s for s in (title, f"{size}; {marks}" if size else marks) if s)
