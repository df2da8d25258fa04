"""``sentemb distill`` against ``model2vec.distill`` of the same model, both run by model2vec.

Our side: `distill_static` searches the static recipes of ``--model`` (input embeddings,
Avg., random; token weighting, exclusion, whitening / all-but-the-top / common-component
removal) fitted on an unlabelled corpus and selected on STS-B dev, once per ``--corpus``:
``wikitext103`` (``--corpus-size`` WikiText-103 sentences, out of domain) and ``stsb-train``
(the distinct sentences of STS-B train, in domain, no scores used; the test split is never
fitted on); each best is written with `to_model2vec` and loaded with ``model2vec.StaticModel``. The baseline
is ``model2vec.distill.distill(model)`` with its defaults. Both are scored on STS-B test and
SICK-R test (Spearman x 100 of cosine) and timed on ``--speed-texts`` real texts (WikiText
sentences and the STS-B/SICK sentences, cycled up to that number) with
``StaticModel.encode``, the two timed runs interleaved ``--repeat`` times, best run kept.
Target: +2 points on STS-B test at >= 1.0x model2vec's encode speed.

``model2vec.distill`` needs ``model2vec[distill]``, which pins an older transformers, so
it lives in its own environment; without it only our row is printed::

    python -m venv /tmp/m2v-venv --system-site-packages
    /tmp/m2v-venv/bin/pip install "model2vec[distill]==0.10.0"
    /tmp/m2v-venv/bin/python benchmarks/bench_distill.py      # from the repository root

Run from the repository root (about 5 minutes on 2 CPU cores with the defaults).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's package, also from another environment
DEFAULT_DATA = Path(os.environ.get("SKLEARN_SENTEMB_SHARED", REPO.parent / "shared")) / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: What ``--corpus`` names, in words for the table.
CORPORA = {"wikitext103": "WikiText", "stsb-train": "STS-B train"}


def _parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--data-home", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--corpus-size", type=int, default=5000)
    parser.add_argument("--speed-texts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--featurizers", nargs="+", default=["input", "avg", "random"])
    parser.add_argument(
        "--corpus", nargs="+", choices=CORPORA, default=list(CORPORA), help="corpora to fit on"
    )
    return parser.parse_args(argv)


def _speed_texts(corpus, tasks, n):
    """``n`` real texts: WikiText sentences, then the STS sentences, cycled."""
    texts = list(corpus)
    for task in tasks.values():
        texts.extend(task.data.ravel().tolist())
    return list(itertools.islice(itertools.cycle(texts), n))


def _ours(args, corpus, dev, folder):
    from model2vec import StaticModel

    from sklearn_sentemb.export import distill_static, to_model2vec

    start = time.perf_counter()
    result = distill_static(
        args.model, corpus, dev.data, dev.target, featurizers=args.featurizers, progress=True
    )
    to_model2vec(result.best_pipeline, folder)
    seconds = time.perf_counter() - start
    print(f"sentemb distill: best on STS-B dev {result.best_score:.2f}: {result.best_name}")
    return StaticModel.from_pretrained(folder), seconds


def _fit_corpus(name, args):
    """The texts ``--corpus NAME`` fits on."""
    from sklearn_sentemb.datasets import load_sts
    from sklearn_sentemb.export._distill_report import load_fit_corpus

    if name == "stsb-train":
        pairs = load_sts("stsb", split="train", data_home=args.data_home).data
        return list(dict.fromkeys(pairs.ravel().tolist()))
    return load_fit_corpus(name, args.corpus_size, args.data_home)


def _theirs(model):
    from sklearn_sentemb.export._distill_report import DISTILL_SETUP, model2vec_distill

    start = time.perf_counter()
    baseline = model2vec_distill(model)
    if baseline is None:
        print(DISTILL_SETUP)
        return None, None
    return baseline, time.perf_counter() - start


def _timed(models, texts, repeat):
    """Texts per second of each model's encode, runs interleaved, best of ``repeat``."""
    best = dict.fromkeys(models, float("inf"))
    for _ in range(repeat):
        for name, model in models.items():
            start = time.perf_counter()
            model.encode(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: len(texts) / seconds for name, seconds in best.items()}


def main(argv=None) -> int:
    from sklearn_sentemb.datasets import load_sts
    from sklearn_sentemb.export._distill_report import sts_spearman

    args = _parse(argv)
    corpora = {name: _fit_corpus(name, args) for name in args.corpus}
    dev = load_sts("stsb", split="dev", data_home=args.data_home)
    tasks = {
        "STS-B test": load_sts("stsb", split="test", data_home=args.data_home),
        "SICK-R test": load_sts("sickr", split="test", data_home=args.data_home),
    }
    with tempfile.TemporaryDirectory() as folder:
        models, build = {}, {}
        for name, corpus in corpora.items():
            row = f"sentemb ({CORPORA[name]})"
            out = os.path.join(folder, name)
            models[row], build[row] = _ours(args, corpus, dev, out)
        theirs, their_seconds = _theirs(args.model)
        if theirs is not None:
            models["model2vec.distill"] = theirs
            build["model2vec.distill"] = their_seconds
        scores = {
            name: {task: sts_spearman(m.encode, d.data, d.target) for task, d in tasks.items()}
            for name, m in models.items()
        }
        speed_texts = _speed_texts(next(iter(corpora.values())), tasks, args.speed_texts)
        speed = _timed(models, speed_texts, args.repeat)
    print(f"\n{args.model}; encode speed on {args.speed_texts:,} real texts (model2vec encode)")
    print(f"{'':<24}{'STS-B test':>12}{'SICK-R test':>13}{'texts/s':>12}{'dim':>6}{'build s':>9}")
    for name, model in models.items():
        row = scores[name]
        print(
            f"{name:<24}{row['STS-B test']:>12.2f}{row['SICK-R test']:>13.2f}"
            f"{speed[name]:>12,.0f}{model.dim:>6}{build[name]:>9.0f}"
        )
    if theirs is not None:
        base_row = scores["model2vec.distill"]
        for row in models:
            if row == "model2vec.distill":
                continue
            gain = scores[row]["STS-B test"] - base_row["STS-B test"]
            sick = scores[row]["SICK-R test"] - base_row["SICK-R test"]
            ratio = speed[row] / speed["model2vec.distill"]
            print(
                f"{row} vs model2vec.distill: STS-B test {gain:+.2f} points, SICK-R test "
                f"{sick:+.2f} points, encode speed {ratio:.2f}x (target: +2 points at >= 1.0x)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
