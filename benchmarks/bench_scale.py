"""Memory and time at scale: a larger corpus must not need more memory.

Each row embeds N real texts with a fitted pipeline's plain ``transform`` in a fresh process and
reports its peak RSS and time per text; each pair of rows prints the ratio larger / smaller
(targets: peak RSS <= 1.3x, time per text <= 1.2x):

- contextual: ``TransformerFeaturizer`` (all-MiniLM-L6-v2, last layer) + ``TokenPooler("mean")``
  on 10k vs 100k texts;
- static: ``RandomTokenEmbeddings(dim=384)`` + ``TokenPooler("mean")`` on 100k vs 1M texts;
- with ``--dask``: the static 1M texts on a 2-worker ``distributed.LocalCluster`` under
  ``dask_ml.wrappers.ParallelPostFit`` vs one process: equal output, time ratio, peak RSS of
  each worker.

The texts are WikiText-103 valid+test sentences, cycled, each made distinct by its number
(``"<sentence> (123)"``) so that no text is served from a duplicate.

Run from the repository root (about 10 minutes; nothing else running)::

    python benchmarks/bench_scale.py --data-home ../shared/data
    python benchmarks/bench_scale.py --data-home ../shared/data --dask
    python benchmarks/bench_scale.py --small 2000 --large 20000 --static-small 20000 \\
        --static-large 200000                                  # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def corpus(data_home, n: int) -> list[str]:
    from sklearn_sentemb.datasets import load_corpus

    sentences = load_corpus("wikitext103", split=("valid", "test"), data_home=data_home,
                            sentence_split=True, min_tokens=3)  # fmt: skip
    return [f"{sentences[i % len(sentences)]} ({i})" for i in range(n)]


def pipeline(kind: str):
    from sklearn.pipeline import make_pipeline

    from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler, TransformerFeaturizer

    if kind == "contextual":
        tokens = TransformerFeaturizer(MODEL)
    else:
        tokens = RandomTokenEmbeddings(MODEL, dim=384)
    return make_pipeline(tokens, TokenPooler("mean")).fit(["a first text", "and a second"])


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, n: int, data_home) -> dict:
    """One measurement, in this (fresh) process."""
    texts = corpus(data_home, n)
    pipe = pipeline(kind)
    pipe.transform(texts[:64])  # load the model before the clock starts
    before = peak_rss_mib()
    start = time.perf_counter()
    X = pipe.transform(texts)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": peak_rss_mib(), "before_mib": before,
            "output_mib": X.nbytes / 2**20, "shape": list(X.shape)}  # fmt: skip


def measure(kind: str, n: int, data_home) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(n), "--data-home", str(data_home)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report_pair(kind: str, small: int, large: int, data_home) -> None:
    rows = {n: measure(kind, n, data_home) for n in (small, large)}
    for n, row in rows.items():
        print(f"{kind:10s} {n:>9,d} texts: {row['seconds']:8.1f} s "
              f"({1e6 * row['seconds'] / n:7.1f} us/text), peak RSS {row['peak_mib']:7.0f} MiB "
              f"(the (n, d) output itself: {row['output_mib']:.0f} MiB)")  # fmt: skip
    rss = rows[large]["peak_mib"] / rows[small]["peak_mib"]
    # The returned array grows with n whatever the method: the bound is on everything else.
    working = [rows[n]["peak_mib"] - rows[n]["output_mib"] for n in (small, large)]
    per_text = (rows[large]["seconds"] / large) / (rows[small]["seconds"] / small)
    print(f"{kind:10s} {large:,d} vs {small:,d}: peak RSS ratio {rss:.2f}; without the output "
          f"array {working[1] / working[0]:.2f} (target <= 1.3); time per text ratio "
          f"{per_text:.2f} (target <= 1.2)")  # fmt: skip


def report_dask(n: int, data_home) -> None:
    import numpy as np
    from dask import array as da
    from dask.distributed import Client, LocalCluster
    from dask_ml.wrappers import ParallelPostFit

    import sklearn_sentemb.dask as sd

    texts = corpus(data_home, n)
    pipe = pipeline("static")
    start = time.perf_counter()
    single = pipe.transform(texts)
    single_s = time.perf_counter() - start
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        # (n, 1): ParallelPostFit gives a lazy array of the right shape for 2-D input only
        array = da.from_array(np.array(texts, dtype=object)[:, None], chunks=(50_000, 1))
        wrapped = ParallelPostFit(pipe, transform_meta=sd.transform_meta(pipe))
        wrapped.transform(array[:1000]).compute()  # workers load the tokenizer
        start = time.perf_counter()
        distributed = wrapped.transform(array).compute()
        dask_s = time.perf_counter() - start
        worker_mib = client.run(peak_rss_mib)
    print(f"dask       {n:>9,d} texts: one process {single_s:.1f} s, 2-worker LocalCluster "
          f"{dask_s:.1f} s, time ratio {dask_s / single_s:.2f}; max |difference| "
          f"{np.abs(distributed - single).max():.1e}; worker peak RSS "
          + ", ".join(f"{v:.0f} MiB" for v in worker_mib.values()))  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=os.environ.get("SKLEARN_SENTEMB_DATA"))
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--static-small", type=int, default=100_000)
    parser.add_argument("--static-large", type=int, default=1_000_000)
    parser.add_argument("--dask", action="store_true", help="also the 2-worker LocalCluster row")
    parser.add_argument("--dask-texts", type=int, default=1_000_000)
    parser.add_argument("--skip-contextual", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.data_home)))
        return 0
    if not args.skip_contextual:
        report_pair("contextual", args.small, args.large, args.data_home)
    report_pair("static", args.static_small, args.static_large, args.data_home)
    if args.dask:
        report_dask(args.dask_texts, args.data_home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
