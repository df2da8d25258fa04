"""
Static token models against a contextual model
==============================================

Static token models give each token one vector whatever its context: seeded random
vectors, the model's input embedding matrix, or the paper's "Avg." (each token's
contextual vectors averaged over a corpus). They need no forward pass at embedding time.
This example puts their speed and their STS-B quality beside those of all-MiniLM-L6-v2,
each with plain mean pooling and with the paper's reshaping (idf weights and all-but-the-top).
"""

# %%
# The embedders
# -------------
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import (
    AllButTheTop,
    AveragedTokenEmbeddings,
    FitOn,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenPooler,
    TransformerFeaturizer,
    clear_caches,
)
from sklearn_sentemb.datasets import load_sts
from sklearn_sentemb.metrics import split_pairs, sts_score

rng = np.random.default_rng(0)
dev, test = load_sts("stsb", split="dev"), load_sts("stsb", split="test")
corpus = dev.data[rng.choice(len(dev.data), 200, replace=False)].ravel().tolist()
idx = rng.choice(len(test.data), 200, replace=False)
pairs, gold = test.data[idx], test.target[idx]

token_models = {
    "Random": lambda: RandomTokenEmbeddings(dim=384),
    "Input emb.": InputTokenEmbeddings,
    "Avg.": AveragedTokenEmbeddings,
    "MiniLM-L6": lambda: TransformerFeaturizer(progress=False),
}


def embedder(tokens, reshaped):
    """Mean pooling, or idf-weighted mean and all-but-the-top; fitted on the corpus."""
    if not reshaped:
        return make_pipeline(FitOn(corpus), tokens, TokenPooler("mean"))
    return make_pipeline(
        FitOn(corpus), tokens, TokenPooler("mean", weighting="idf"), AllButTheTop(2)
    )


# %%
# Speed and quality
# -----------------
# Every embedder is fitted on the corpus first (Avg. learns its table there). Then each
# times one ``transform`` of the test sentences with every cache emptied, so that the
# contextual model really runs.
fitted = {
    (name, reshaped): embedder(make_tokens(), reshaped).fit([])
    for name, make_tokens in token_models.items()
    for reshaped in (False, True)
}
rows = []
for (name, reshaped), pipe in fitted.items():
    clear_caches()
    start = time.perf_counter()
    X = pipe.transform(pairs)
    seconds = time.perf_counter() - start
    rows.append(
        {
            "token model": name,
            "pooling": "idf + ABTT" if reshaped else "mean",
            "sentences / s": 2 * len(pairs) / seconds,
            "STS-B Spearman x 100": 100 * sts_score(*split_pairs(X, len(pairs)), gold),
        }
    )
table = pd.DataFrame(rows).round(1)
table

# %%
fig, (speed, quality) = plt.subplots(1, 2, figsize=(10, 3.5))
wide = table.pivot(index="token model", columns="pooling").reindex(list(token_models))
wide["sentences / s"].plot.barh(ax=speed, logx=True)
speed.set_xlabel("sentences per second (log scale)")
wide["STS-B Spearman x 100"].plot.barh(ax=quality)
quality.set_xlim(max(0, table["STS-B Spearman x 100"].min() - 10), 100)
quality.set_xlabel(f"STS-B test Spearman x 100 ({len(pairs)} pairs)")
for ax in (speed, quality):
    ax.invert_yaxis()
speed.legend(title="pooling", loc="lower right")
quality.get_legend().remove()
fig.tight_layout()
plt.show()
