"""Named recipes: the extraction methods of the paper and those it reviews, as pipelines.

Every recipe is an unfitted :class:`~sklearn.pipeline.Pipeline` with the same four
steps, ``fit_on`` (:class:`~sklearn_sentemb.FitOn`: the task's texts, or a corpus), ``tokens`` (a
token featurizer), ``pool`` (:class:`~sklearn_sentemb.TokenPooler`) and ``refine`` (a refiner or
``"passthrough"``), so a grid can vary any step of any recipe by name.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import QuantileTransformer

from ._featurize import TransformerFeaturizer
from ._fit_on import FitOn
from ._mixer import TokenMixer
from ._models import DEFAULT_MODEL
from ._pooling import TokenPooler
from ._refine import AllButTheTop, CommonComponentRemoval, Whitening
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
    """uSIF weights, then removal of 5 common components (Ethayarajh 2018; unweighted removal)."""
    return _pipeline(
        TransformerFeaturizer(model, **kw),
        TokenPooler("mean", weighting="usif"),
        CommonComponentRemoval(n_components=5),
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
    if option in _OWN_OPTIONS.get(name, ()):
        raise ValueError(
            f"make_recipe({name!r}): the recipe sets the featurizer option {option!r} itself; "
            f"change it on the pipeline instead (set_params(tokens__{option}=...))."
        )
