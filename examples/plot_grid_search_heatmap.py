"""
Grid search of extraction choices, drawn as a heatmap
=====================================================

Every extraction choice is a parameter of a scikit-learn step, so
:func:`~sklearn_sentemb.search.search_sts` (the engine of ``sentemb search``) can
cross-validate a grid of layers x pooling x refiner of all-MiniLM-L6-v2 on STS-B dev
pairs and score the best candidate on STS-B test. The transformer runs once per distinct
sentence for the whole grid, thanks to the hidden-state cache. A few hundred pairs keep the
example fast; ``sentemb search`` takes all of them.
"""

# %%
# The data: a seeded sample of the bundled STS-B splits
# -----------------------------------------------------
# STS-B files are ordered by genre, so the pairs are sampled, not cut from the top.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_sentemb.datasets import load_sts
from sklearn_sentemb.search import make_search_pipeline, plot_heatmap, search_sts

N_PAIRS, CV = 200, 3
rng = np.random.default_rng(0)
dev, test = load_sts("stsb", split="dev"), load_sts("stsb", split="test")
dev_idx = rng.choice(len(dev.data), N_PAIRS, replace=False)
test_idx = rng.choice(len(test.data), N_PAIRS, replace=False)

# %%
# The search
# ----------
# Refiners are named as in :data:`~sklearn_sentemb.search.REFINERS`.
grid = {
    "tokens__layers": [-1, [1, -1], [0, -1]],
    "pool__method": ["mean", "max"],
    "refine": ["none", "whitening", "abtt", "zscore"],
}
result = search_sts(
    make_search_pipeline("sentence-transformers/all-MiniLM-L6-v2"),
    grid,
    dev.data[dev_idx],
    dev.target[dev_idx],
    test_pairs=test.data[test_idx],
    test_gold=test.target[test_idx],
    cv=CV,
)
print(f"best: {result.search.best_params_}")
print(f"STS-B test Spearman x 100 of the best: {100 * result.test_score:.2f}")
pd.DataFrame(result.table).head(8)

# %%
# The heatmap that ``sentemb search`` writes
# ------------------------------------------
# Columns are grouped by pooler, then refiner; the colour scale spans Tukey's fences of
# the scores, so collapsed candidates (whitening, fitted on a few hundred sentences of 384
# dimensions) do not flatten the others; the best cell is framed.
path = Path(tempfile.mkdtemp()) / "heatmap.png"
plot_heatmap(result.table, path, "all-MiniLM-L6-v2 on STS-B dev", n_pairs=N_PAIRS, cv=CV)

# Show the PNG pixel for pixel.
image = plt.imread(path)
fig = plt.figure(figsize=(image.shape[1] / 120, image.shape[0] / 120), dpi=120)
fig.figimage(image)
plt.show()
