"""Grid-search extraction choices on STS-B dev and draw the scores as a heatmap.

Layers x pooling x refiner for all-MiniLM-L6-v2; the transformer runs once per
distinct sentence thanks to the hidden-state cache. Writes grid_search_heatmap.png.

Run: python examples/grid_search_heatmap.py
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sklearn_sentemb.datasets import load_sts  # noqa: E402
from sklearn_sentemb.search import make_search_pipeline, plot_heatmap, search_sts  # noqa: E402

dev = load_sts("stsb", split="dev")
test = load_sts("stsb", split="test")
grid = {
    "tokens__layers": [-1, [1, -1], [0, -1]],
    "pool__method": ["mean", "max"],
    "refine": ["none", "whitening", "abtt", "zscore", "quantile"],
}
result = search_sts(
    make_search_pipeline("sentence-transformers/all-MiniLM-L6-v2"),
    grid,
    dev.data,
    dev.target,
    test_pairs=test.data,
    test_gold=test.target,
)
print(f"best: {result.search.best_params_}; STS-B test Spearman {100 * result.test_score:.2f}")
plot_heatmap(result.table, "grid_search_heatmap.png", "all-MiniLM-L6-v2, STS-B dev")
print("wrote grid_search_heatmap.png")
