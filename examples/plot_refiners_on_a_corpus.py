"""
Refiners fitted on a corpus, pickled and reloaded
=================================================

The paper fits corpus statistics (idf weights, whitening) on WikiText rather than on the
task. :class:`~sklearn_sentemb.FitOn` makes that one parameter of the pipeline: the
learned steps see the corpus, while ``transform`` embeds its input. The fitted pipeline
pickles small (the model is loaded again, never copied), and the reloaded pipeline gives
the same embeddings.

The corpus is WikiText-103 when its files are in the data home
(``$SKLEARN_SENTEMB_DATA`` or ``~/sentemb_data``); without them, the STS-B dev sentences
stand in, so the example runs on the bundled data alone.
"""

# %%
# The corpus
# ----------
import pickle

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from sklearn_sentemb import FitOn, TokenPooler, TransformerFeaturizer, Whitening
from sklearn_sentemb.datasets import load_corpus, load_sts
from sklearn_sentemb.metrics import make_sts_scorer

N_CORPUS = 400
try:
    corpus = load_corpus("wikitext103", sentence_split=True, max_sentences=N_CORPUS)
    corpus_name = "WikiText-103"
except FileNotFoundError:
    corpus = load_sts("stsb", split="dev").data[:, 0][:N_CORPUS].tolist()
    corpus_name = "STS-B dev sentences"
print(f"{len(corpus)} texts of {corpus_name}; the first: {corpus[0]!r}")


# %%
# The pipeline, fitted on the corpus or on the task
# -------------------------------------------------
# idf-weighted mean pooling, then whitening to 128 dimensions.
def make_pipe(corpus):
    return Pipeline(
        [
            ("fit_on", FitOn(corpus)),
            ("tokens", TransformerFeaturizer(max_length=128, progress=False)),
            ("pool", TokenPooler("mean", weighting="idf")),
            ("refine", Whitening(n_components=128)),
        ]
    )


rng = np.random.default_rng(0)
test = load_sts("stsb", split="test")
idx = rng.choice(len(test.data), 200, replace=False)
pairs, gold = test.data[idx], test.target[idx]

on_corpus = make_pipe(corpus).fit(pairs)  # the pairs are ignored: the steps see the corpus
on_task = make_pipe(None).fit(pairs)  # FitOn(None): the steps see the task's sentences
print(f"fitted on {on_corpus['fit_on'].n_fit_texts_} corpus texts")

# %%
# Pickled and reloaded
# --------------------
blob = pickle.dumps(on_corpus)
reloaded = pickle.loads(blob)
same = np.allclose(reloaded.transform(pairs[:20]), on_corpus.transform(pairs[:20]), atol=1e-5)
print(f"pickled size: {len(blob) / 1e6:.2f} MB; reloaded embeddings equal: {same}")

# %%
# STS-B test scores
# -----------------
scorer = make_sts_scorer()
scores = pd.Series(
    {
        "fitted on the corpus (reloaded)": 100 * scorer(reloaded, pairs, gold),
        "fitted on the task": 100 * scorer(on_task, pairs, gold),
    },
    name="STS-B test Spearman x 100",
).round(2)
scores

# %%
fig, ax = plt.subplots(figsize=(6, 2.5))
bars = ax.barh(scores.index, scores.values, color=["tab:green", "tab:gray"])
ax.bar_label(bars, fmt="%.2f", fontsize=8)
ax.set_xlim(scores.min() - 5, scores.max() + 2)
ax.set_xlabel(scores.name)
ax.set_title(f"idf + whitening fitted on {corpus_name} or on the task", fontsize=9)
fig.tight_layout()
plt.show()
