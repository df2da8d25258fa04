"""The model families: each one's baseline pipeline, the grids searched around it, and the
chosen configuration in words."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sklearn.frozen import FrozenEstimator

from sklearn_sentemb import (
    AveragedTokenEmbeddings,
    BERT2Static,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenMixer,
    TransformerFeaturizer,
    load_glove,
)
from sklearn_sentemb.datasets import load_corpus
from sklearn_sentemb.recipes import B2S_TRAINING
from sklearn_sentemb.search import make_refiner, make_search_pipeline

from .capping import choose
from .settings import CONTEXTUAL, FAMILY_INFO, Corpus, StudySettings

__all__ = ["Family", "build_family", "describe_config", "short_params"]


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


def _refiners(names, abtt_components=3, seed=0) -> list:
    """Refiners by name; all-but-the-top removes ``abtt_components`` directions."""
    params = {"abtt": {"n_components": abtt_components}, "quantile": {"random_state": seed}}
    return [make_refiner(name, **params.get(name, {})) for name in names]


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


class Context:
    """Models and corpora shared by the families, built once and lazily."""

    def __init__(self, settings: StudySettings, data_home, log):
        self.settings = settings
        self.data_home = data_home
        self.log = log
        self._avg = None
        self._sentences = None
        self._b2s = {}

    def sentences(self) -> list[str]:
        if self._sentences is None:
            self._sentences = load_corpus(
                "wikitext103", data_home=self.data_home, sentence_split=True, min_tokens=3
            )
        return self._sentences

    def corpus(self, n, key) -> Corpus:
        sentences = self.sentences()
        keep = choose(len(sentences), n, key, self.settings.seed)
        name = f"WikiText-103 ({len(keep)} sentences)"
        return Corpus([sentences[i] for i in keep], name=name)

    def wiki(self) -> Corpus:
        return self.corpus(self.settings.wiki_sentences, "wiki-fit")

    def avg(self):
        """The Avg. table of all-MiniLM-L6-v2, fitted once on WikiText (frozen)."""
        if self._avg is None:
            corpus = self.corpus(self.settings.avg_sentences, "wiki-avg")
            start = time.perf_counter()
            featurizer = TransformerFeaturizer(
                self.settings.l6_model, cache=False, batch_size=self.settings.batch_size
            )
            avg = AveragedTokenEmbeddings(featurizer).fit(corpus)
            self.log(f"Avg. table fitted on {corpus!r} in {time.perf_counter() - start:.0f} s")
            self._avg = FrozenEstimator(avg)
        return self._avg

    def b2s(self, dim):
        """BERT2Static of all-MiniLM-L6-v2 trained once on Avg.'s WikiText sentences (frozen),
        and how its training went, in words."""
        if dim not in self._b2s:
            corpus = self.corpus(self.settings.avg_sentences, "wiki-avg")
            start = time.perf_counter()
            b2s = BERT2Static(
                self.settings.l6_model,
                corpus=corpus,
                dim=dim,
                **B2S_TRAINING,
                teacher_batch_size=self.settings.batch_size,
                random_state=self.settings.seed,
            ).fit()
            seconds = time.perf_counter() - start
            self.log(f"B2S table (dim {dim}) trained on {corpus!r} in {seconds:.0f} s")
            notes = (
                f"Training: {b2s.n_contexts_} sentence contexts of {corpus!r}, {b2s.epochs} "
                f"epoch(s), {b2s.n_targets_} targets after subsampling, {seconds / 60:.1f} min "
                "on this machine (one teacher pass per sentence, then the table's updates)."
            )
            self._b2s[dim] = (FrozenEstimator(b2s), notes)
        return self._b2s[dim]


def build_family(key: str, ctx: Context) -> Family:
    """The baseline pipeline and the grids of one model family."""
    s = ctx.settings
    wiki = ctx.wiki()

    def contextual(model):
        return make_search_pipeline(model, exclude=(), batch_size=s.batch_size)

    if key == "random":
        tokens = RandomTokenEmbeddings(s.l6_model, dim=384, random_state=s.seed)
        return Family(key, make_search_pipeline(tokens), _static_grids(s.quick, wiki, 3, s.seed))
    if key == "glove":
        tokens = FrozenEstimator(load_glove())
        return Family(key, make_search_pipeline(tokens), _static_grids(s.quick, wiki, 1, s.seed))
    if key == "input":
        tokens = InputTokenEmbeddings(s.l6_model)
        return Family(key, make_search_pipeline(tokens), _static_grids(s.quick, wiki, 3, s.seed))
    if key == "avg":
        grids = _static_grids(s.quick, wiki, 3, s.seed)
        return Family(key, make_search_pipeline(ctx.avg()), grids)
    if key in ("b2s", "b2s100"):
        tokens, notes = ctx.b2s(None if key == "b2s" else 100)
        grids = _static_grids(s.quick, wiki, 3, s.seed)
        return Family(key, make_search_pipeline(tokens), grids, notes=notes)
    if key == "l3":
        return Family(key, contextual(s.l3_model), _contextual_grids(s.quick, wiki, s.seed))
    if key == "l6":
        return Family(key, contextual(s.l6_model), _contextual_grids(s.quick, wiki, s.seed))
    if key == "bert_avg":
        featurizer = TransformerFeaturizer(s.l6_model, batch_size=s.batch_size)
        tokens = TokenMixer(featurizer, ctx.avg(), weight=0.5)
        pipeline = make_search_pipeline(tokens, exclude=())
        return Family(key, pipeline, _mixed_grids(s.quick, wiki, s.seed))
    raise ValueError(f"unknown model family {key!r}; choose from {', '.join(FAMILY_INFO)}.")


# -- the configuration in words ---------------------------------------------------------

#: Each refiner in words, by class name.
REFINER_WORDS = {
    "passthrough": "no post-processing",
    "Whitening": "whitening (PCA, all components)",
    "AllButTheTop": "all-but-the-top ({n} directions removed)",
    "StandardScaler": "z-score per dimension",
    "QuantileTransformer": "quantile transform to uniform (256 quantiles)",
    "CommonComponentRemoval": "common-component removal (1 direction)",
}


def refiner_name(value) -> str:
    """The class name of a grid's refiner ("none" for passthrough)."""
    return "none" if value == "passthrough" else type(value).__name__


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
    words = REFINER_WORDS.get(name, name)
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


def short_params(params: dict) -> str:
    """Grid parameters in a few words (refiners by class name)."""
    return ", ".join(f"{k.split('__', 1)[-1]}={_short_value(v)}" for k, v in params.items())
