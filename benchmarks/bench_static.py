"""Throughput of the static token featurizers: the fused pooling path against its ceilings.

Part 1, the ceiling (interleaved runs in one process, medians of ``--repeat-ceiling``):
``make_pipeline(RandomTokenEmbeddings(dim=384), TokenPooler("mean")).transform(texts)``
in one call, against

- the bare Rust tokenizer on the same texts: ``encode_batch_fast(texts,
  add_special_tokens=False)`` of the MiniLM tokenizer (padding and truncation off), with
  the tokenizers library's own thread pool on every core (target: static >= 0.9x);
- model2vec's ``StaticModel.encode`` (when model2vec is installed), for a ``StaticModel``
  built from the same random table and the same tokenizer, not one distilled from MiniLM:
  the same tokens and the same vectors (special tokens are left out by both; model2vec also
  drops [UNK]), so the ratio measures the implementations, and the largest difference
  between the two outputs is printed (target: static >= 1.0x).

Both are run on the distinct sentences once each and on ``--n-texts`` texts that repeat
them (the pipeline tokenises each distinct text of a call once; the baselines do not).

Part 2, the featurizers (as before): each row is ``featurizer + TokenPooler("mean")`` over
real sentences (STS-B, SICK and WikiText-103 valid/test sentences, repeated up to
``--n-texts``), tokenisation included, processed in chunks of ``--chunk`` texts. The row
"token matrix built" pools the same random featurizer's output after gathering its token
vectors (the general path), so its ratio to the first row is what the fused path saves. The
baseline, ``TransformerFeaturizer`` (all-MiniLM-L6-v2, last layer, no cache) + mean, runs
on ``--baseline-texts`` of the same texts taken evenly across them (the same mix of short
STS and long WikiText sentences) and its throughput is extrapolated. Each row is timed
``--repeat`` times and the best run is reported (the machine may be shared). Peak RSS is
the process maximum after each row (``resource.getrusage``).

``--fit-avg`` also times ``AveragedTokenEmbeddings.fit`` on all WikiText-103 valid+test
text (one item per sentence by default, see ``--corpus-unit``) and uses that table for the
Avg. row; without it the Avg. row uses a table fitted on ``--avg-texts`` sentences (the
transform cost does not depend on the corpus).

Run from the repository root::

    python benchmarks/bench_static.py                 # both parts (a few minutes)
    python benchmarks/bench_static.py --ceiling-only  # part 1 only (about a minute)
    python benchmarks/bench_static.py --fit-avg       # plus the Avg. fit (5-10 minutes)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")


REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's package, not an installed one
DEFAULT_DATA = Path(os.environ.get("SKLEARN_SENTEMB_SHARED", REPO.parent / "shared")) / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def read_corpus(data: Path, unit: str) -> list[str]:
    """WikiText-103 valid+test without empty and heading lines (sentences or paragraphs)."""
    try:
        from sklearn_sentemb.datasets import load_corpus
    except ImportError:
        load_corpus = None
    if load_corpus is not None:
        return load_corpus(
            "wikitext103",
            split=("valid", "test"),
            data_home=data,
            sentence_split=unit == "sentence",
        )
    texts = []
    for split in ("valid", "test"):
        for line in (data / "wikitext103" / f"wiki.{split}.tokens").read_text("utf-8").splitlines():
            line = line.strip()
            if line and not (line.startswith("= ") and line.endswith(" =")):
                texts.extend(line.split(" . ") if unit == "sentence" else [line])
    return texts


def read_sentences(data: Path) -> list[str]:
    """Distinct sentences of STS-B (all splits), SICK (all splits) and WikiText valid+test."""
    texts = []
    for split in ("train", "dev", "test"):
        for line in (data / "stsb" / f"sts-{split}.csv").read_text("utf-8").splitlines():
            fields = line.split("\t")
            texts += fields[5:7]
    for name in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt"):
        for line in (data / "sick" / name).read_text("utf-8").splitlines()[1:]:
            texts += line.split("\t")[1:3]
    texts += read_corpus(data, "sentence")
    return list(dict.fromkeys(t for t in texts if t.strip()))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(featurizer, texts, chunk: int, repeat: int) -> tuple[float, float]:
    """Sentences per second and seconds (best of ``repeat``) of featurizer + mean pooling."""
    from sklearn_sentemb import TokenPooler

    pooler = TokenPooler("mean")
    featurizer.fit(texts[:10])
    pooler.transform(featurizer.transform(texts[:10]))  # load tokenizer / table / model
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        n_out = sum(
            len(pooler.transform(featurizer.transform(texts[i : i + chunk])))
            for i in range(0, len(texts), chunk)
        )
        best = min(best, time.perf_counter() - start)
        assert n_out == len(texts)
    return len(texts) / best, best


def materialized(featurizer):
    """``featurizer.transform`` with every chunk's token vectors gathered: the general path."""
    from sklearn_sentemb import TokenEmbeddings
    from sklearn_sentemb._tokens import iter_chunks

    class Gathered:
        def fit(self, X, y=None):
            featurizer.fit(X)
            return self

        def transform(self, X):
            chunks = [
                TokenEmbeddings(c.values, c.offsets, c.token_ids, c.roles, c.vocabulary)
                for c in iter_chunks(featurizer.transform(X))
            ]
            return TokenEmbeddings.concatenate(chunks)

    return Gathered()


def ceiling(sentences, texts, repeat: int) -> None:
    """Part 1: the fused static pipeline against the bare tokenizer and model2vec."""
    import numpy as np
    from sklearn.pipeline import make_pipeline
    from tokenizers import Tokenizer

    from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler
    from sklearn_sentemb._models import load_tokenizer

    featurizer = RandomTokenEmbeddings(MODEL, dim=384)
    pipe = make_pipeline(featurizer, TokenPooler("mean"))
    wrapper = load_tokenizer(MODEL).tokenizer
    bare = Tokenizer.from_str(wrapper.backend_tokenizer.to_str())
    bare.no_padding()
    bare.no_truncation()
    contenders = {
        "tokenizer": lambda batch: bare.encode_batch_fast(batch, add_special_tokens=False),
        "static": pipe.fit(sentences[:10]).transform,
    }
    try:
        from model2vec import StaticModel
    except ImportError:
        print("model2vec is not installed: pip install model2vec==0.10.0 to compare with it")
    else:
        static_model = StaticModel(featurizer.get_table(), bare, normalize=False)

        def model2vec_encode(batch):
            try:
                return static_model.encode(batch)
            finally:  # it turns the tokenizers thread pool off for the whole process
                os.environ["TOKENIZERS_PARALLELISM"] = "true"

        contenders["model2vec"] = model2vec_encode
        got = pipe.transform(sentences[:2000])
        diff = np.abs(got - model2vec_encode(sentences[:2000])).max(axis=1)
        print(
            f"static vs model2vec vectors on 2,000 sentences: max abs diff {diff.max():.2e} "
            f"({int((diff > 1e-5).sum())} with [UNK], which model2vec drops)"
        )
    for name, batch in [("distinct sentences", sentences), ("repeated mix", texts)]:
        seconds = {key: [] for key in contenders}
        for run in contenders.values():  # warm up
            run(batch[:1000])
        for _ in range(repeat):
            for key, run in contenders.items():
                start = time.perf_counter()
                run(batch)
                seconds[key].append(time.perf_counter() - start)
        rate = {key: len(batch) / np.median(times) for key, times in seconds.items()}
        print(f"\n{name}: {len(batch):,} texts, one call each, median of {repeat}")
        for key, value in rate.items():
            print(f"  {key:<10} {value:>10,.0f} texts/s")
        line = f"  static / tokenizer {rate['static'] / rate['tokenizer']:.2f}x (target >= 0.9)"
        if "model2vec" in rate:
            line += f", static / model2vec {rate['static'] / rate['model2vec']:.2f}x (>= 1.0)"
        print(line)


def quiet():
    """No progress bars (the static featurizers show one on calls of many texts)."""
    return contextlib.redirect_stderr(io.StringIO())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--n-texts", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=10_000, help="texts per transform call")
    parser.add_argument("--baseline-texts", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per row (best)")
    parser.add_argument("--fit-avg", action="store_true", help="time the Avg. fit on WikiText")
    parser.add_argument("--corpus-unit", choices=["sentence", "paragraph"], default="sentence")
    parser.add_argument("--avg-texts", type=int, default=500, help="Avg. corpus without --fit-avg")
    parser.add_argument("--no-glove", action="store_true", help="skip the GloVe row")
    parser.add_argument("--repeat-ceiling", type=int, default=5, help="part 1 runs (median)")
    parser.add_argument("--ceiling-only", action="store_true", help="part 1 only")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from sklearn_sentemb import (
        AveragedTokenEmbeddings,
        InputTokenEmbeddings,
        RandomTokenEmbeddings,
        TransformerFeaturizer,
        load_glove,
    )

    sentences = read_sentences(args.data)
    texts = (sentences * (args.n_texts // len(sentences) + 1))[: args.n_texts]
    print(
        f"{len(texts):,} texts from {len(sentences):,} distinct sentences, chunks of "
        f"{args.chunk:,}, torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs"
    )
    with quiet():
        ceiling(sentences, texts, args.repeat_ceiling)
    if args.ceiling_only:
        return
    print()

    contextual = TransformerFeaturizer(MODEL, cache=False, batch_size=64)
    fit_note = f"fit on {args.avg_texts} sentences"
    if args.fit_avg:
        corpus = read_corpus(args.data, args.corpus_unit)
        n_tokens = sum(len(t.split()) for t in corpus)
        print(
            f"Avg. fit corpus: WikiText-103 valid+test, {len(corpus):,} {args.corpus_unit}s, "
            f"{n_tokens:,} words"
        )
        start = time.perf_counter()
        avg = AveragedTokenEmbeddings(contextual).fit(corpus)
        fit_seconds = time.perf_counter() - start
        seen = int((avg.counts_ > 0).sum())
        print(
            f"Avg. fit: {fit_seconds:.1f} s ({fit_seconds / 60:.1f} min), "
            f"{int(avg.counts_.sum()):,} tokens, {seen:,} of {len(avg.counts_):,} ids seen, "
            f"peak RSS {peak_rss_mib():,.0f} MiB"
        )
        fit_note = f"fit on WikiText ({fit_seconds:.0f} s)"
    else:
        avg = AveragedTokenEmbeddings(contextual).fit(sentences[: args.avg_texts])

    rows = [
        ("RandomTokenEmbeddings(dim=384)", RandomTokenEmbeddings(MODEL, dim=384), texts),
        (
            "RandomTokenEmbeddings, token matrix built",
            materialized(RandomTokenEmbeddings(MODEL, dim=384)),
            texts,
        ),
        (f"AveragedTokenEmbeddings, {fit_note}", avg, texts),
        ("InputTokenEmbeddings", InputTokenEmbeddings(MODEL), texts),
    ]
    if not args.no_glove:
        rows.append(("WordVectors (GloVe 6B 50d)", load_glove(), texts))
    rows.append(
        (
            f"TransformerFeaturizer (baseline, {args.baseline_texts:,} texts)",
            contextual,
            texts[:: max(1, len(texts) // args.baseline_texts)][: args.baseline_texts],
        )
    )

    results = []
    for name, featurizer, batch in rows:
        repeat = 1 if featurizer is contextual else args.repeat
        with quiet():
            rate, seconds = throughput(featurizer, batch, args.chunk, repeat)
        results.append((name, len(batch), seconds, rate, peak_rss_mib()))
    baseline = results[-1][3]

    print()
    print(
        f"{'featurizer + TokenPooler(mean)':<52} {'texts':>8} {'seconds':>8} "
        f"{'sent/s':>9} {'x base':>7} {'peak RSS MiB':>13}"
    )
    for name, n, seconds, rate, rss in results:
        print(
            f"{name:<52} {n:>8,} {seconds:>8.2f} {rate:>9,.0f} {rate / baseline:>7.1f} {rss:>13,.0f}"
        )


if __name__ == "__main__":
    main()
