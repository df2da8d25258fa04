"""Time and peak memory of `evaluate` on the STS tasks, beside SentEval's reference numbers.

Runs ``evaluate`` over every STS task present in the data folder (STS12-16, STS-B test,
SICK-R test) for an encoder of ``../shared/data/REFERENCE.md`` and prints, side by side,
our Spearman x 100, the numbers of the original SentEval toolkit for the same embeddings,
and the differences (REFERENCE says they should agree within 0.1):

- ``minilm`` (default): all-MiniLM-L6-v2, last layer, mean over all tokens including
  [CLS]/[SEP] (``TransformerFeaturizer`` + ``TokenPooler("mean", exclude=())``);
- ``random``: ``default_rng(0).standard_normal((30522, 384))`` token vectors averaged over
  the tokenizer's ids without special tokens (empty text: zeros), written out here.

Also prints the wall time of the ``evaluate`` call and the peak resident memory of the
process (``resource.getrusage``) before and after it.

Run: python benchmarks/bench_evaluate.py [--encoder minilm|random] [--threads 2]
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_sentemb import TokenPooler, TransformerFeaturizer  # noqa: E402
from sklearn_sentemb.evaluation import TASKS, evaluate, format_table  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from senteval_reference import CONVENTIONS, SENTEVAL_REFERENCE  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"

REFERENCE = SENTEVAL_REFERENCE


class RandomMean(TransformerMixin, BaseEstimator):
    """REFERENCE.md's "Random mean" encoder, written out with numpy and the tokenizer."""

    def __init__(self, tokenizer=MODEL, dim=384, seed=0):
        self.tokenizer = tokenizer
        self.dim = dim
        self.seed = seed

    def fit(self, X=None, y=None):
        return self

    def transform(self, X):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(_model_path(self.tokenizer))
        table = np.random.default_rng(self.seed).standard_normal((tokenizer.vocab_size, self.dim))
        ids = tokenizer(list(X), add_special_tokens=False)["input_ids"]
        out = np.zeros((len(ids), self.dim))
        for i, row in enumerate(ids):
            if row:
                out[i] = table[row].mean(axis=0)
        return out


def _model_path(model):
    from sklearn_sentemb._models import resolve_model

    return resolve_model(model)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def comparison(results, reference):
    """Lines: task, convention, ours, SentEval, difference."""
    lines = [f"{'task':8} {'conv.':6} {'ours':>7} {'SentEval':>9} {'diff':>7}"]
    worst = 0.0
    for task, expected in reference.items():
        rows = results[results.task == task]
        if rows.empty:
            lines.append(f"{task:8} {'':6} {'missing':>7}")
            continue
        if isinstance(expected, tuple):
            pairs = [
                (c, e, rows.score[rows.subset == c].iloc[0]) for c, e in zip(CONVENTIONS, expected)
            ]
        else:
            pairs = [("test", expected, rows.score[rows.subset == "test"].iloc[0])]
        for convention, ref, ours in pairs:
            diff = 100 * ours - ref
            worst = max(worst, abs(diff))
            lines.append(f"{task:8} {convention:6} {100 * ours:7.2f} {ref:9.2f} {diff:+7.2f}")
    lines.append(f"largest |difference|: {worst:.2f} (REFERENCE: agree within 0.1)")
    return "\n".join(lines), worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", choices=sorted(REFERENCE), default="minilm")
    parser.add_argument("--data-home", default=str(SHARED))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if args.encoder == "minilm":
        embedder = make_pipeline(
            TransformerFeaturizer(MODEL, batch_size=args.batch_size),
            TokenPooler("mean", exclude=()),
        )
        label = "MiniLM mean"
    else:
        embedder = RandomMean()
        label = "Random mean"
    rss_before = peak_rss_mib()
    start = time.perf_counter()
    results = evaluate(
        embedder, tasks="sts", data_home=args.data_home, name=label, missing="ignore"
    )
    seconds = time.perf_counter() - start
    rss_after = peak_rss_mib()

    tasks = [task for task in TASKS if task in set(results.task)]
    n_pairs = int(results[results.subset.isin(["all", "test"]) & (results.task != "avg")].n.sum())
    print(f"evaluate(tasks='sts'), {label}, {args.threads} threads, data {args.data_home}")
    print(f"tasks: {', '.join(tasks)}; skipped: {', '.join(results.attrs['skipped']) or 'none'}")
    print(f"pairs scored: {n_pairs}")
    print(f"wall time: {seconds:.1f} s")
    print(f"peak RSS: {rss_before:.0f} MiB before evaluate, {rss_after:.0f} MiB after")
    print()
    print(format_table(results))
    print()
    text, worst = comparison(results, REFERENCE[args.encoder])
    print(text)
    return 0 if worst <= 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
