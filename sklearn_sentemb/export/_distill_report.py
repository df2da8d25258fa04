"""``sentemb distill``: search, export the best as model2vec, and report it beside
``model2vec.distill`` of the same model (scores and encode speed, each run by model2vec)."""

from __future__ import annotations

import time

import numpy as np

from ..metrics import sts_score

#: How to get ``model2vec.distill``, which pins an older transformers than this package.
DISTILL_SETUP = (
    "model2vec.distill is not installed here (model2vec[distill] pins an older "
    "transformers); to compare, use a separate environment: python -m venv /tmp/m2v-venv "
    "--system-site-packages && /tmp/m2v-venv/bin/pip install 'model2vec[distill]', then run "
    "this command with /tmp/m2v-venv/bin/python -m sklearn_sentemb."
)


def sts_spearman(encode, pairs, gold) -> float:
    """Spearman x 100 of the cosine of ``encode``'s vectors of each pair against ``gold``."""
    pairs = np.asarray(pairs, dtype=object)
    vectors = np.asarray(encode(list(pairs.ravel())))
    return 100.0 * sts_score(vectors[0::2], vectors[1::2], gold)


def throughput(encode, texts, repeats: int = 1) -> float:
    """Texts per second of ``encode(texts)``, the best of ``repeats`` runs."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        encode(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def model2vec_distill(model):
    """``model2vec.distill.distill(model)`` with its defaults, or None when not installed."""
    try:
        from model2vec.distill import distill
    except ImportError:
        return None
    from .._models import resolve_model

    return distill(resolve_model(model, step="model2vec.distill"))


def load_fit_corpus(corpus, size: int, data_home):
    """The first ``size`` sentences (5 words or more) of WikiText-103 or of a text file."""
    from ..datasets import load_corpus

    return load_corpus(
        corpus, data_home=data_home, sentence_split=True, max_sentences=size, min_tokens=5
    )


def _report_line(name, model, test_pairs, test_gold, speed_texts) -> str:
    score = sts_spearman(model.encode, test_pairs, test_gold)
    speed = throughput(model.encode, speed_texts, repeats=3)
    return f"{name:<34} STS-B test {score:6.2f}   {speed:10,.0f} texts/s"


def run_distill(args, out) -> None:
    """Run ``sentemb distill`` with the parsed ``args``, writing the model to ``out``."""
    from model2vec import StaticModel

    from ..datasets import load_sts
    from . import to_model2vec
    from ._distill import distill_static

    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    corpus = load_fit_corpus(args.corpus, args.corpus_size, args.data_home)
    dev = load_sts("stsb", split="dev", data_home=args.data_home)
    test = load_sts("stsb", split="test", data_home=args.data_home)
    say(f"Fitting on {len(corpus)} sentences of {args.corpus}; selecting on STS-B dev.")
    options = {k: getattr(args, k) for k in ("batch_size", "device", "dtype")}
    result = distill_static(
        args.model,
        corpus,
        dev.data,
        dev.target,
        featurizers=args.featurizers,
        progress=not args.quiet,
        **{k: v for k, v in options.items() if v is not None},
    )
    for name, score in sorted(result.scores.items(), key=lambda kv: -kv[1])[:5]:
        say(f"  {score:6.2f}  {name}")
    to_model2vec(result.best_pipeline, out)
    print(f"Best on STS-B dev: {result.best_name} ({result.best_score:.2f}); wrote {out}")
    texts = list(dict.fromkeys(np.asarray(test.data, dtype=object).ravel().tolist()))
    print(
        _report_line(
            "sentemb distill (model2vec)",
            StaticModel.from_pretrained(out),
            test.data,
            test.target,
            texts,
        )
    )
    if args.no_compare:
        return
    baseline = model2vec_distill(args.model)
    if baseline is None:
        print(DISTILL_SETUP)
        return
    print(_report_line("model2vec.distill", baseline, test.data, test.target, texts))
