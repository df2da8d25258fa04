"""Contextual backends against SentenceTransformer.encode on the STS-B test sentences.

Prints, in one run (CPU, ``--threads`` threads, median of ``--repeats`` interleaved runs),
``TransformerFeaturizer + TokenPooler("mean")`` (all-MiniLM-L6-v2, last layer, no cache) with
torch float32, torch bfloat16, ONNX Runtime float32 and ONNX Runtime int8, beside
``SentenceTransformer.encode`` (the Transformer + Pooling(mean) modules of the same model, same
batch size). For each: seconds, sentences/s, speed against torch float32 and against
sentence-transformers, the largest absolute difference and the smallest cosine of its sentence
vectors to torch float32's, and the STS-B test score (Spearman x 100 of cosine similarity).
Also layers=[0, 1] (the encoder stops after layer 1) against layers=-1, and the peak memory.

Targets: ONNX float32 >= 1.8x torch float32; the fastest backend within 0.5 STS-B points of
torch float32 >= 3x SentenceTransformer.encode. bfloat16 beats float32 on CPUs with AMX and on
AMD CPUs with AVX512-BF16 (on an Intel CPU AVX512-BF16 alone was slower; without either bf16 is
emulated): the header says which.

Run: python benchmarks/bench_featurizer.py [--repeats 5] [--threads 2] [--batch-size 32]
     [--pairs N]  (the first N STS-B test pairs only: a quick check)
"""

import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_sentemb import TokenPooler, TransformerFeaturizer  # noqa: E402
from sklearn_sentemb._models import (  # noqa: E402
    cpu_has_fast_bf16,
    cpu_has_native_bf16,
    resolve_model,
)
from sklearn_sentemb.datasets import load_sts  # noqa: E402

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = {
    "torch float32": {},
    "torch bfloat16": {"dtype": "bfloat16"},
    "onnx float32": {"backend": "onnx"},
    "onnx int8": {"backend": "onnx", "quantize": "int8"},
}


def interleaved(fns, repeats):
    """Median time of each function, run in turn within every repeat, and its first output.

    Interleaving spreads any load from other processes over all contenders.
    """
    times = [[] for _ in fns]
    outputs = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            out = fn()
            times[i].append(time.perf_counter() - start)
            if outputs[i] is None:
                outputs[i] = out
    return [statistics.median(t) for t in times], outputs


def stsb_score(X, gold):
    a, b = X[0::2], X[1::2]
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return 100 * spearmanr(cosine, gold).statistic


def min_cosine(X, Y):
    norms = np.linalg.norm(X, axis=1) * np.linalg.norm(Y, axis=1)
    return float(((X * Y).sum(1) / norms).min())


def _bf16_kind() -> str:
    if cpu_has_fast_bf16():
        return "AMX, or AVX512-BF16 on AMD (dtype='auto' takes bf16)"
    if cpu_has_native_bf16():
        return "bf16 instructions, no AMX (dtype='auto' takes float32)"
    return "emulated (dtype='auto' takes float32)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=None, help="first pairs only (a quick run)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # ONNX Runtime sessions take the same number

    from sentence_transformers import SentenceTransformer

    test = load_sts("stsb", split="test")  # bundled with the package
    pairs, gold = test.data[: args.pairs], test.target[: args.pairs]
    sentences = pairs.ravel().tolist()
    print(
        f"STS-B test: {len(sentences)} sentences ({len(set(sentences))} distinct), model "
        f"{MODEL}, batch {args.batch_size}, {args.threads} threads, median of {args.repeats}; "
        f"bf16 on this CPU: {_bf16_kind()}"
    )

    full = SentenceTransformer(resolve_model(MODEL), device="cpu")
    reference = SentenceTransformer(modules=[full[0], full[1]], device="cpu")

    def ours(**params):
        featurizer = TransformerFeaturizer(
            MODEL, batch_size=args.batch_size, cache=False, device="cpu", **params
        )
        return make_pipeline(featurizer, TokenPooler("mean", exclude=()))

    pipes = {name: ours(**params) for name, params in BACKENDS.items()}
    pipes["torch float32, layers=[0, 1]"] = ours(layers=[0, 1])
    # Warm up (model loading, ONNX export and quantisation, first-call allocations).
    for pipe in pipes.values():
        pipe.fit_transform(sentences[:64])
    reference.encode(sentences[:64], batch_size=args.batch_size)

    fns = [lambda: reference.encode(sentences, batch_size=args.batch_size)]
    fns += [lambda pipe=pipe: pipe.fit_transform(sentences) for pipe in pipes.values()]
    times, outputs = interleaved(fns, args.repeats)
    t_st, *t_ours = times
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report(dict(zip(pipes, zip(t_ours, outputs[1:]))), t_st, outputs[0], gold)
    print(f"peak resident memory: {peak:.0f} MiB")


def report(results, t_st, st_vectors, gold):
    """Print the table and the target ratios; ``results`` maps a name to (seconds, vectors)."""
    n = len(st_vectors)
    t_fp32, fp32 = results["torch float32"]
    header = f"{'':30}{'seconds':>9}{'sent/s':>8}{'x fp32':>8}{'x ST':>7}"
    print(header + f"{'max diff':>10}{'min cos':>9}{'STS-B':>7}")
    rows = {"SentenceTransformer.encode": (t_st, st_vectors), **results}
    scores = {}
    for name, (seconds, X) in rows.items():
        scores[name] = stsb_score(X, gold)
        same_layer = X.shape == fp32.shape and "layers" not in name
        diff = f"{np.abs(X - fp32).max():10.2e}{min_cosine(X, fp32):9.5f}" if same_layer else ""
        print(
            f"{name:30}{seconds:9.2f}{n / seconds:8.0f}{t_fp32 / seconds:8.2f}"
            f"{t_st / seconds:7.2f}{diff:>19}{scores[name]:7.2f}"
        )
    t_onnx = results["onnx float32"][0]
    print(f"onnx float32 / torch float32 speed: {t_fp32 / t_onnx:.2f}x (target >= 1.8)")
    close = {k: results[k][0] for k in BACKENDS if abs(scores[k] - scores["torch float32"]) <= 0.5}
    best = min(close, key=close.get)
    print(
        f"fastest backend within 0.5 STS-B points ({best}) / SentenceTransformer.encode speed: "
        f"{t_st / close[best]:.2f}x (target >= 3)"
    )
    t_shallow = results["torch float32, layers=[0, 1]"][0]
    print(
        f"time layers=[0, 1] / layers=-1 (torch float32): {t_shallow / t_fp32:.2f} (target <= 0.4)"
    )


if __name__ == "__main__":
    main()
