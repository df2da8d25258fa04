"""Featurizer throughput against SentenceTransformer.encode on the STS-B test sentences.

Prints, side by side in one run (median of --repeats runs, CPU, --threads threads):
- TransformerFeaturizer + TokenPooler("mean") against SentenceTransformer.encode
  (Transformer + Pooling(mean) modules of the same model, same batch size);
- layers=[0, 1] (the encoder stops after layer 1) against layers=-1;
- the peak resident memory of the process.

Run: python benchmarks/bench_featurizer.py [--repeats 5] [--threads 2]
"""

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_sentemb import TokenPooler, TransformerFeaturizer  # noqa: E402
from sklearn_sentemb._models import resolve_model  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def stsb_test_sentences():
    sentences = []
    with open(SHARED / "stsb" / "sts-test.csv", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            sentences += [fields[5], fields[6]]
    return sentences


def interleaved_medians(fns, repeats):
    """Median time of each function, run in turn within every repeat.

    Interleaving spreads any load from other processes over all contenders.
    """
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from sentence_transformers import SentenceTransformer

    sentences = stsb_test_sentences()
    print(
        f"{len(sentences)} sentences ({len(set(sentences))} distinct), model {MODEL}, "
        f"batch {args.batch_size}, {args.threads} threads, median of {args.repeats}"
    )

    full = SentenceTransformer(resolve_model(MODEL), device="cpu")
    reference = SentenceTransformer(modules=[full[0], full[1]], device="cpu")
    ours = make_pipeline(
        TransformerFeaturizer(MODEL, batch_size=args.batch_size, cache=False),
        TokenPooler("mean", exclude=()),
    )
    shallow = make_pipeline(
        TransformerFeaturizer(MODEL, layers=[0, 1], batch_size=args.batch_size, cache=False),
        TokenPooler("mean", exclude=()),
    )
    # Warm up both (model loading, first-call allocations) and check they agree.
    diff = np.abs(ours.fit_transform(sentences[:64]) - reference.encode(sentences[:64])).max()
    shallow.fit_transform(sentences[:64])

    t_st, t_ours, t_shallow = interleaved_medians(
        [
            lambda: reference.encode(sentences, batch_size=args.batch_size),
            lambda: ours.fit_transform(sentences),
            lambda: shallow.fit_transform(sentences),
        ],
        args.repeats,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    n = len(sentences)
    print(f"max |ours - sentence-transformers| on 64 sentences: {diff:.2e}")
    print(f"{'':34}{'seconds':>10}{'sentences/s':>14}")
    print(f"{'SentenceTransformer.encode':34}{t_st:10.2f}{n / t_st:14.0f}")
    print(f"{'featurizer + mean, layers=-1':34}{t_ours:10.2f}{n / t_ours:14.0f}")
    print(f"{'featurizer + mean, layers=[0, 1]':34}{t_shallow:10.2f}{n / t_shallow:14.0f}")
    print(f"throughput ratio ours / sentence-transformers: {t_st / t_ours:.2f} (target >= 1.1)")
    print(f"time ratio layers=[0, 1] / layers=-1: {t_shallow / t_ours:.2f} (target <= 0.4)")
    print(f"peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
