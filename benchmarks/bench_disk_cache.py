"""Cost of one hidden-state entry in a DiskCache: written, read whole, read one layer.

Each entry is 7 layers of 30 tokens x 384 float32 (a 30-token sentence through
all-MiniLM-L6-v2 with every layer kept, 322 kB). Prints, per entry (median of ``--repeats``
passes over ``--entries`` entries), the put, the read of all layers and the read of one
layer, for a cache in the temporary folder with the default SQLite settings and for one
set up as the folder ``n_jobs`` workers share (``/dev/shm`` when it has room, a rollback
journal, no syncs), and the ratios: one layer against all, the shared folder against the
temporary one.

Run: python benchmarks/bench_disk_cache.py [--entries 300] [--repeats 3]
"""

import argparse
import shutil
import statistics
import tempfile
import time

import numpy as np

from sklearn_sentemb._cache import DiskCache, _shared_parent, close_disk_caches


def per_entry(cache, entries, tag):
    """Milliseconds per entry of put, get (all layers) and get (layer 6)."""
    times = []
    for work in (
        lambda i, e: cache.put("config", f"{tag} {i}", e),
        lambda i, e: cache.get("config", f"{tag} {i}"),
        lambda i, e: cache.get("config", f"{tag} {i}", [6]),
    ):
        start = time.perf_counter()
        for i, entry in enumerate(entries):
            work(i, entry)
        times.append((time.perf_counter() - start) / len(entries) * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    entries = [
        {k: rng.standard_normal((30, 384)).astype(np.float32) for k in range(7)}
        for _ in range(args.entries)
    ]
    folders = {"temporary folder": tempfile.gettempdir(), "shared setup": _shared_parent()}
    results = {}
    for name, parent in folders.items():
        root = tempfile.mkdtemp(dir=parent)
        cache = DiskCache(root)
        if name == "shared setup":
            cache._sqlite = {"sqlite_journal_mode": "delete", "sqlite_synchronous": 0}
        runs = [per_entry(cache, entries, f"run {r}") for r in range(args.repeats)]
        results[name] = [statistics.median(column) for column in zip(*runs)]
        close_disk_caches()
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.entries} entries of 7 x (30, 384) float32, median of {args.repeats}")
    print(f"{'':<34}{'put ms':>8}{'get all':>9}{'get one':>9}")
    for name, (put, get_all, get_one) in results.items():
        where = folders[name]
        print(f"{name + ' (' + where + ')':<34}{put:>8.2f}{get_all:>9.2f}{get_one:>9.2f}")
    tmp, shared = results["temporary folder"], results["shared setup"]
    print(f"one layer / all layers (shared setup): {shared[2] / shared[1]:.2f}")
    print(f"put, shared setup / temporary folder:  {shared[0] / tmp[0]:.2f}")


if __name__ == "__main__":
    main()
