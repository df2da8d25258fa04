"""CUDA throughput: TransformerFeaturizer in float16/bfloat16 with SDPA against
SentenceTransformer.encode in float16 on the same card.

Prints, in one run (median of ``--repeats`` interleaved runs, all-MiniLM-L6-v2 by default, last
layer, mean pooling, no cache), for ``SentenceTransformer.encode`` (the Transformer +
Pooling(mean) modules, float16) and ``TransformerFeaturizer + TokenPooler("mean")`` in float32,
float16 and bfloat16 (SDPA attention, transformers' default for these models) and float16 with
eager attention: seconds, sentences/s, speed against sentence-transformers, the largest
difference and smallest cosine of the sentence vectors to float32's, and the STS-B test score.
The texts are the distinct sentences of the bundled STS-B dev and test splits (both libraries
sort by length and pad per batch), STS-B test alone for the score.

Needs a CUDA device; without one it exits with a message and status 1.

Run: python benchmarks/bench_gpu.py [--repeats 5] [--batch-size 128] [--device cuda:0]
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_sentemb import TokenPooler, TransformerFeaturizer  # noqa: E402
from sklearn_sentemb._models import resolve_model  # noqa: E402
from sklearn_sentemb.datasets import load_sts  # noqa: E402

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
OURS = {
    "featurizer float32 (sdpa)": {"dtype": "float32"},
    "featurizer float16 (sdpa)": {"dtype": "float16"},
    "featurizer bfloat16 (sdpa)": {"dtype": "bfloat16"},
    "featurizer float16 (eager)": {
        "dtype": "float16",
        "model_kwargs": {"attn_implementation": "eager"},
    },
}


def interleaved(fns, repeats):
    """Median time of each function, run in turn within every repeat."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            torch.cuda.synchronize()
            start = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def stsb_score(X, gold):
    a, b = X[0::2], X[1::2]
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return 100 * spearmanr(cosine, gold).statistic


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_gpu: no CUDA device is available (torch.cuda.is_available() is False).")
    from sentence_transformers import SentenceTransformer

    test = load_sts("stsb", split="test")
    dev = load_sts("stsb", split="dev")
    texts = list(dict.fromkeys(dev.data.ravel().tolist() + test.data.ravel().tolist()))
    print(
        f"{torch.cuda.get_device_name(args.device)}: {len(texts)} distinct STS-B sentences, "
        f"model {args.model}, batch {args.batch_size}, median of {args.repeats}"
    )
    full = SentenceTransformer(resolve_model(args.model), device=args.device)
    reference = SentenceTransformer(modules=[full[0], full[1]], device=args.device).half()

    def st_encode(sentences):
        return reference.encode(sentences, batch_size=args.batch_size, convert_to_numpy=True)

    pipes = {
        name: make_pipeline(
            TransformerFeaturizer(
                args.model, batch_size=args.batch_size, cache=False, device=args.device, **params
            ),
            TokenPooler("mean", exclude=()),
        )
        for name, params in OURS.items()
    }
    for pipe in pipes.values():  # warm up: loading, CUDA kernels
        pipe.fit_transform(texts[:256])
    st_encode(texts[:256])
    attention = pipes["featurizer float16 (sdpa)"][0]._load_model().model.config
    print(f"attention of the default float16 model: {attention._attn_implementation}")

    fns = [lambda: st_encode(texts)] + [lambda p=p: p.fit_transform(texts) for p in pipes.values()]
    t_st, *t_ours = interleaved(fns, args.repeats)

    pairs = test.data.ravel().tolist()
    vectors = {"SentenceTransformer.encode fp16": st_encode(pairs).astype(np.float32)}
    vectors.update({name: pipe.fit_transform(pairs) for name, pipe in pipes.items()})
    fp32 = vectors["featurizer float32 (sdpa)"]
    times = dict(zip(vectors, [t_st, *t_ours]))
    print(
        f"{'':36}{'seconds':>9}{'sent/s':>9}{'x ST':>7}{'max diff':>10}{'min cos':>9}{'STS-B':>7}"
    )
    for name, X in vectors.items():
        cosine = (X * fp32).sum(1) / np.linalg.norm(X, axis=1) / np.linalg.norm(fp32, axis=1)
        print(
            f"{name:36}{times[name]:9.3f}{len(texts) / times[name]:9.0f}"
            f"{t_st / times[name]:7.2f}{np.abs(X - fp32).max():10.2e}{cosine.min():9.5f}"
            f"{stsb_score(X, test.target):7.2f}"
        )
    best = min(t_ours[1:3])
    print(
        f"fastest half-precision featurizer / SentenceTransformer.encode fp16: {t_st / best:.2f}x"
    )


if __name__ == "__main__":
    main()
