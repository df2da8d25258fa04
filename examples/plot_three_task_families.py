"""
One model on the three task families
====================================

The paper scores an embedding method on semantic similarity (STS), short-text clustering
and classification. This example runs all three on all-MiniLM-L6-v2 with data that ships
with the package: STS-B pairs for STS, and the STS-B sentences labelled by their genre
(news, image captions, forum posts) for clustering and classification. The metrics are
those of :func:`~sklearn_sentemb.evaluation.evaluate`, which runs the official tasks when
their files are in a data home.
"""

# %%
# The embedders: mean pooling of the last layer, with and without z-scoring
# -------------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sentemb import TokenPooler, TransformerFeaturizer
from sklearn_sentemb.datasets import load_sts
from sklearn_sentemb.metrics import evaluate_clustering, split_pairs, sts_score

embedders = {
    "mean": make_pipeline(TransformerFeaturizer(progress=False), TokenPooler("mean")),
    "mean + z-score": make_pipeline(
        TransformerFeaturizer(progress=False), TokenPooler("mean"), StandardScaler()
    ),
}

# %%
# The data: a seeded sample of STS-B test
# ---------------------------------------
rng = np.random.default_rng(0)
test = load_sts("stsb", split="test")
idx = rng.choice(len(test.data), 300, replace=False)
pairs, gold = test.data[idx], test.target[idx]
sentences, genres = pairs[:, 0].tolist(), np.asarray(test.genre)[idx]
pd.Series(genres).value_counts()

# %%
# Scores
# ------
# STS: Spearman of cosine similarity; clustering: k-means with as many clusters as genres,
# Hungarian-matched accuracy and NMI over five seeds; classification: a logistic regression
# on the frozen embeddings, 5-fold cross-validated accuracy. Each embedder is fitted on the
# task's own texts, as ``evaluate(fit_on="task")`` does.
rows = []
for name, embedder in embedders.items():
    first, second = split_pairs(embedder.fit_transform(pairs), len(pairs))
    X = embedder.fit_transform(sentences)
    clusters = evaluate_clustering(X, genres, n_runs=5, random_state=0)
    classifier = LogisticRegression(max_iter=1000)
    rows.append(
        {
            "embedder": name,
            "STS Spearman": 100 * sts_score(first, second, gold),
            "clustering accuracy": 100 * clusters["accuracy"],
            "clustering NMI": 100 * clusters["nmi"],
            "classification accuracy": 100 * cross_val_score(classifier, X, genres, cv=5).mean(),
        }
    )
scores = pd.DataFrame(rows).set_index("embedder").round(2)
scores

# %%
fig, axes = plt.subplots(1, 4, figsize=(11, 3), sharey=False)
for ax, column in zip(axes, scores.columns):
    bars = ax.bar(scores.index, scores[column], color=["tab:blue", "tab:orange"])
    ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_title(column, fontsize=9)
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
fig.suptitle(f"all-MiniLM-L6-v2 on {len(pairs)} STS-B test pairs / sentences")
fig.tight_layout()
plt.show()

# %%
# The official tasks
# ------------------
# With the evaluation data in a data home, the same embedder runs on every task of the
# paper, and :func:`~sklearn_sentemb.evaluation.format_table` prints its tables:
#
# .. code-block:: python
#
#     from sklearn_sentemb.evaluation import evaluate, format_table
#
#     results = evaluate(embedders["mean"], tasks=["sts", "clustering", "classification"])
#     print(format_table(results))
