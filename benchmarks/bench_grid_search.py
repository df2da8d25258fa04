"""A 24-candidate grid search against one candidate's fit and score, STS-B dev, CPU.

Both start from an empty hidden-state cache. Without the cache the grid would run
the transformer 24 x 3 x 2 times over the fold texts; with it, once per sentence.

Run: python benchmarks/bench_grid_search.py [--threads 2] [--pairs 1500]
"""

import argparse
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import QuantileTransformer, StandardScaler  # noqa: E402

from sklearn_sentemb import (  # noqa: E402
    AllButTheTop,
    TokenPooler,
    TransformerFeaturizer,
    Whitening,
    clear_memory_cache,
)
from sklearn_sentemb.metrics import make_sts_scorer  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def stsb_dev(limit):
    pairs, gold = [], []
    with open(SHARED / "stsb" / "sts-dev.csv", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            pairs.append((fields[5], fields[6]))
            gold.append(float(fields[4]))
    return np.array(pairs[:limit], dtype=object), np.array(gold[:limit])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=1500)
    parser.add_argument(
        "--quantile", action="store_true", help="add QuantileTransformer (30 candidates)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pairs, gold = stsb_dev(args.pairs)
    pipe = Pipeline(
        [
            ("tokens", TransformerFeaturizer(MODEL)),
            ("pool", TokenPooler("mean")),
            ("refine", "passthrough"),
        ]
    )
    grid = {
        "tokens__layers": [-1, [1, -1], [0, -1]],
        "pool__method": ["mean", "max"],
        "refine": ["passthrough", Whitening(), AllButTheTop(2), StandardScaler()],
    }
    if args.quantile:
        grid["refine"].append(QuantileTransformer())
    n_candidates = 3 * 2 * len(grid["refine"])
    scorer = make_sts_scorer()
    TransformerFeaturizer(MODEL).transform(["load the model once"])  # not part of either timing

    clear_memory_cache()
    start = time.perf_counter()
    single = clone(pipe).fit(pairs, gold)
    single_score = scorer(single, pairs, gold)
    t_single = time.perf_counter() - start

    clear_memory_cache()
    start = time.perf_counter()
    search = GridSearchCV(pipe, grid, scoring=scorer, cv=3).fit(pairs, gold)
    t_grid = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"STS-B dev, {len(pairs)} pairs ({len(set(pairs.ravel()))} distinct sentences), "
        f"{MODEL}, {args.threads} threads"
    )
    print(f"one candidate, fit + score:         {t_single:7.2f} s (Spearman {single_score:.4f})")
    print(
        f"grid, {n_candidates} candidates x 3 folds:   {t_grid:7.2f} s "
        f"(best {search.best_score_:.4f}: {search.best_params_})"
    )
    print(f"ratio grid / one candidate: {t_grid / t_single:.2f} (target <= 2)")
    print(f"peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
