"""
A large corpus streamed through a pipeline
==========================================

A token featurizer given more than ``CHUNK_SIZE`` (4,096) texts returns the texts and
itself, not the token vectors, and :class:`~sklearn_sentemb.TokenPooler` pools them one
chunk at a time. A plain ``Pipeline.transform`` of any number of texts therefore holds the
token vectors of one chunk only, and gives the same embeddings as small calls. This example
streams 16,000 texts through a static pipeline (the model's input embeddings, so it runs in
seconds) and measures the memory it needs against building the whole token batch.
"""

# %%
# The corpus: STS-B sentences, each with a numbered suffix so that no two texts are equal
# ---------------------------------------------------------------------------------------
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import InputTokenEmbeddings, TokenPooler
from sklearn_sentemb.datasets import load_sts

sentences = np.concatenate(
    [load_sts("stsb", split=s).data.ravel() for s in ("dev", "test")]
).tolist()
N_TEXTS = 16_000
texts = [f"{sentences[i % len(sentences)]} ({i})" for i in range(N_TEXTS)]
pipe = make_pipeline(InputTokenEmbeddings(), TokenPooler("mean")).fit(texts[:100])
pipe[0].transform(texts[:8])  # load the tokenizer and table before measuring

# %%
# What the featurizer returns
# ---------------------------
tokens = pipe[0].transform(texts)
print(tokens)


# %%
# Memory and time: streamed, against the whole token batch at once
# ----------------------------------------------------------------
def measure(run):
    """Peak traced memory (MB) and seconds of ``run()``."""
    tracemalloc.start()
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return result, peak, seconds


streamed, streamed_mb, streamed_s = measure(lambda: pipe.transform(texts))
whole, whole_mb, whole_s = measure(lambda: pipe[1].transform(tokens.materialize()))
print(f"streamed:    {streamed.shape}, peak {streamed_mb:7.1f} MB, {streamed_s:.1f} s")
print(f"whole batch: {whole.shape}, peak {whole_mb:7.1f} MB, {whole_s:.1f} s")
print(f"same embeddings: {np.allclose(streamed, whole, atol=1e-6)}")
print(f"memory ratio whole / streamed: {whole_mb / streamed_mb:.1f}")

# %%
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(["streamed (one chunk)", "whole token batch"], [streamed_mb, whole_mb])
ax.set_xlabel("peak traced memory (MB)")
ax.set_title(f"{N_TEXTS:,} texts, InputTokenEmbeddings + mean pooling", fontsize=9)
ax.invert_yaxis()
fig.tight_layout()
plt.show()
