"""Named recipes: the extraction methods of the paper and those it reviews, as pipelines.

Every recipe is an unfitted :class:`~sklearn.pipeline.Pipeline` with the same four
steps, ``fit_on`` (:class:`~sklearn_sentemb.FitOn`: the task's texts, or a corpus), ``tokens`` (a
token featurizer), ``pool`` (:class:`~sklearn_sentemb.TokenPooler`) and ``refine`` (a refiner or
``"passthrough"``), so a grid can vary any step of any recipe by name.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, QuantileTransformer

from ._bert2static import BERT2Static
from ._featurize import TransformerFeaturizer
from ._fit_on import FitOn
from ._mixer import TokenMixer
from ._models import DEFAULT_MODEL
from ._pooling import TokenPooler
from ._refine import AllButTheTop, CommonComponentRemoval, Whitening
from ._st_config import read_sentence_transformers_config
from ._static import AveragedTokenEmbeddings, RandomTokenEmbeddings

__all__ = ["RECIPES", "make_recipe"]


def _pipeline(tokens, pool, refine="passthrough", corpus=None):
    return Pipeline(
        [("fit_on", FitOn(corpus)), ("tokens", tokens), ("pool", pool), ("refine", refine)]
    )


def mean_last(model, **kw):
    """Mean of the last layer's tokens (Reimers & Gurevych 2019, Sentence-BERT)."""
    return _pipeline(TransformerFeaturizer(model, **kw), TokenPooler("mean"))


def cls(model, **kw):
    """The last layer's [CLS] vector (Devlin et al. 2019, BERT)."""
    return _pipeline(TransformerFeaturizer(model, **kw), TokenPooler("cls"))


def first_last_avg(model, **kw):
    """Mean over tokens of the first and last layers averaged (Su et al. 2021)."""
    return _pipeline(TransformerFeaturizer(model, layers=[1, -1], **kw), TokenPooler("mean"))


def bert_whitening(model, **kw):
    """First-last average, then whitening (Su et al. 2021, BERT-whitening)."""
    return _pipeline(
        TransformerFeaturizer(model, layers=[1, -1], **kw), TokenPooler("mean"), Whitening()
    )


def sif(model, **kw):
    """SIF weights a/(a+p(w)), then common-component removal (Arora et al. 2017)."""
    return _pipeline(
        TransformerFeaturizer(model, **kw),
        TokenPooler("mean", weighting="sif"),
        CommonComponentRemoval(n_components=1),
    )


def usif(model, **kw):
    """uSIF as its reference code (Ethayarajh 2018, kawine/usif): token vectors normalised per
    dimension within each sentence, weights a/(a/2+p(w)) with n = 11, then 5 common components
    removed, each by its share of the squared singular values."""
    return _pipeline(
        TransformerFeaturizer(model, **kw),
        TokenPooler("mean", weighting="usif", usif_n=11, token_norm="dimension"),
        CommonComponentRemoval(n_components=5, weighted=True),
    )


def abtt(model, **kw):
    """Mean pooling, then all-but-the-top with 3 directions removed (Mu & Viswanath 2018)."""
    return _pipeline(
        TransformerFeaturizer(model, **kw), TokenPooler("mean"), AllButTheTop(n_components=3)
    )


def prompt_mask(model, **kw):
    """The [MASK] vector of PromptBERT's template (Jiang et al. 2022)."""
    return _pipeline(TransformerFeaturizer(model, template="promptbert", **kw), TokenPooler("mask"))


def prompt_avg(model, **kw):
    """Mean of the sentence's own tokens inside PromptBERT's template (Jiang et al. 2022)."""
    return _pipeline(
        TransformerFeaturizer(model, template="promptbert", **kw),
        TokenPooler("mean", exclude=("special", "template", "mask")),
    )


def avg(model, **kw):
    """Static "Avg." token vectors: contextual vectors averaged per token id (Stankevičius &
    Lukoševičius 2024)."""
    return _pipeline(
        AveragedTokenEmbeddings(TransformerFeaturizer(model, **kw)),
        TokenPooler("mean", weighting="idf"),
        QuantileTransformer(n_quantiles=256),
    )


def bert_plus_avg(model, **kw):
    """Contextual and "Avg." token vectors mixed half and half, token by token
    (Stankevičius & Lukoševičius 2024, BERT + Avg.)."""
    return _pipeline(
        TokenMixer(
            TransformerFeaturizer(model, **kw),
            AveragedTokenEmbeddings(TransformerFeaturizer(model, **kw)),
            weight=0.5,
        ),
        TokenPooler("mean"),
    )


def random(model, **kw):
    """Random token vectors, idf-weighted mean, whitening (Stankevičius & Lukoševičius 2024)."""
    return _pipeline(
        RandomTokenEmbeddings(tokenizer=model, dim=768, random_state=0, **kw),
        TokenPooler("mean", weighting="idf"),
        Whitening(),
    )


def idf_quantile(model, **kw):
    """idf-weighted mean, then quantile normalisation (Stankevičius & Lukoševičius 2024)."""
    return _pipeline(
        TransformerFeaturizer(model, **kw),
        TokenPooler("mean", weighting="idf"),
        QuantileTransformer(n_quantiles=256),
    )


def b2s(model, **kw):
    """BERT2Static vectors of the model as the teacher, trained in ``fit`` on what ``fit_on``
    gives (the paper: WikiText-103) with ``B2S_TRAINING``, mean over the text's tokens (Gupta &
    Jaggi 2021)."""
    return _pipeline(BERT2Static(model, **B2S_TRAINING, **kw), TokenPooler("mean"))


def b2s_100(model, **kw):
    """B2S-100 read as 100-dimensional BERT2Static vectors (Gupta & Jaggi 2021; Stankevičius &
    Lukoševičius 2024 name it without a definition): the teacher's context vectors projected
    on their 100 leading singular vectors, otherwise as ``b2s``. The other plausible reading,
    training only tokens seen at least 100 times, is ``set_params(tokens__min_count=100)``."""
    return _pipeline(BERT2Static(model, dim=100, **B2S_TRAINING, **kw), TokenPooler("mean"))


#: Training of the B2S recipes: WikiText-103 valid+test (0.5M words) is tiny beside the
#: reference's corpus, so a row gets few updates; BERT2Static's defaults (the reference's one
#: epoch at 0.001) leave such a table barely moved, and many epochs at a small step drive the
#: loss down by memorising each rare token's few contexts. Ten epochs at a step of 0.1 was
#: chosen on STS-B dev with all-MiniLM-L6-v2 and mean pooling, among steps 0.001-0.2 and 1-20
#: epochs (dev 64.9 against 61.2 for 20 epochs at 0.01 and about 57 for random vectors; 5
#: epochs at 0.2 reach 65.0 while their loss rises). On STS-B test: 55.5, 48.5 and 46.5 (see
#: ``tests/test_bert2static.py``).
B2S_TRAINING = {"epochs": 10, "learning_rate": 0.1}


#: sentence-transformers pooling mode -> the TokenPooler that computes it (special tokens
#: included, as sentence-transformers pools every token of the attention mask).
_ST_POOLERS = {
    "mean": lambda: TokenPooler("mean", exclude=()),
    "max": lambda: TokenPooler("max", exclude=()),
    "cls": lambda: TokenPooler("cls"),
    "lasttoken": lambda: TokenPooler("last", exclude=()),
}


def model_default(model, **kw):
    """The model's own sentence-transformers configuration: its pooling, ``max_seq_length``
    and normalisation, as ``SentenceTransformer(model).encode`` runs them."""
    step = "make_recipe('model-default')"
    config = read_sentence_transformers_config(model, step)
    if len(config.pooling_modes) != 1 or config.pooling_modes[0] not in _ST_POOLERS:
        raise ValueError(
            f"{step}: the model pools with {config.pooling_modes}; the recipe reproduces one "
            f"of the modes {sorted(_ST_POOLERS)}."
        )
    if config.other_modules:
        raise ValueError(
            f"{step}: the model has the modules {config.other_modules} after its pooling, "
            "which the recipe does not reproduce."
        )
    kw = {"max_length": config.max_seq_length, **kw}
    return _pipeline(
        TransformerFeaturizer(model, **kw),
        _ST_POOLERS[config.pooling_modes[0]](),
        Normalizer() if config.normalize else "passthrough",
    )


#: Recipe name -> builder ``f(model, **featurizer_params) -> Pipeline``.
RECIPES = {
    "mean-last": mean_last,
    "cls": cls,
    "first-last-avg": first_last_avg,
    "bert-whitening": bert_whitening,
    "sif": sif,
    "usif": usif,
    "abtt": abtt,
    "prompt-mask": prompt_mask,
    "prompt-avg": prompt_avg,
    "avg": avg,
    "bert+avg": bert_plus_avg,
    "random": random,
    "idf-quantile": idf_quantile,
    "b2s": b2s,
    "b2s-100": b2s_100,
    "model-default": model_default,
}

#: The featurizer options a recipe sets itself, so cannot take.
_OWN_OPTIONS = {
    "first-last-avg": ("layers",),
    "bert-whitening": ("layers",),
    "prompt-mask": ("template",),
    "prompt-avg": ("template",),
}
#: The only featurizer options of "random": it runs no model, its RandomTokenEmbeddings has these.
_RANDOM_OPTIONS = ("template", "max_length")
#: The featurizer options of the B2S recipes, which their BERT2Static has too.
_B2S_OPTIONS = ("template", "max_length", "device", "dtype", "progress")


def make_recipe(name, model=DEFAULT_MODEL, *, corpus=None, **featurizer_params) -> Pipeline:
    """An unfitted pipeline for the named extraction method.

    Parameters
    ----------
    name : str
        One of ``RECIPES``.
    model : str or path
        Hub id or local folder of the encoder (for ``random``: of its tokenizer).
    corpus : None, str or list of str
        Texts the learned steps are fitted on (see :class:`~sklearn_sentemb.FitOn`); None: the
        texts given to ``fit``.
    **featurizer_params
        Passed to each :class:`~sklearn_sentemb.TransformerFeaturizer` (e.g. ``cache``, ``batch_size``);
        ``random`` runs no model and takes only ``template`` and ``max_length``, for its
        :class:`~sklearn_sentemb.RandomTokenEmbeddings`.

    Raises
    ------
    ValueError
        An unknown recipe, or a featurizer option the recipe cannot use: one it sets
        itself (``layers`` of ``first-last-avg`` and ``bert-whitening``, ``template`` of
        the prompt recipes; change those on the pipeline, e.g.
        ``set_params(tokens__layers=[2, -1])``), or any but the two above for ``random``.
    TypeError
        An option that is no parameter of :class:`~sklearn_sentemb.TransformerFeaturizer`.

    Examples
    --------
    >>> from sklearn_sentemb.recipes import make_recipe
    >>> pipe = make_recipe("bert-whitening")
    >>> [name for name, _ in pipe.steps]
    ['fit_on', 'tokens', 'pool', 'refine']
    """
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose from {', '.join(RECIPES)}.")
    for option in featurizer_params:
        _check_option(name, option)
    pipe = RECIPES[name](model, **featurizer_params)
    pipe.set_params(fit_on__corpus=corpus)
    return pipe


def _check_option(name: str, option: str) -> None:
    """Raise unless the recipe ``name`` passes the featurizer option ``option`` on."""
    if option not in TransformerFeaturizer().get_params():
        raise TypeError(
            f"make_recipe({name!r}): {option!r} is not a TransformerFeaturizer parameter."
        )
    if name == "random" and option not in _RANDOM_OPTIONS:
        raise ValueError(
            f"make_recipe('random'): the recipe runs no model (its featurizer is "
            f"RandomTokenEmbeddings), so it cannot use the featurizer option {option!r}; it "
            f"takes only {' and '.join(_RANDOM_OPTIONS)}."
        )
    if name in ("b2s", "b2s-100") and option not in _B2S_OPTIONS:
        raise ValueError(
            f"make_recipe({name!r}): its featurizer is BERT2Static, which has no option "
            f"{option!r}; it takes {', '.join(_B2S_OPTIONS)}."
        )
    if option in _OWN_OPTIONS.get(name, ()):
        raise ValueError(
            f"make_recipe({name!r}): the recipe sets the featurizer option {option!r} itself; "
            f"change it on the pipeline instead (set_params(tokens__{option}=...))."
        )
