"""A 24-candidate grid search against one candidate, and with two worker processes, STS-B dev.

In one process, interleaved, each run from empty caches (``clear_caches``; the model stays
loaded): one candidate's fit and score on the dev pairs, the grid (3 layer choices x 2
poolings x 4 refiners, cv=3) with ``n_jobs=1``, and the same grid with ``n_jobs=2`` in fresh
worker processes (their start, imports and model loading included), which share hidden
states through the default temporary disk cache, and again with warm workers (started, model
loaded, as for a second search in a session; no hidden state of these texts anywhere).
Medians of ``--repeats`` runs; targets: grid / one candidate <= 1.3, n_jobs=2 / n_jobs=1 < 1.

Run: python benchmarks/bench_grid_search.py [--pairs 1500] [--repeats 3] [--threads 2]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from joblib.externals.loky import get_reusable_executor  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import QuantileTransformer, StandardScaler  # noqa: E402

from sklearn_sentemb import (  # noqa: E402
    AllButTheTop,
    TokenPooler,
    TransformerFeaturizer,
    Whitening,
    clear_caches,
)
from sklearn_sentemb.datasets import load_sts  # noqa: E402
from sklearn_sentemb.metrics import make_sts_scorer  # noqa: E402

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def make_grid(quantile: bool) -> dict:
    grid = {
        "tokens__layers": [-1, [1, -1], [0, -1]],
        "pool__method": ["mean", "max"],
        "refine": ["passthrough", Whitening(), AllButTheTop(2), StandardScaler()],
    }
    if quantile:
        grid["refine"].append(QuantileTransformer())
    return grid


def fresh_start() -> None:
    """Empty this process's caches and the shared disk cache; no worker processes left."""
    get_reusable_executor().shutdown(wait=True)
    clear_caches()


def _load_in_worker() -> int:
    TransformerFeaturizer(MODEL).transform(["a text to load the model with"])
    time.sleep(1.0)  # hold this worker so that the other task goes to the other one
    return os.getpid()


def warm_workers() -> None:
    """Fresh caches, two worker processes with the model loaded and none of the texts."""
    fresh_start()
    pids = Parallel(n_jobs=2)(delayed(_load_in_worker)() for _ in range(2))
    assert len(set(pids)) == 2, "both tasks ran in one worker"
    clear_caches()  # the shared disk cache: the warm-up text


def timed(work, start_from=fresh_start) -> tuple[float, object]:
    start_from()
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads of this process")
    parser.add_argument("--pairs", type=int, default=1500, help="STS-B dev pairs (1500: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--quantile", action="store_true", help="add QuantileTransformer (30 candidates)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dev = load_sts("stsb", split="dev")
    pairs, gold = dev.data[: args.pairs], dev.target[: args.pairs]
    pipe = Pipeline(
        [
            ("tokens", TransformerFeaturizer(MODEL)),
            ("pool", TokenPooler("mean")),
            ("refine", "passthrough"),
        ]
    )
    grid = make_grid(args.quantile)
    n_candidates = 3 * 2 * len(grid["refine"])
    scorer = make_sts_scorer()
    folds = KFold(3, shuffle=True, random_state=0)
    TransformerFeaturizer(MODEL).transform(["load the model once"])  # not part of any timing

    def one_candidate():
        return scorer(clone(pipe).fit(pairs, gold), pairs, gold)

    def search(n_jobs):
        return GridSearchCV(pipe, grid, scoring=scorer, cv=folds, n_jobs=n_jobs).fit(pairs, gold)

    times = {"one": [], "grid": [], "grid2": [], "warm2": []}
    for _ in range(args.repeats):
        t, single_score = timed(one_candidate)
        times["one"].append(t)
        t, serial = timed(lambda: search(1))
        times["grid"].append(t)
        t, parallel = timed(lambda: search(2))
        times["grid2"].append(t)
        t, _ = timed(lambda: search(2), start_from=warm_workers)
        times["warm2"].append(t)
    fresh_start()
    one, grid1, grid2, warm2 = (
        statistics.median(times[k]) for k in ("one", "grid", "grid2", "warm2")
    )

    print(
        f"STS-B dev, {len(pairs)} pairs ({len(set(pairs.ravel()))} distinct sentences), "
        f"{MODEL}, {args.threads} threads, medians of {args.repeats}"
    )
    print(f"one candidate, fit + score:       {one:7.2f} s (Spearman {single_score:.4f})")
    print(
        f"grid, {n_candidates} candidates x 3 folds, n_jobs=1: {grid1:7.2f} s "
        f"(best {serial.best_score_:.4f}: {serial.best_params_})"
    )
    print(f"same grid, n_jobs=2:              {grid2:7.2f} s (best {parallel.best_score_:.4f})")
    print(f"same grid, n_jobs=2, warm workers: {warm2:6.2f} s")
    print(f"ratio grid / one candidate: {grid1 / one:.2f} (target <= 1.3)")
    print(f"ratio n_jobs=2 / n_jobs=1:  {grid2 / grid1:.2f} (target < 1)")
    print(f"ratio n_jobs=2 / n_jobs=1, warm workers: {warm2 / grid1:.2f}")


if __name__ == "__main__":
    main()
