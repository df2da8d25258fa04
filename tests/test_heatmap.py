"""The search heatmap reads at a glance: legible digits, a robust colour scale, grouped
columns, the best cell marked and the data size in the title."""

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from sklearn_sentemb.search import plot_heatmap

LAYERS = ["-1", "[1, -1]", "[0, -1]"]
POOLERS = ["mean", "max"]
REFINERS = ["none", "Whitening", "StandardScaler"]


@pytest.fixture
def table():
    """A ranked table as search_sts returns it, with one outlier far below the rest."""
    rng = np.random.default_rng(0)
    rows = [
        dict(pool__method=p, refine=r, tokens__layers=layer, dev_std=0.01)
        for layer, p, r in itertools.product(LAYERS, POOLERS, REFINERS)
    ]
    scores = rng.uniform(0.70, 0.80, len(rows))
    scores[4] = 0.10  # layers -1, max, Whitening collapses
    for row, score in zip(rows, scores):
        row["dev_spearman"] = float(score)
    # Ranked order mixes poolers and refiners: first appearance is not grouped.
    rows.sort(key=lambda r: -r["dev_spearman"])
    return [dict(rank=i + 1, **r) for i, r in enumerate(rows)]


def _cells(fig):
    """Each cell's text by (row label, column label)."""
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    return {
        (rows[round(t.get_position()[1])], cols[round(t.get_position()[0])]): t for t in ax.texts
    }


def test_columns_grouped_by_pooler_then_refiner(table, tmp_path):
    fig = plot_heatmap(table, tmp_path / "h.png")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    pools = [label.split(" / ")[0] for label in labels]
    # Each pooler's columns are contiguous, and each holds every refiner once.
    assert [p for i, p in enumerate(pools) if i == 0 or p != pools[i - 1]] == sorted(
        set(pools), key=pools.index
    )
    assert len(set(pools)) == 2 and len(labels) == 6
    for pool in set(pools):
        assert sorted(
            lab.split(" / ")[1] for lab in labels if lab.startswith(pool + " ")
        ) == sorted(REFINERS)
    assert fig.axes[0].get_xlabel() == "method / refine"


def test_each_cell_shows_its_own_score(table, tmp_path):
    fig = plot_heatmap(table, tmp_path / "h.png")
    cells = _cells(fig)
    assert len(cells) == len(table)
    for row in table:
        label = f"{row['pool__method']} / {row['refine']}"
        assert cells[row["tokens__layers"], label].get_text() == f"{100 * row['dev_spearman']:.1f}"


def test_colour_limits_ignore_the_outlier(table, tmp_path):
    fig = plot_heatmap(table, tmp_path / "h.png")
    scores = 100 * np.array([r["dev_spearman"] for r in table])
    vmin, vmax = fig.axes[0].images[0].get_clim()
    q1, q3 = np.percentile(scores, [25, 75])
    np.testing.assert_allclose(vmin, q1 - 1.5 * (q3 - q1))
    np.testing.assert_allclose(vmax, scores.max())  # the upper fence lies above every score
    assert vmin > 50 > 10 == scores.min()  # the outlier at 10 does not stretch the scale
    assert fig.axes[1].get_label() == "<colorbar>"


def test_digits_dark_on_light_cells_and_light_on_dark(table, tmp_path):
    fig = plot_heatmap(table, tmp_path / "h.png")
    texts = {float(t.get_text()): to_rgb(t.get_color()) for t in fig.axes[0].texts}
    # viridis: the top of the scale is yellow, the bottom dark purple.
    assert texts[max(texts)] == (0.0, 0.0, 0.0)
    assert texts[min(texts)] == (1.0, 1.0, 1.0)


def test_best_cell_is_framed(table, tmp_path):
    fig = plot_heatmap(table, tmp_path / "h.png")
    ax = fig.axes[0]
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(frames) == 1
    x, y = frames[0].get_xy()
    best = table[0]  # rank 1
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows[round(y + 0.5)] == best["tokens__layers"]
    assert cols[round(x + 0.5)] == f"{best['pool__method']} / {best['refine']}"


def test_title_gives_data_size_and_folds(table, tmp_path):
    fig = plot_heatmap(table, tmp_path / "h.png", "MiniLM on stsb dev", n_pairs=1500, cv=3)
    title = fig.axes[0].get_title()
    assert title.splitlines()[0] == "MiniLM on stsb dev"
    assert "1,500 pairs" in title and "3-fold CV" in title
    assert (tmp_path / "h.png").stat().st_size > 0
