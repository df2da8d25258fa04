"""Export fitted pipelines to sentence-transformers and model2vec folders, and to MTEB.

Static pipelines (a static featurizer, a mean `TokenPooler`, affine refiners and a final
`Normalizer`) fold into one token table (see ``_fold``); contextual pipelines become a
sentence-transformers model whose extra modules live in this package, which must then be
installed wherever the folder is loaded.
"""

from __future__ import annotations

import os

from .._featurize import TransformerFeaturizer
from ._distill import DistillResult, distill_static
from ._fold import fold_static
from ._mteb import MTEBEncoder, to_mteb
from ._static_formats import save_model2vec, save_static_sentence_transformers
from ._steps import split_pipeline

__all__ = [
    "DistillResult",
    "MTEBEncoder",
    "distill_static",
    "fold_static_pipeline",
    "to_model2vec",
    "to_mteb",
    "to_sentence_transformers",
]


def fold_static_pipeline(pipeline):
    """The token table a fitted static pipeline folds into.

    Parameters
    ----------
    pipeline : Pipeline
        Fitted: a static featurizer, a mean `TokenPooler`, affine refiners, optionally a
        last L2 `Normalizer`.

    Returns
    -------
    FoldedTable
        ``table`` (vocab_size, dim) float32, ``tokenizer`` (a ``tokenizers.Tokenizer``),
        ``max_length`` (most text tokens, or None) and ``normalize``.
    """
    return fold_static(split_pipeline(pipeline, "fold_static_pipeline"), "fold_static_pipeline")


def _base_model(featurizer) -> str | None:
    inner = getattr(featurizer, "featurizer_", featurizer)
    name = getattr(inner, "model", None) or getattr(inner, "tokenizer", None)
    return os.fspath(name) if isinstance(name, (str, os.PathLike)) else None


def to_model2vec(pipeline, path) -> str:
    """Write a fitted static pipeline as a model2vec folder.

    ``model2vec.StaticModel.from_pretrained(path).encode(texts)`` then gives the
    direction of ``pipeline.transform(texts)`` (the same vector when no token is excluded
    or the pipeline ends with a `Normalizer`).

    Parameters
    ----------
    pipeline : Pipeline
        Fitted static pipeline (see `fold_static_pipeline`).
    path : str or path
        Folder to write (created; files in it are overwritten).

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ValueError
        When a step cannot fold, naming it (a contextual featurizer, max or CLS pooling,
        a template, a quantile transform, special tokens kept in the mean).

    Notes
    -----
    model2vec leaves the unknown token (``[UNK]``) out of the mean, the pipeline keeps
    it; a text with no token left is the zero vector. Needs the ``export`` extra.
    """
    steps = split_pipeline(pipeline, "to_model2vec")
    if isinstance(steps.featurizer, TransformerFeaturizer):
        raise ValueError(
            "to_model2vec: TransformerFeaturizer is contextual and cannot fold into a static "
            "table; use to_sentence_transformers, or a static featurizer."
        )
    save_model2vec(fold_static(steps, "to_model2vec"), path, _base_model(steps.featurizer))
    return os.fspath(path)


def to_sentence_transformers(pipeline, path) -> str:
    """Write a fitted pipeline as a sentence-transformers folder.

    ``SentenceTransformer(path).encode(texts)`` then gives the direction of
    ``pipeline.transform(texts)``. A static pipeline becomes a `StaticEmbedding` (its
    folded table) and `Normalize`; a contextual one the transformer, the layer
    combination and pooling of this package's modules, a `Dense` for the affine
    refiners and `Normalize`.

    Parameters
    ----------
    pipeline : Pipeline
        Fitted pipeline: a featurizer, a `TokenPooler`, affine refiners, optionally a
        last L2 `Normalizer`.
    path : str or path
        Folder to write.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ValueError
        When a step cannot be exported, naming it.
    """
    steps = split_pipeline(pipeline, "to_sentence_transformers")
    if isinstance(steps.featurizer, TransformerFeaturizer):
        from ._contextual import save_contextual

        save_contextual(steps, path, "to_sentence_transformers")
    else:
        save_static_sentence_transformers(fold_static(steps, "to_sentence_transformers"), path)
    return os.fspath(path)
