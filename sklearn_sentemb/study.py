"""The paper's comparison, rerun on the models available here: plain mean pooling against
the best extraction found on STS-B dev, for each model family.

For every model family (random token vectors, GloVe, a model's input token embeddings,
"Avg.", two contextual sentence models and "BERT + Avg."), the study

1. **selects** an extraction method by grid search over layers, templates, token weighting,
   token exclusion, refiners and what the learned steps are fitted on
   (``fit_on__corpus``: the task's texts or WikiText-103 sentences), scored only on the
   STS-B dev split by k-fold cross-validation (:func:`~sklearn_sentemb.search.search_sts`);
2. **evaluates** the plain mean-pooling baseline and the selected method on every STS,
   clustering and classification task found in ``data_home``
   (:func:`~sklearn_sentemb.evaluation.evaluate`), reusing the configuration chosen on
   STS-B dev for clustering (with L2 normalisation before k-means) and classification;
3. **writes** ``results.md`` (a table per family, the configuration in words, isotropy
   figures, a claim-by-claim reading of the paper's four claims), ``results.csv`` (every
   number, selection and evaluation rows kept apart) and ``results.png``.

Run ``python benchmarks/study.py`` or ``sentemb study`` (``--quick`` for a run of a few
minutes on subsampled tasks with tiny grids). The caps that keep the full run within an
hour on two CPU cores (texts per clustering task, examples per classification split,
WikiText sentences, folds) are parameters, recorded in the outputs.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets

__all__ = ["Corpus", "StudySettings", "add_arguments", "main", "run", "run_study"]

MINILM_L6 = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_L3 = Path(__file__).resolve().parents[2] / "shared" / "models" / "paraphrase-MiniLM-L3-v2"

#: Model families in table order: key -> (title, short name for the figure, kind).
FAMILY_INFO = {
    "random": (
        "Random token vectors (bert-base-uncased WordPiece vocabulary of all-MiniLM-L6-v2, "
        "384-d, standard normal, seed 0)",
        "Random",
        "static",
    ),
    "glove": ("GloVe 6B 50d word vectors", "GloVe", "static"),
    "input": ("all-MiniLM-L6-v2 input token embeddings", "Input emb.", "static"),
    "avg": (
        "Avg.: all-MiniLM-L6-v2 last-layer token vectors averaged per token over WikiText-103 "
        "valid+test",
        "Avg.",
        "static",
    ),
    "l3": ("paraphrase-MiniLM-L3-v2 (contextual)", "MiniLM-L3", "contextual"),
    "l6": ("all-MiniLM-L6-v2 (contextual)", "MiniLM-L6", "contextual"),
    "bert_avg": (
        "BERT + Avg.: all-MiniLM-L6-v2 contextual token vectors mixed with its Avg. vectors",
        "L6 + Avg.",
        "mixed",
    ),
}
STATIC = ("random", "glove", "input", "avg")
CONTEXTUAL = ("l3", "l6")

# Task order of the evaluation loop: SICK-E right after SICK-R, so that the SICK test
# sentences' hidden states are still in the cache.
_TASK_ORDER = (
    *datasets.STS_TASKS,
    "sicke",
    *datasets.CLUSTERING_TASKS,
    *(task for task in datasets.CLASSIFICATION_TASKS if task != "sicke"),
)
_STS_YEARS = ("sts12", "sts13", "sts14", "sts15", "sts16")
_ONE_PER_LINE = {
    "mr": ("rt-polarity.pos", "rt-polarity.neg"),
    "cr": ("custrev.pos", "custrev.neg"),
    "subj": ("subj.objective", "subj.subjective"),
    "mpqa": ("mpqa.pos", "mpqa.neg"),
}
_SPLIT_FILES = {
    "sst2": ("sentiment-train", "sentiment-dev", "sentiment-test"),
    "sst5": ("sentiment-train", "sentiment-dev", "sentiment-test"),
    "trec": ("train_5500.label", "TREC_10.label"),
    "mrpc": ("msr_paraphrase_train.txt", "msr_paraphrase_test.txt"),
}
_SICK_TRAIN, _SICK_TRIAL, _SICK_TEST = "SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt"
#: SentEval's own Spearman x 100 ("all" convention for STS12-15) for two of the baselines
#: (../shared/data/REFERENCE.md): all-MiniLM-L6-v2 mean over all tokens, and the random
#: token vectors of the tokenizer (default_rng(0), 384-d) averaged without special tokens.
REFERENCE_STS = {
    "l6": {"sts12": 72.37, "sts13": 80.60, "sts14": 75.60, "sts15": 85.39, "stsb": 82.03, "sickr": 77.15},
    "random": {"sts12": 34.66, "sts13": 48.94, "sts14": 48.26, "sts15": 61.68, "stsb": 46.53, "sickr": 54.26},
}  # fmt: skip
#: Classification C grid (see the module notes in results.md): standardised features,
#: capped training sets.
CLASSIFICATION_CS = (0.01, 0.1, 1.0)


# --------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------


@dataclass
class StudySettings:
    """Everything that sets the study's numbers (the caps are per task, seeded)."""

    quick: bool = False
    seed: int = 0
    families: tuple[str, ...] = tuple(FAMILY_INFO)
    tasks: tuple[str, ...] | None = None  # None: every task found in data_home
    #: Selection: STS-B dev pairs (None: all) and cross-validation folds on them.
    dev_pairs: int | None = None
    search_cv: int = 5
    #: Pairs per STS task (per year, spread over its subsets in proportion; None: all).
    sts_pairs: int | None = None
    #: Texts per clustering task.
    clustering_texts: int | None = 3000
    #: Examples per classification file (split); MR/CR/SUBJ/MPQA: per task, in proportion
    #: to the label files. SICK-E's test split is SICK-R's and is never capped here.
    classification_examples: int | None = 2000
    #: WikiText-103 valid+test sentences the learned steps may be fitted on (fit_on).
    wiki_sentences: int = 2000
    #: WikiText-103 valid+test sentences Avg. is averaged over (None: all).
    avg_sentences: int | None = None
    n_seeds: int = 5
    cv: int = 5
    inner_cv: int = 3
    Cs: tuple[float, ...] = CLASSIFICATION_CS
    batch_size: int = 64
    cache_bytes: int = 4 * 2**30
    l3_model: str = str(DEFAULT_L3)
    l6_model: str = MINILM_L6

    @classmethod
    def quick_settings(cls, **overrides) -> StudySettings:
        """Subsampled tasks, tiny grids and corpora: a run of a couple of minutes."""
        values = dict(
            quick=True,
            dev_pairs=300,
            search_cv=3,
            sts_pairs=120,
            clustering_texts=150,
            classification_examples=120,
            wiki_sentences=150,
            avg_sentences=300,
            n_seeds=2,
            cv=3,
            inner_cv=2,
            tasks=("sts12", "stsb", "sickr", "sicke", "agnews_8000", "tweet", "mr", "trec"),
        )
        values.update(overrides)
        return cls(**values)


class Corpus(list):
    """A list of texts with a short name: grids, tables and logs show the name, not the texts.

    Examples
    --------
    >>> corpus = Corpus(["a text", "another"], name="two texts")
    >>> corpus, len(corpus)
    (two texts, 2)
    """

    def __init__(self, texts=(), name="corpus"):
        super().__init__(texts)
        self.name = name

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


class _Log:
    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream if stream is not None else sys.stdout

    def __call__(self, message: str) -> None:
        elapsed = time.perf_counter() - self.start
        print(f"[{elapsed / 60:6.2f} min] {message}", file=self.stream, flush=True)


# --------------------------------------------------------------------------------------
# capped data home
# --------------------------------------------------------------------------------------


def _raw_lines(path: Path) -> list[bytes]:
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + (b"\n" if lines else b""))


def _choose(n_items: int, k: int | None, key: str, seed: int) -> np.ndarray:
    """Sorted indices of a seeded sample of ``k`` of ``n_items`` (all when k is None)."""
    if k is None or k >= n_items:
        return np.arange(n_items)
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    return np.sort(rng.choice(n_items, size=k, replace=False))


def _proportional(sizes: list[int], total: int | None) -> list[int | None]:
    """Split a cap over parts in proportion to their sizes (None: no cap)."""
    if total is None or total >= sum(sizes):
        return [None] * len(sizes)
    return [max(1, round(total * n / sum(sizes))) for n in sizes]


def _cap_file(src: Path, dst: Path, cap: int | None, seed: int, header: int = 0) -> None:
    if cap is None:
        os.symlink(src, dst)
        return
    lines = _raw_lines(src)
    body = [line for line in lines[header:] if line.strip()]
    keep = _choose(len(body), cap, f"{src.parent.name}/{src.name}", seed)
    _write_lines(dst, lines[:header] + [body[i] for i in keep])


def _cap_sts_year(src: Path, dst: Path, cap: int | None, seed: int) -> None:
    inputs = sorted(src.glob("*.input.*.txt"))
    scored = {}
    for path in inputs:
        gold = _raw_lines(path.with_name(path.name.replace(".input.", ".gs.")))
        lines = _raw_lines(path)
        scored[path] = [i for i in range(min(len(lines), len(gold))) if gold[i].strip()]
    caps = _proportional([len(v) for v in scored.values()], cap)
    for path, k in zip(inputs, caps):
        gs = path.with_name(path.name.replace(".input.", ".gs."))
        if k is None:
            os.symlink(path, dst / path.name)
            os.symlink(gs, dst / gs.name)
            continue
        rows = [scored[path][i] for i in _choose(len(scored[path]), k, str(path.name), seed)]
        lines, gold = _raw_lines(path), _raw_lines(gs)
        _write_lines(dst / path.name, [lines[i] for i in rows])
        _write_lines(dst / gs.name, [gold[i] for i in rows])


def build_capped_data_home(source, target, settings: StudySettings) -> dict[str, str]:
    """Write a copy of ``source`` with each task cut to the caps of ``settings``.

    Files that are not capped are symbolic links to the originals; capped files keep the
    release's format (and header line), holding a seeded sample of its lines in file
    order, so the package's loaders read them as they read the release. Returns a note per
    capped folder.
    """
    from .evaluation import FAMILIES

    source, target = Path(source), Path(target)
    seed = settings.seed
    notes = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        name = folder.name
        out = target / name
        if name in _STS_YEARS:
            out.mkdir()
            _cap_sts_year(folder, out, settings.sts_pairs, seed)
        elif name == "stsb":
            out.mkdir()
            for path in folder.iterdir():
                cap = settings.sts_pairs if path.name == "sts-test.csv" else None
                _cap_file(path, out / path.name, cap, seed)
        elif name == "sick":
            out.mkdir()
            caps = {
                _SICK_TRAIN: settings.classification_examples,
                _SICK_TRIAL: settings.classification_examples,
                _SICK_TEST: settings.sts_pairs,
            }
            for path in folder.iterdir():
                header = 1 if path.name in caps else 0
                _cap_file(path, out / path.name, caps.get(path.name), seed, header)
        elif name in FAMILIES["clustering"]:
            out.mkdir()
            for path in folder.iterdir():
                cap = settings.clustering_texts if path.suffix == ".tsv" else None
                _cap_file(path, out / path.name, cap, seed)
        elif name in _ONE_PER_LINE:
            out.mkdir()
            files = [folder / f for f in _ONE_PER_LINE[name] if (folder / f).is_file()]
            sizes = [sum(1 for line in _raw_lines(p) if line.strip()) for p in files]
            caps = dict(zip(files, _proportional(sizes, settings.classification_examples)))
            for path in folder.iterdir():
                _cap_file(path, out / path.name, caps.get(path), seed)
        elif name in _SPLIT_FILES:
            out.mkdir()
            for path in folder.iterdir():
                capped = path.name in _SPLIT_FILES[name]
                cap = settings.classification_examples if capped else None
                _cap_file(path, out / path.name, cap, seed, header=int(name == "mrpc" and capped))
        else:
            os.symlink(folder, out)
    return notes


# --------------------------------------------------------------------------------------
# model families
# --------------------------------------------------------------------------------------


@dataclass
class Family:
    """A model family: its baseline pipeline and the grids searched around it."""

    key: str
    baseline: object
    grids: list[dict]
    notes: str = ""
    selection: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return FAMILY_INFO[self.key][0]

    @property
    def short(self) -> str:
        return FAMILY_INFO[self.key][1]


def _pipe(tokens, exclude=("special",)):
    from sklearn.pipeline import Pipeline

    from ._fit_on import FitOn
    from ._pooling import TokenPooler

    return Pipeline(
        [
            ("fit_on", FitOn()),
            ("tokens", tokens),
            ("pool", TokenPooler("mean", exclude=exclude)),
            ("refine", "passthrough"),
        ]
    )


def _refiners(names, abtt_components=3, seed=0) -> list:
    from sklearn.preprocessing import QuantileTransformer, StandardScaler

    from ._refine import AllButTheTop, CommonComponentRemoval, Whitening

    make = {
        "none": lambda: "passthrough",
        "whitening": lambda: Whitening(),
        "abtt": lambda: AllButTheTop(n_components=abtt_components),
        "zscore": lambda: StandardScaler(),
        "quantile": lambda: QuantileTransformer(n_quantiles=256, random_state=seed),
        "ccr": lambda: CommonComponentRemoval(n_components=1),
    }
    return [make[name]() for name in names]


def _static_grids(quick, wiki, abtt, seed):
    if quick:
        return [
            {
                "pool__weighting": [None, "idf"],
                "refine": _refiners(["none", "whitening"], abtt, seed),
                "fit_on__corpus": [None, wiki],
            }
        ]
    return [
        {
            "pool__weighting": [None, "idf", "sif", "usif"],
            "pool__exclude": [("special",), ("special", "punctuation")],
            "refine": _refiners(
                ["none", "whitening", "abtt", "zscore", "quantile", "ccr"], abtt, seed
            ),
            "fit_on__corpus": [None, wiki],
        }
    ]


def _contextual_grids(quick, wiki, seed):
    if quick:
        return [
            {
                "tokens__layers": [-1, [1, -1]],
                "refine": _refiners(["none", "whitening"], seed=seed),
                "fit_on__corpus": [None, wiki],
            },
            {"tokens__template": ["promptbert"], "pool__method": ["mask"]},
        ]
    return [
        {
            "tokens__layers": [-1, [1, -1], [0, -1], [-2, -1]],
            "pool__exclude": [(), ("special",)],
            "pool__weighting": [None, "idf"],
            "refine": _refiners(["none", "whitening", "abtt", "zscore", "quantile"], seed=seed),
            "fit_on__corpus": [None, wiki],
        },
        {
            "tokens__template": ["promptbert"],
            "pool__method": ["mask"],
            "refine": _refiners(["none", "whitening", "zscore"], seed=seed),
        },
        {
            "tokens__template": ["promptbert"],
            "pool__exclude": [("special", "template", "mask")],
            "refine": _refiners(["none", "whitening", "zscore"], seed=seed),
        },
    ]


def _mixed_grids(quick, wiki, seed):
    if quick:
        return [
            {
                "tokens__weight": [0.5],
                "refine": _refiners(["none", "whitening"], seed=seed),
                "fit_on__corpus": [None, wiki],
            }
        ]
    return [
        {
            "tokens__weight": [0.25, 0.5, 0.75],
            "pool__exclude": [(), ("special",)],
            "pool__weighting": [None, "idf"],
            "refine": _refiners(["none", "whitening", "abtt", "zscore", "quantile"], seed=seed),
            "fit_on__corpus": [None, wiki],
        }
    ]


class _Context:
    """Models and corpora shared by the families, built once and lazily."""

    def __init__(self, settings: StudySettings, data_home, log):
        self.settings = settings
        self.data_home = data_home
        self.log = log
        self._avg = None
        self._sentences = None

    def sentences(self) -> list[str]:
        if self._sentences is None:
            from .datasets import load_corpus

            self._sentences = load_corpus(
                "wikitext103", data_home=self.data_home, sentence_split=True, min_tokens=3
            )
        return self._sentences

    def corpus(self, n, key) -> Corpus:
        sentences = self.sentences()
        keep = _choose(len(sentences), n, key, self.settings.seed)
        name = f"WikiText-103 ({len(keep)} sentences)"
        return Corpus([sentences[i] for i in keep], name=name)

    def wiki(self) -> Corpus:
        return self.corpus(self.settings.wiki_sentences, "wiki-fit")

    def avg(self):
        """The Avg. table of all-MiniLM-L6-v2, fitted once on WikiText (frozen)."""
        if self._avg is None:
            from sklearn.frozen import FrozenEstimator

            from ._featurize import TransformerFeaturizer
            from ._static import AveragedTokenEmbeddings

            corpus = self.corpus(self.settings.avg_sentences, "wiki-avg")
            start = time.perf_counter()
            featurizer = TransformerFeaturizer(
                self.settings.l6_model, cache=False, batch_size=self.settings.batch_size
            )
            avg = AveragedTokenEmbeddings(featurizer).fit(corpus)
            self.avg_corpus = corpus
            self.log(f"Avg. table fitted on {corpus!r} in {time.perf_counter() - start:.0f} s")
            self._avg = FrozenEstimator(avg)
        return self._avg


def build_family(key: str, ctx: _Context) -> Family:
    """The baseline pipeline and the grids of one model family."""
    from sklearn.frozen import FrozenEstimator

    from ._featurize import TransformerFeaturizer
    from ._mixer import TokenMixer
    from ._static import InputTokenEmbeddings, RandomTokenEmbeddings, load_glove

    s = ctx.settings
    wiki = ctx.wiki()

    def featurizer(model):
        return TransformerFeaturizer(model, batch_size=s.batch_size)

    if key == "random":
        tokens = RandomTokenEmbeddings(s.l6_model, dim=384, random_state=s.seed)
        return Family(key, _pipe(tokens), _static_grids(s.quick, wiki, 3, s.seed))
    if key == "glove":
        tokens = FrozenEstimator(load_glove())
        return Family(key, _pipe(tokens), _static_grids(s.quick, wiki, 1, s.seed))
    if key == "input":
        tokens = InputTokenEmbeddings(s.l6_model)
        return Family(key, _pipe(tokens), _static_grids(s.quick, wiki, 3, s.seed))
    if key == "avg":
        return Family(key, _pipe(ctx.avg()), _static_grids(s.quick, wiki, 3, s.seed))
    if key == "l3":
        return Family(
            key, _pipe(featurizer(s.l3_model), ()), _contextual_grids(s.quick, wiki, s.seed)
        )
    if key == "l6":
        return Family(
            key, _pipe(featurizer(s.l6_model), ()), _contextual_grids(s.quick, wiki, s.seed)
        )
    if key == "bert_avg":
        tokens = TokenMixer(featurizer(s.l6_model), ctx.avg(), weight=0.5)
        return Family(key, _pipe(tokens, ()), _mixed_grids(s.quick, wiki, s.seed))
    raise ValueError(f"unknown model family {key!r}; choose from {', '.join(FAMILY_INFO)}.")


# --------------------------------------------------------------------------------------
# configuration in words
# --------------------------------------------------------------------------------------

_REFINER_WORDS = {
    "passthrough": "no post-processing",
    "Whitening": "whitening (PCA, all components)",
    "AllButTheTop": "all-but-the-top ({n} directions removed)",
    "StandardScaler": "z-score per dimension",
    "QuantileTransformer": "quantile transform to uniform (256 quantiles)",
    "CommonComponentRemoval": "common-component removal (1 direction)",
}


def _layers_words(layers) -> str:
    if layers in (-1, [-1]):
        return "last layer"
    names = {-1: "last", -2: "second-to-last", 0: "embedding layer", 1: "first"}
    parts = [names.get(layer, f"layer {layer}") for layer in layers]
    return "mean of the " + " and ".join(parts) + " layers"


def _exclude_words(exclude) -> str:
    exclude = tuple(exclude or ())
    if not exclude:
        return "all tokens (special tokens included)"
    names = {
        "special": "special",
        "punctuation": "punctuation",
        "template": "template",
        "mask": "[MASK]",
        "frequent": "frequent",
    }
    return "the text's tokens without " + ", ".join(names.get(e, str(e)) for e in exclude)


def describe_config(family: Family, pipeline) -> str:
    """One sentence naming every choice of a pipeline built by :func:`build_family`."""
    params = pipeline.get_params()
    parts = []
    if family.key in CONTEXTUAL or family.key == "bert_avg":
        prefix = "tokens__first__" if family.key == "bert_avg" else "tokens__"
        parts.append(_layers_words(params[prefix + "layers"]))
        template = params.get(prefix + "template")
        if template:
            parts.append(f"PromptBERT template ({template!r})")
    if family.key == "bert_avg":
        w = params["tokens__weight"]
        parts.append(f"token vectors {w:g} x contextual + {1 - w:g} x Avg.")
    pool = params["pool"]
    if pool.method == "mask":
        parts.append("the [MASK] token's vector")
    else:
        weighting = {
            None: "plain",
            "idf": "idf-weighted",
            "sif": "SIF-weighted",
            "usif": "uSIF-weighted",
        }
        parts.append(
            f"{weighting[pool.weighting]} {pool.method} over {_exclude_words(pool.exclude)}"
        )
    refine = params["refine"]
    name = "passthrough" if refine == "passthrough" else type(refine).__name__
    words = _REFINER_WORDS.get(name, name)
    if name == "AllButTheTop":
        words = words.format(n=refine.n_components)
    parts.append(words)
    corpus = params["fit_on__corpus"]
    learned = pool.weighting is not None or refine != "passthrough"
    if learned:
        parts.append(
            "learned steps fitted on each task's own texts"
            if corpus is None
            else f"learned steps fitted on {corpus!r}"
        )
    return "; ".join(parts)


def _short_value(value) -> str:
    if value is None:
        return "None"
    if value == "passthrough":
        return "none"
    if hasattr(value, "get_params"):
        return type(value).__name__
    return repr(value)


def _short_params(params: dict) -> str:
    return ", ".join(f"{k.split('__', 1)[-1]}={_short_value(v)}" for k, v in params.items())


# --------------------------------------------------------------------------------------
# selection on STS-B dev
# --------------------------------------------------------------------------------------


def select(family: Family, dev_pairs, dev_gold, settings: StudySettings, log) -> dict:
    """Grid-search the family on STS-B dev; return the chosen pipeline and the scores."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, cross_val_score

    from .metrics import make_sts_scorer
    from .search import search_sts

    start = time.perf_counter()
    folds = KFold(settings.search_cv, shuffle=True, random_state=settings.seed)
    baseline_scores = cross_val_score(
        clone(family.baseline), dev_pairs, dev_gold, scoring=make_sts_scorer(), cv=folds
    )
    candidates = []
    for grid in family.grids:
        result = search_sts(
            clone(family.baseline),
            grid,
            dev_pairs,
            dev_gold,
            cv=settings.search_cv,
            random_state=settings.seed,
        )
        found = result.search.cv_results_
        for i, params in enumerate(found["params"]):
            candidates.append(
                {
                    "params": params,
                    "mean": float(found["mean_test_score"][i]),
                    "std": float(found["std_test_score"][i]),
                }
            )
    best = max(candidates, key=lambda c: c["mean"])  # first of ties
    pipeline = clone(family.baseline).set_params(**clone(best["params"], safe=False))
    selection = {
        "pipeline": pipeline,
        "params": best["params"],
        "dev_best": best["mean"],
        "dev_best_std": best["std"],
        "dev_baseline": float(np.mean(baseline_scores)),
        "dev_baseline_std": float(np.std(baseline_scores)),
        "candidates": candidates,
        "seconds": time.perf_counter() - start,
    }
    family.selection = selection
    log(
        f"{family.key}: {len(candidates)} candidates x {settings.search_cv} folds on STS-B dev in "
        f"{selection['seconds']:.0f} s; baseline {100 * selection['dev_baseline']:.2f}, best "
        f"{100 * best['mean']:.2f} ({_short_params(best['params'])})"
    )
    return selection


def _refiner_name(value) -> str:
    return "none" if value == "passthrough" else type(value).__name__


def best_with_refiner(candidates, refiner: str):
    """The best candidate whose refiner has the given class name (None if none)."""
    chosen = [
        c for c in candidates if _refiner_name(c["params"].get("refine", "passthrough")) == refiner
    ]
    return max(chosen, key=lambda c: c["mean"]) if chosen else None


# --------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------


def _headline(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of evaluate's frame that the tables show (one score per task and metric)."""
    rows = frame[frame.task != "avg"]
    years = rows.task.isin(_STS_YEARS)
    keep = (
        (rows.family == "sts")
        & ((years & (rows.subset == "all")) | (~years & (rows.subset == "test")))
    ) | (rows.family != "sts")
    return rows[keep]


class _Evaluator:
    """evaluate() one task at a time for every family, so hidden states are reused."""

    def __init__(self, settings: StudySettings, data_home, log):
        self.settings = settings
        self.data_home = data_home
        self.log = log
        self.frames: list[pd.DataFrame] = []
        self.isotropy: list[dict] = []

    def _evaluate(self, embedder, task, fit_on, name, normalize=False) -> pd.DataFrame:
        from .evaluation import evaluate

        s = self.settings
        frame = evaluate(
            embedder,
            tasks=[task],
            data_home=self.data_home,
            fit_on=fit_on,
            missing="ignore",
            name=name,
            n_seeds=s.n_seeds,
            normalize=normalize,
            cv=s.cv,
            inner_cv=s.inner_cv,
            Cs=s.Cs,
            random_state=s.seed,
        )
        return frame[frame.task != "avg"]

    def run_task(self, task: str, families: list[Family], prepared: dict) -> None:
        from .evaluation import FAMILIES

        clustering = task in FAMILIES["clustering"]
        for family in families:
            for variant, (embedder, fit_on, fit_label) in prepared[family.key].items():
                frame = self._evaluate(embedder, task, fit_on, family.key)
                if frame.empty:
                    continue
                frame = frame.assign(variant=variant, fit_label=fit_label)
                if clustering:
                    frame = frame.assign(l2=False)
                    l2 = self._evaluate(embedder, task, fit_on, family.key, normalize=True)
                    frame = pd.concat(
                        [frame, l2.assign(variant=variant, fit_label=fit_label, l2=True)]
                    )
                else:
                    frame = frame.assign(l2=False)
                self.frames.append(frame)
                if task == "stsb":
                    self.isotropy.append(self._isotropy(family, variant, embedder, fit_on))

    def _isotropy(self, family, variant, embedder, fit_on) -> dict:
        from sklearn.base import clone

        from .datasets import load_sts
        from .metrics import (
            average_cosine_similarity,
            isotropy_ratio,
            top_component_variance_ratio,
        )

        pairs = load_sts("stsb", split="test", data_home=self.data_home).data
        texts = list(dict.fromkeys(pairs.ravel().tolist()))
        model = embedder if fit_on == "none" else clone(embedder).fit(texts)
        X = np.asarray(model.transform(texts), dtype=np.float64)
        return {
            "model_family": family.key,
            "variant": variant,
            "n": len(texts),
            "average_cosine": average_cosine_similarity(X),
            "isotropy_ratio": isotropy_ratio(X),
            "top_pc_variance": top_component_variance_ratio(X),
        }


def _prepare(family: Family, log) -> dict:
    """Embedders to evaluate: the baseline (fit on the task: nothing is learned) and the
    chosen pipeline, fitted once on its corpus when it is fitted on one."""
    from sklearn.base import clone

    best = family.selection["pipeline"]
    corpus = best.get_params()["fit_on__corpus"]
    if corpus is None:
        best_entry = (best, "task", "each task's texts")
    else:
        start = time.perf_counter()
        fitted = clone(best).fit(list(corpus))
        log(
            f"{family.key}: best pipeline fitted on {corpus!r} in {time.perf_counter() - start:.0f} s"
        )
        best_entry = (fitted, "none", repr(corpus))
    return {"baseline": (family.baseline, "task", "nothing learned"), "best": best_entry}


# --------------------------------------------------------------------------------------
# tidy results
# --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "model_family",
    "variant",
    "role",
    "task_family",
    "task",
    "subset",
    "metric",
    "score_x100",
    "std_x100",
    "n",
    "fitted_on",
    "config",
)


def _evaluation_rows(frames: list[pd.DataFrame], configs: dict) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True)
    variant = np.where(frame.l2, frame.variant + "+l2", frame.variant)
    out = pd.DataFrame(
        {
            "model_family": frame.embedder,
            "variant": variant,
            "role": "evaluation",
            "task_family": frame.family,
            "task": frame.task,
            "subset": frame.subset,
            "metric": frame.metric,
            "score_x100": 100 * frame.score,
            "std_x100": 100 * frame["std"],
            "n": frame.n,
            "fitted_on": frame.fit_label,
            "config": [configs[(f, v)] for f, v in zip(frame.embedder, frame.variant)],
        }
    )
    return out


def _averages(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Per family, variant and task family: the mean of the headline scores over tasks."""
    rows = []
    head = _headline(
        evaluation.rename(columns={"task_family": "family"}).assign(score=evaluation.score_x100)
    )
    for (fam, variant, task_family, metric), part in head.groupby(
        ["model_family", "variant", "family", "metric"], sort=False
    ):
        if task_family == "classification" and metric != "accuracy":
            continue
        rows.append(
            {
                "model_family": fam,
                "variant": variant,
                "role": "evaluation",
                "task_family": task_family,
                "task": "avg",
                "subset": "all" if task_family == "sts" else "mean",
                "metric": metric,
                "score_x100": part.score_x100.mean(),
                "std_x100": np.nan,
                "n": len(part),
                "fitted_on": part.fitted_on.iloc[0],
                "config": part.config.iloc[0],
            }
        )
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def _selection_rows(families: list[Family], configs: dict, dev_n: int, cv: int) -> pd.DataFrame:
    rows = []
    for family in families:
        sel = family.selection
        base = {
            "model_family": family.key,
            "role": "selection",
            "task_family": "sts",
            "task": "stsb",
            "subset": "dev",
            "metric": f"spearman ({cv}-fold CV mean)",
            "n": dev_n,
            "fitted_on": "training folds of STS-B dev, or the corpus named in config",
        }
        rows.append(
            {
                **base,
                "variant": "baseline",
                "score_x100": 100 * sel["dev_baseline"],
                "std_x100": 100 * sel["dev_baseline_std"],
                "config": configs[(family.key, "baseline")],
            }
        )
        rows.append(
            {
                **base,
                "variant": "best",
                "score_x100": 100 * sel["dev_best"],
                "std_x100": 100 * sel["dev_best_std"],
                "config": configs[(family.key, "best")],
            }
        )
        for cand in sorted(sel["candidates"], key=lambda c: -c["mean"]):
            rows.append(
                {
                    **base,
                    "variant": "candidate",
                    "score_x100": 100 * cand["mean"],
                    "std_x100": 100 * cand["std"],
                    "config": _short_params(cand["params"]),
                }
            )
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def _isotropy_rows(isotropy: list[dict], configs: dict) -> pd.DataFrame:
    rows = []
    for item in isotropy:
        for metric in ("average_cosine", "isotropy_ratio", "top_pc_variance"):
            rows.append(
                {
                    "model_family": item["model_family"],
                    "variant": item["variant"],
                    "role": "isotropy",
                    "task_family": "sts",
                    "task": "stsb",
                    "subset": "test",
                    "metric": metric,
                    "score_x100": 100 * item[metric],
                    "std_x100": np.nan,
                    "n": item["n"],
                    "fitted_on": "",
                    "config": configs[(item["model_family"], item["variant"])],
                }
            )
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


# --------------------------------------------------------------------------------------
# markdown
# --------------------------------------------------------------------------------------


def _md_table(header: list[str], rows: list[list]) -> str:
    def cell(value):
        if isinstance(value, float):
            return "–" if not math.isfinite(value) else f"{value:.2f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _signed(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:+.2f}"


def _display(task: str) -> str:
    from .evaluation import _DISPLAY

    return _DISPLAY.get(task, task)


def _score(table: pd.DataFrame, fam, variant, task, metric) -> float:
    hit = table[
        (table.model_family == fam)
        & (table.variant == variant)
        & (table.task == task)
        & (table.metric == metric)
    ]
    return float(hit.score_x100.iloc[0]) if len(hit) else float("nan")


class _Report:
    def __init__(self, head: pd.DataFrame, averages: pd.DataFrame, families, settings, extra):
        self.table = pd.concat([head, averages], ignore_index=True)
        self.families = families
        self.settings = settings
        self.extra = extra

    def s(self, fam, variant, task, metric):
        return _score(self.table, fam, variant, task, metric)

    def tasks(self, task_family) -> list[str]:
        present = set(self.table[self.table.task_family == task_family].task) - {"avg"}
        return [t for t in _TASK_ORDER if t in present]

    def avg(self, fam, variant, task_family, metric):
        hit = self.table[
            (self.table.model_family == fam)
            & (self.table.variant == variant)
            & (self.table.task_family == task_family)
            & (self.table.task == "avg")
            & (self.table.metric == metric)
        ]
        return float(hit.score_x100.iloc[0]) if len(hit) else float("nan")

    # -- per family ----------------------------------------------------------------
    def family_section(self, family: Family, isotropy: pd.DataFrame) -> str:
        sel = family.selection
        key = family.key
        out = [f"### {family.short}: {family.title}", ""]
        out.append(f"- **Baseline**: {self.extra['configs'][(key, 'baseline')]}.")
        out.append(f"- **Best on STS-B dev**: {self.extra['configs'][(key, 'best')]}.")
        out.append(
            f"- **Selection** (STS-B dev, {self.settings.search_cv}-fold CV, "
            f"{len(sel['candidates'])} candidates): baseline "
            f"{100 * sel['dev_baseline']:.2f} ± {100 * sel['dev_baseline_std']:.2f}, best "
            f"{100 * sel['dev_best']:.2f} ± {100 * sel['dev_best_std']:.2f} (tuned on these "
            "folds: not a held-out score)."
        )
        whitening = best_with_refiner(sel["candidates"], "Whitening")
        if whitening is not None:
            out.append(
                f"- Best whitening candidate on dev: {100 * whitening['mean']:.2f} "
                f"({_short_params(whitening['params'])})."
            )
        out.append("")
        sts = self.tasks("sts")
        if sts:
            header = ["STS (Spearman x 100)", *[_display(t) for t in sts], "Avg."]
            rows = []
            for variant in ("baseline", "best"):
                rows.append(
                    [variant]
                    + [self.s(key, variant, t, "spearman") for t in sts]
                    + [self.avg(key, variant, "sts", "spearman")]
                )
            rows.append(["gain"] + [_signed(b - a) for a, b in zip(rows[0][1:], rows[1][1:])])
            out += [_md_table(header, rows), ""]
        clustering = self.tasks("clustering")
        if clustering:
            header = ["Clustering (x 100)", *[_display(t) for t in clustering], "Avg."]
            rows = []
            for metric, label in (("accuracy", "acc."), ("nmi", "NMI")):
                lines = []
                for variant, name in (
                    ("baseline", "baseline"),
                    ("baseline+l2", "baseline + L2"),
                    ("best+l2", "best (+ L2)"),
                ):
                    lines.append(
                        [f"{label} {name}"]
                        + [self.s(key, variant, t, metric) for t in clustering]
                        + [self.avg(key, variant, "clustering", metric)]
                    )
                lines.append(
                    [f"{label} gain"] + [_signed(b - a) for a, b in zip(lines[0][1:], lines[2][1:])]
                )
                rows += lines
            out += [_md_table(header, rows), ""]
        classification = self.tasks("classification")
        if classification:
            header = [
                "Classification (accuracy x 100)",
                *[_display(t) for t in classification],
                "Avg.",
            ]
            rows = []
            for variant in ("baseline", "best"):
                rows.append(
                    [variant]
                    + [self.s(key, variant, t, "accuracy") for t in classification]
                    + [self.avg(key, variant, "classification", "accuracy")]
                )
            rows.append(["gain"] + [_signed(b - a) for a, b in zip(rows[0][1:], rows[1][1:])])
            out += [_md_table(header, rows), ""]
        iso = isotropy[isotropy.model_family == key]
        if not iso.empty:
            header = [
                "Isotropy on STS-B test",
                "avg. cosine",
                "isotropy ratio",
                "top PC variance share",
            ]
            rows = []
            for variant in ("baseline", "best"):
                part = iso[iso.variant == variant].set_index("metric").score_x100 / 100
                if part.empty:
                    continue
                rows.append(
                    [
                        variant,
                        f"{part['average_cosine']:.3f}",
                        f"{part['isotropy_ratio']:.3g}",
                        f"{part['top_pc_variance']:.3f}",
                    ]
                )
            out += [_md_table(header, rows), ""]
        return "\n".join(out)

    # -- summary -------------------------------------------------------------------
    def summary_table(self) -> str:
        header = ["model family", "STS base", "STS best", "gain", "clust. acc base", "best (+L2)", "gain",
                  "NMI base", "best (+L2)", "gain", "classif. base", "best", "gain"]  # fmt: skip
        rows = []
        for family in self.families:
            k = family.key
            cells = [family.short]
            for tf, metric, base, best in (
                ("sts", "spearman", "baseline", "best"),
                ("clustering", "accuracy", "baseline", "best+l2"),
                ("clustering", "nmi", "baseline", "best+l2"),
                ("classification", "accuracy", "baseline", "best"),
            ):
                a, b = self.avg(k, base, tf, metric), self.avg(k, best, tf, metric)
                cells += [a, b, _signed(b - a)]
            rows.append(cells)
        return _md_table(header, rows)

    def cosines(self, keys) -> str:
        """Average cosine of the baseline embeddings of STS-B test of some families, in words."""
        iso = self.extra.get("isotropy")
        if iso is None or iso.empty:
            return ""
        part = iso[(iso.variant == "baseline") & (iso.metric == "average_cosine")]
        values = dict(zip(part.model_family, part.score_x100 / 100))
        return ", ".join(
            f"{f.short} {values[f.key]:.3f}"
            for f in self.families
            if f.key in values and f.key in keys
        )

    def reference_check(self) -> str:
        """How far two baselines are from the original SentEval toolkit's STS numbers."""
        if self.settings.sts_pairs is not None:
            return ""
        parts = []
        for key, numbers in REFERENCE_STS.items():
            diffs = [
                abs(self.s(key, "baseline", task, "spearman") - value)
                for task, value in numbers.items()
            ]
            diffs = [d for d in diffs if math.isfinite(d)]
            if diffs:
                parts.append(f"{FAMILY_INFO[key][1]} {max(diffs):.2f} ({len(diffs)} tasks)")
        if not parts:
            return ""
        return (
            "- Check: the STS baselines of MiniLM-L6 and Random are the two encoders measured "
            "with the original SentEval toolkit in `../shared/data/REFERENCE.md`; the largest "
            "difference from those numbers is " + ", ".join(parts) + " Spearman x 100 points."
        )

    def claims(self) -> str:
        fams = [f.key for f in self.families]
        g = {}
        for k in fams:
            g[k] = {
                "sts": self.avg(k, "best", "sts", "spearman")
                - self.avg(k, "baseline", "sts", "spearman"),
                "acc": self.avg(k, "best+l2", "clustering", "accuracy")
                - self.avg(k, "baseline", "clustering", "accuracy"),
                "nmi": self.avg(k, "best+l2", "clustering", "nmi")
                - self.avg(k, "baseline", "clustering", "nmi"),
                "l2": self.avg(k, "baseline+l2", "clustering", "accuracy")
                - self.avg(k, "baseline", "clustering", "accuracy"),
                "cls": self.avg(k, "best", "classification", "accuracy")
                - self.avg(k, "baseline", "classification", "accuracy"),
                "held": float(
                    np.mean(
                        [
                            self.s(k, "best", t, "spearman") - self.s(k, "baseline", t, "spearman")
                            for t in ("stsb", "sickr")
                        ]
                    )
                ),
            }
        short = {f.key: f.short for f in self.families}
        out = []

        def listing(metric):
            return ", ".join(f"{short[k]} {_signed(g[k][metric])}" for k in fams)

        # (1)
        sts_up = [k for k in fams if g[k]["sts"] >= 1]
        clu_up = [k for k in fams if g[k]["acc"] >= 1 or g[k]["nmi"] >= 1]
        verdict = (
            "Supported"
            if len(sts_up) == len(fams) and len(clu_up) == len(fams)
            else "Partly supported"
            if sts_up or clu_up
            else "Not supported"
        )
        out.append(
            "**1. The right aggregation and post-processing lift unsupervised STS and clustering "
            f"far above plain averaging, for every model.** {verdict} here. Gain of the best "
            f"extraction over plain mean pooling, STS average (Spearman x 100): {listing('sts')}; "
            f"on the fully held-out STS-B test and SICK-R alone (their mean): {listing('held')}. "
            f"Clustering accuracy average (best + L2 vs plain baseline): {listing('acc')}; NMI: "
            f"{listing('nmi')}. A gain of at least 1 point on STS holds for "
            f"{len(sts_up)} of {len(fams)} families"
            + (
                f" (not for {', '.join(short[k] for k in fams if k not in sts_up)})"
                if len(sts_up) < len(fams)
                else ""
            )
            + f"; on clustering (accuracy or NMI) for {len(clu_up)} of {len(fams)}"
            + (
                f" (not for {', '.join(short[k] for k in fams if k not in clu_up)})"
                if len(clu_up) < len(fams)
                else ""
            )
            + f". L2 normalisation alone changes the baseline's clustering accuracy by {listing('l2')}."
        )
        ctx = [k for k in CONTEXTUAL if k in fams]
        if ctx:
            notes = []
            for k in ctx:
                cands = self.extra["selection"][k]["candidates"]
                white = best_with_refiner(cands, "Whitening")
                base = self.extra["selection"][k]["dev_baseline"]
                if white is not None:
                    notes.append(
                        f"{short[k]}: best whitening candidate {100 * white['mean']:.2f} vs baseline "
                        f"{100 * base:.2f} on STS-B dev ({_signed(100 * (white['mean'] - base))})"
                    )
            if notes:
                cosines = self.cosines(ctx)
                others = self.cosines([k for k in fams if k not in ctx])
                out[-1] += (
                    " Both contextual models here are sentence-fine-tuned (trained on sentence pairs "
                    "for cosine similarity), unlike the paper's plain BERT, and whitening, the "
                    "paper's main post-processing, hurts them on STS-B dev: "
                    + "; ".join(notes)
                    + "."
                    + (
                        " By the average cosine between their plain mean-pooled STS-B test "
                        f"embeddings they are already nearly isotropic ({cosines}; the other "
                        f"families: {others})."
                        if cosines
                        else ""
                    )
                )
        # (2)
        static = [k for k in STATIC if k in fams]
        if static and ctx:
            ref = "l6" if "l6" in fams else ctx[0]
            ref_best = self.avg(ref, "best", "sts", "spearman")
            ref_base = self.avg(ref, "baseline", "sts", "spearman")
            parts, close = [], []
            for k in static:
                best = self.avg(k, "best", "sts", "spearman")
                base = self.avg(k, "baseline", "sts", "spearman")
                gap_before, gap_after = ref_base - base, ref_best - best
                closed = (gap_before - gap_after) / gap_before if gap_before > 0 else float("nan")
                parts.append(
                    f"{short[k]} {best:.2f} (gap {gap_after:.2f}; "
                    f"{'–' if not math.isfinite(closed) else f'{100 * closed:.0f}%'} of the baseline gap closed)"
                )
                if gap_after <= 5:
                    close.append(k)
            verdict = (
                "Supported"
                if len(close) == len(static)
                else "Partly supported"
                if close
                else "Not supported"
            )
            out.append(
                "**2. Static token models, even random token vectors, come close to a contextual "
                f'model once reshaped.** {verdict} here ("close": within 5 points of the '
                f"contextual model's best STS average). {short[ref]} best STS average {ref_best:.2f} "
                f"(baseline {ref_base:.2f}); best static STS averages: {'; '.join(parts)}. The "
                "contextual models here are sentence-fine-tuned, a much stronger reference than the "
                "paper's plain BERT."
            )
        # (3)
        if "bert_avg" in fams and "l6" in fams:
            items = []
            signs = []
            for metric, label in (("accuracy", "accuracy"), ("nmi", "NMI")):
                for v_mix, v_ref, what in (
                    ("baseline", "baseline", "baselines"),
                    ("best+l2", "best+l2", "best (+ L2)"),
                ):
                    d = self.avg("bert_avg", v_mix, "clustering", metric) - self.avg(
                        "l6", v_ref, "clustering", metric
                    )
                    items.append(f"{label}, {what}: {_signed(d)}")
                    signs.append(d)
            verdict = (
                "Supported"
                if all(d >= 0.5 for d in signs)
                else "Not supported"
                if all(d <= 0 for d in signs)
                else "Partly supported"
            )
            out.append(
                "**3. BERT + Avg. helps clustering.** "
                f"{verdict} here: clustering averages of all-MiniLM-L6-v2 + Avg. minus "
                f'all-MiniLM-L6-v2 alone: {"; ".join(items)} ("helps": at least +0.5 in every '
                "comparison)."
            )
        # (4)
        big = [k for k in fams if g[k]["cls"] >= 2]
        losses = [k for k in fams if g[k]["cls"] <= -2]
        top = max(fams, key=lambda k: g[k]["cls"])
        verdict = (
            "Supported"
            if not big
            else "Not supported"
            if len(big) == len(fams)
            else "Partly supported"
        )
        text = (
            "**4. Classification gains little.** "
            f'{verdict} here ("little": no family gains 2 points or more; largest gain '
            f"{_signed(g[top]['cls'])}, {short[top]}). Classification accuracy average, best minus "
            f"baseline: {listing('cls')}; compare the STS gains under claim 1."
        )
        if losses:
            refine = {
                k: self.extra["selection"][k]["params"].get("refine", "passthrough") for k in losses
            }
            post = [k for k in losses if refine[k] != "passthrough"]
            text += f" The configuration chosen on STS costs {', '.join(short[k] for k in losses)} 2 points or more."
            if post:
                names = sorted(
                    {_REFINER_WORDS[_refiner_name(refine[k])].split(" (")[0] for k in post}
                )
                text += (
                    f" For {', '.join(short[k] for k in post)} it ends in "
                    + " or ".join(names)
                    + ", fitted on each task's own texts: a post-processing that removes or "
                    "equalises the dominant directions of the embeddings, which cosine similarity "
                    "on STS does better without but which the classifier (and k-means, claim 1) "
                    "can use. That is the likely reading; this study does not isolate it."
                )
            rest = [k for k in losses if k not in post]
            if rest:
                text += (
                    f" For {', '.join(short[k] for k in rest)} the chosen change is in the "
                    "pooling alone (token weights or exclusions)."
                )
        out.append(text)
        return "\n\n".join(out)


def _caps_lines(settings: StudySettings, data_counts: dict, dev_n: int, overlap: dict) -> list[str]:
    s = settings
    lines = [
        f"- **Selection data**: STS-B dev only, {dev_n} pairs, {s.search_cv}-fold cross-validation "
        f"(folds shuffled with seed {s.seed}); the same folds for every candidate. "
        "No evaluation task's labels select anything.",
        f"- STS: {'every pair' if s.sts_pairs is None else f'at most {s.sts_pairs} pairs per task (per year, spread over its subsets in proportion)'}"
        "; STS12–16 are scored as one Spearman correlation over all pairs of the year "
        "(SimCSE's 'all'; the CSV also has SentEval's mean and weighted mean and each subset); "
        "STS-B and SICK-R on their test splits.",
        f"- Clustering: at most {s.clustering_texts} texts per task (seeded sample); k-means "
        f"(k = number of labels in the sample, k-means++, {s.n_seeds} seeds), accuracy under "
        "the Hungarian matching and NMI, averaged over the seeds. **L2 switch**: the baseline is "
        "clustered as it is; the best configuration is L2-normalised before k-means (its "
        "selection criterion, cosine similarity, ignores vector norms); the tables also show the "
        "baseline with L2 normalisation, so the effect of L2 alone is visible.",
        f"- Classification: at most {s.classification_examples} examples per split file "
        "(MR, CR, SUBJ, MPQA: per task, in proportion to the label files; SST-2 train and test, "
        "TREC train, MRPC train and test, SICK-E train; SICK-E's test split is SICK-R's, kept "
        f"whole); logistic regression (lbfgs) on standardised features; MR/CR/SUBJ/MPQA "
        f"{s.cv}-fold outer CV, C chosen by {s.inner_cv}-fold inner CV; TREC and MRPC: C by "
        f"{s.inner_cv}-fold CV on train; SST-2 and SICK-E: C by the dev (trial) split; "
        f"C from {list(s.Cs)} (SentEval's 2^-2..2^3 converged about 10x slower on these "
        "standardised features and was less accurate on the capped training sets); MRPC and "
        "SICK-E classify [u, v, |u - v|, u * v].",
        f"- Corpus fits: `fit_on__corpus` is searched over the task's own texts (None) and "
        f"{s.wiki_sentences} WikiText-103 valid+test sentences (seeded sample of the "
        "sentence-split text, at least 3 tokens each). Avg. averages all-MiniLM-L6-v2's last "
        "layer over "
        + (
            "every sentence (at least 3 tokens)"
            if s.avg_sentences is None
            else f"a seeded sample of {s.avg_sentences} sentences"
        )
        + " of WikiText-103 valid+test; ids never seen keep their input embedding.",
        "- A learned step 'fitted on the task' is fitted on the task's own texts without labels "
        '(all splits of a classification task, test included), as `evaluate(fit_on="task")` does.',
        "- Caps are seeded samples of the release files' lines in file order; the loaders read "
        "the capped copies as they read the release.",
    ]
    shared = {t: v for t, v in overlap.items() if v[0]}
    if shared:
        lines.append(
            "- **Caveat**: STS-B was assembled from the STS 2012–2017 tasks, so some STS-B dev "
            "pairs are also pairs of the yearly STS tasks (counts below, over each release "
            "file's pairs). Those yearly scores are therefore not fully independent of the "
            "selection (the gold scores of the shared pairs took part in choosing the "
            "configuration, though nothing was trained on them)."
        )
    clean = [t for t in ("stsb", "sickr") if t in overlap and not overlap[t][0]]
    if clean:
        lines.append(
            f"- {' and '.join(_display(t) for t in clean)} "
            f"{'share' if len(clean) > 1 else 'shares'} no pair with STS-B dev: "
            "the fully held-out STS scores."
        )
    lines.append("")
    lines.append("Examples per task as evaluated:")
    lines.append("")
    rows = []
    for task, n in data_counts.items():
        hit = overlap.get(task)
        rows.append([_display(task), n, "" if hit is None else f"{hit[0]} of {hit[1]}"])
    lines.append(
        _md_table(["task", "as evaluated (after the caps)", "pairs also in STS-B dev"], rows)
    )
    return lines


def write_markdown(path, families, report: _Report, isotropy, settings, extra) -> None:
    s = settings
    mode = "quick" if s.quick else "full"
    out = [
        "# Results: plain mean pooling vs the best extraction, per model family",
        "",
        "Generated by `python benchmarks/study.py"
        + (" --quick" if s.quick else "")
        + "` (also `sentemb study`); do not edit by hand. "
        f"Mode: **{mode}**. Every number is Spearman, accuracy or NMI x 100. `results.csv` holds "
        "every number (the `role` column separates `selection` rows, tuned on STS-B dev, from "
        "`evaluation` rows and the `isotropy` figures); `results.png` plots the averages.",
        "",
        "How to read it: each family's **baseline** is plain mean pooling of its token vectors "
        "(contextual models: the last layer over all tokens, as sentence-transformers pools "
        "them; static models: the text's tokens, special tokens left out). Its **best** is the "
        "configuration with the highest mean Spearman over the cross-validation folds of **STS-B "
        "dev** among a grid of layers, templates, token weights, token exclusions, refiners and "
        "what the learned steps are fitted on. Only the *Selection* lines are tuned scores; every "
        "table is on evaluation data that selected nothing.",
        "",
        "## Summary (family averages)",
        "",
        report.summary_table(),
        "",
        "![baseline vs best per model family](results.png)",
        "",
        "## The paper's four claims on these models",
        "",
        report.claims(),
        "",
        "## Per model family",
        "",
    ]
    for family in families:
        out.append(report.family_section(family, isotropy))
    out += ["## Evaluation data, caps and protocol", ""]
    caps = _caps_lines(s, extra["data_counts"], extra["dev_n"], extra["overlap"])
    check = report.reference_check()
    if check:
        caps.insert(caps.index("Examples per task as evaluated:") - 1, check)
    out += caps
    skipped = extra.get("skipped") or []
    if skipped:
        out += [
            "",
            "Not in the data folder, so not evaluated: "
            + ", ".join(_display(t) for t in skipped)
            + ".",
        ]
    out += ["", "## Runtime", ""]
    out.append(
        f"Wall time {extra['wall_s'] / 60:.1f} min, peak resident memory "
        f"{extra['peak_gib']:.2f} GiB ({os.cpu_count()} CPU cores; forward passes cached in "
        f"memory, bound {s.cache_bytes / 2**30:.0f} GiB). Phases: "
        + ", ".join(f"{name} {sec / 60:.1f} min" for name, sec in extra["phases"].items())
        + "."
    )
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def plot(path, families, report: _Report) -> None:
    """Bars of the baseline and the best per family, for each task family's average."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("sts", "spearman", "baseline", "best", "STS: Spearman x 100"),
        ("clustering", "accuracy", "baseline", "best+l2", "Clustering: accuracy x 100"),
        ("clustering", "nmi", "baseline", "best+l2", "Clustering: NMI x 100"),
        ("classification", "accuracy", "baseline", "best", "Classification: accuracy x 100"),
    ]
    panels = [p for p in panels if report.tasks(p[0])]
    n_cols = 2 if len(panels) > 1 else 1
    n_rows = math.ceil(len(panels) / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(5.2 * n_cols, 3.6 * n_rows), squeeze=False)
    x = np.arange(len(families))
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (tf, metric, base, best, title) in zip(axes.flat, panels):
        a = [report.avg(f.key, base, tf, metric) for f in families]
        b = [report.avg(f.key, best, tf, metric) for f in families]
        ax.bar(x - 0.2, a, 0.4, label="baseline (mean pooling)", color="#9aa7b8")
        ax.bar(x + 0.2, b, 0.4, label="best on STS-B dev", color="#2f6db3")
        for xi, value in zip(x + 0.2, b):
            if math.isfinite(value):
                ax.text(xi, value, f"{value:.0f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [f.short for f in families], rotation=40, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=2)
    fig.suptitle(
        "Per-task-family averages: plain mean pooling vs the best extraction on STS-B dev",
        fontsize=10,
        x=0.02,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------


def _data_sizes(data_home, tasks) -> dict[str, str]:
    """What each task holds as evaluated (after the caps), in words."""
    from .datasets import load_classification, load_clustering, load_sts
    from .evaluation import FAMILIES

    sizes = {}
    for task in tasks:
        try:
            if task in FAMILIES["sts"]:
                split = "test" if task in ("stsb", "sickr") else None
                sizes[task] = (
                    f"{len(load_sts(task, split=split, data_home=data_home).target)} pairs"
                )
            elif task in FAMILIES["clustering"]:
                data = load_clustering(task, data_home=data_home)
                sizes[task] = f"{len(data.target)} texts, {len(np.unique(data.target))} classes"
            else:
                data = load_classification(task, data_home=data_home)
                what = "pairs" if data.data.ndim == 2 else "texts"
                if "split" not in data:
                    sizes[task] = f"{len(data.target)} {what} (cross-validated)"
                else:
                    names, counts = np.unique(data.split, return_counts=True)
                    found = dict(zip(names.tolist(), counts.tolist()))
                    order = [n for n in ("train", "dev", "trial", "test") if n in found]
                    sizes[task] = " / ".join(f"{n} {found[n]}" for n in order) + f" {what}"
        except FileNotFoundError:
            continue
    return sizes


def _dev_overlap(dev_pairs, data_home) -> dict[str, tuple[int, int]]:
    """Per STS task: how many of its scored pairs are also STS-B dev pairs (either order)."""
    from .datasets import load_sts

    dev = {(a, b) for a, b in dev_pairs.tolist()} | {(b, a) for a, b in dev_pairs.tolist()}
    found = {}
    for task in (*_STS_YEARS, "stsb", "sickr"):
        try:
            split = "test" if task in ("stsb", "sickr") else None
            pairs = load_sts(task, split=split, data_home=data_home).data
        except FileNotFoundError:
            continue
        found[task] = (sum((a, b) in dev for a, b in pairs.tolist()), len(pairs))
    return found


def run_study(data_home=None, output_dir="docs", settings: StudySettings | None = None, log=None):
    """Run the selection and the evaluation, and write results.md, .csv and .png.

    Returns the tidy frame of every number (what ``results.csv`` holds).
    """
    from sklearn.exceptions import ConvergenceWarning

    from ._cache import set_memory_cache_limit
    from .datasets import get_data_home, load_sts
    from .evaluation import TASKS

    settings = settings or StudySettings()
    log = log or _Log()
    start = time.perf_counter()
    phases = {}
    data_home = get_data_home(data_home)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message="n_quantiles .* is greater than the total number")
    warnings.filterwarnings("ignore", message="The least populated class in y has only")
    set_memory_cache_limit(settings.cache_bytes)
    unknown = [f for f in settings.families if f not in FAMILY_INFO]
    if unknown:
        raise ValueError(f"unknown model families {unknown}; choose from {list(FAMILY_INFO)}.")
    keys = [k for k in FAMILY_INFO if k in settings.families]
    tasks = list(settings.tasks) if settings.tasks is not None else list(TASKS)
    bad = [t for t in tasks if t not in TASKS]
    if bad:
        raise ValueError(f"unknown tasks {bad}; choose from {list(TASKS)}.")
    log(f"study ({'quick' if settings.quick else 'full'}): families {keys}; data {data_home}")

    with tempfile.TemporaryDirectory(prefix="sentemb-study-") as tmp:
        capped = Path(tmp) / "data"
        capped.mkdir()
        build_capped_data_home(data_home, capped, settings)
        data_sizes = _data_sizes(capped, [t for t in _TASK_ORDER if t in tasks])

        dev = load_sts("stsb", split="dev", data_home=data_home)
        keep = _choose(len(dev.target), settings.dev_pairs, "stsb-dev", settings.seed)
        dev_pairs, dev_gold = dev.data[keep], dev.target[keep]
        overlap = _dev_overlap(dev_pairs, data_home)

        ctx = _Context(settings, data_home, log)
        t0 = time.perf_counter()
        families = [build_family(k, ctx) for k in keys]
        phases["setup (models, Avg. table)"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        for family in families:
            select(family, dev_pairs, dev_gold, settings, log)
        phases["selection on STS-B dev"] = time.perf_counter() - t0

        configs = {}
        for family in families:
            configs[(family.key, "baseline")] = describe_config(family, family.baseline)
            configs[(family.key, "best")] = describe_config(family, family.selection["pipeline"])

        t0 = time.perf_counter()
        prepared = {family.key: _prepare(family, log) for family in families}
        evaluator = _Evaluator(settings, capped, log)
        order = [t for t in _TASK_ORDER if t in tasks]
        for task in order:
            t1 = time.perf_counter()
            evaluator.run_task(task, families, prepared)
            log(
                f"evaluated {task} for {len(families)} families in {time.perf_counter() - t1:.0f} s"
            )
        phases["evaluation"] = time.perf_counter() - t0

    evaluation = _evaluation_rows(evaluator.frames, configs)
    averages = _averages(evaluation)
    selection = _selection_rows(families, configs, len(dev_pairs), settings.search_cv)
    isotropy = _isotropy_rows(evaluator.isotropy, configs)
    table = pd.concat([selection, evaluation, averages, isotropy], ignore_index=True)
    evaluated = set(evaluation.task)
    skipped = [t for t in order if t not in evaluated]

    head = _headline(evaluation.rename(columns={"task_family": "family"})).rename(
        columns={"family": "task_family"}
    )
    report = _Report(
        head,
        averages,
        families,
        settings,
        {
            "configs": configs,
            "selection": {f.key: f.selection for f in families},
            "isotropy": isotropy,
        },
    )
    plot(output_dir / "results.png", families, report)
    phases["total"] = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    extra = {
        "data_counts": data_sizes,
        "dev_n": len(dev_pairs),
        "overlap": overlap,
        "skipped": skipped,
        "wall_s": phases["total"],
        "peak_gib": peak_gib,
        "phases": {k: v for k, v in phases.items() if k != "total"},
    }
    runtime = pd.DataFrame(
        [
            {
                "role": "runtime",
                "metric": "wall_minutes",
                "score_x100": np.nan,
                "config": f"{phases['total'] / 60:.2f}",
            },
            {
                "role": "runtime",
                "metric": "peak_memory_gib",
                "score_x100": np.nan,
                "config": f"{peak_gib:.2f}",
            },
        ],
        columns=CSV_COLUMNS,
    )
    table = pd.concat([table, runtime], ignore_index=True)
    table["n"] = table["n"].astype("Int64")
    table.to_csv(output_dir / "results.csv", index=False, float_format="%.4f")
    write_markdown(output_dir / "results.md", families, report, isotropy, settings, extra)
    log(
        f"done: wall time {phases['total'] / 60:.1f} min, peak memory {peak_gib:.2f} GiB; wrote "
        f"{output_dir / 'results.md'}, {output_dir / 'results.csv'}, {output_dir / 'results.png'}"
    )
    return table


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The study's options (shared by ``benchmarks/study.py`` and ``sentemb study``)."""
    parser.add_argument(
        "--data-home",
        default=None,
        help="folder of the data sets (default: $SKLEARN_SENTEMB_DATA or ~/sentemb_data)",
    )
    parser.add_argument(
        "--output-dir", default="docs", help="where results.md/.csv/.png go (default: %(default)s)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="subsampled tasks, tiny grids and corpora (a few minutes)",
    )
    parser.add_argument(
        "--families",
        nargs="+",
        choices=list(FAMILY_INFO),
        help="model families to run (default: all)",
    )
    parser.add_argument("--tasks", nargs="+", help="tasks to evaluate (default: all present)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every sample, fold and k-means"
    )
    parser.add_argument("--clustering-texts", type=int, help="texts per clustering task")
    parser.add_argument(
        "--classification-examples", type=int, help="examples per classification split"
    )
    parser.add_argument("--wiki-sentences", type=int, help="WikiText sentences for corpus fits")
    parser.add_argument("--avg-sentences", type=int, help="WikiText sentences for Avg. (0: all)")
    parser.add_argument("--l3-model", help="path of paraphrase-MiniLM-L3-v2")
    parser.add_argument(
        "--cache-gib", type=float, help="in-memory hidden-state cache bound (default 4)"
    )
    return parser


def run(args) -> int:
    """Run the study from parsed arguments."""
    overrides = {"seed": args.seed}
    for name in ("clustering_texts", "classification_examples", "wiki_sentences"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.avg_sentences is not None:
        overrides["avg_sentences"] = args.avg_sentences or None
    if args.families:
        overrides["families"] = tuple(args.families)
    if args.tasks:
        overrides["tasks"] = tuple(args.tasks)
    if args.l3_model:
        overrides["l3_model"] = args.l3_model
    if args.cache_gib:
        overrides["cache_bytes"] = int(args.cache_gib * 2**30)
    settings = (
        StudySettings.quick_settings(**overrides) if args.quick else StudySettings(**overrides)
    )
    run_study(args.data_home, args.output_dir, settings)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="study",
        description="Rerun the paper's comparison: plain mean pooling vs the best extraction "
        "found on STS-B dev, per model family, on STS, clustering and classification.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
