"""
BERT + Avg.: mixing contextual and averaged token vectors
=========================================================

The paper's "BERT + Avg." mixes each token's contextual vector with its averaged
("Avg.") vector, ``w * contextual + (1 - w) * averaged``, before pooling.
:class:`~sklearn_sentemb.TokenMixer` is that mix as a step, and the weight is a parameter
like any other. This example sweeps it on all-MiniLM-L6-v2, with Avg. learned on a sample of
STS-B dev sentences, and scores STS and genre clustering on STS-B test.
"""

# %%
# The pipeline and the data
# -------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import (
    AveragedTokenEmbeddings,
    FitOn,
    TokenMixer,
    TokenPooler,
    TransformerFeaturizer,
)
from sklearn_sentemb.datasets import load_sts
from sklearn_sentemb.metrics import evaluate_clustering, split_pairs, sts_score

rng = np.random.default_rng(0)
dev, test = load_sts("stsb", split="dev"), load_sts("stsb", split="test")
corpus = dev.data[rng.choice(len(dev.data), 200, replace=False)].ravel().tolist()
idx = rng.choice(len(test.data), 200, replace=False)
pairs, gold = test.data[idx], test.target[idx]
genres = np.asarray(test.genre)[idx]

pipe = make_pipeline(
    FitOn(corpus),
    TokenMixer(TransformerFeaturizer(progress=False), AveragedTokenEmbeddings()),
    TokenPooler("mean"),
)

# %%
# The sweep
# ---------
# ``weight=1`` is the contextual model alone, ``weight=0`` Avg. alone. The forward passes
# are cached, so each weight costs only the mixing and pooling.
rows = []
for weight in np.linspace(0, 1, 5):
    fitted = clone(pipe).set_params(tokenmixer__weight=weight).fit([])
    X = fitted.transform(pairs)
    first, second = split_pairs(X, len(pairs))
    clusters = evaluate_clustering(first, genres, n_runs=5, random_state=0)
    rows.append(
        {
            "weight": weight,
            "STS Spearman": 100 * sts_score(first, second, gold),
            "clustering accuracy": 100 * clusters["accuracy"],
            "clustering NMI": 100 * clusters["nmi"],
        }
    )
sweep = pd.DataFrame(rows).set_index("weight").round(2)
sweep

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for column in sweep.columns:
    ax.plot(sweep.index, sweep[column], marker="o", label=column)
ax.set_xlabel("weight of the contextual vectors (0: Avg. alone, 1: MiniLM alone)")
ax.set_ylabel("score x 100")
ax.set_title(f"BERT + Avg. on {len(pairs)} STS-B test pairs", fontsize=9)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
