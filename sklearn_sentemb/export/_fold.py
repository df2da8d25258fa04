"""Fold a fitted static pipeline into one token table under a plain mean.

A static featurizer, a mean `TokenPooler` (with learned idf/SIF/uSIF weights ``c`` and
exclusions) and affine refiners ``x -> x A + b`` give, for a text whose ``n`` kept tokens
have vectors ``v_t``, ``(1/n) sum_t c_t v_t A + b = (1/n) sum_t (c_t v_t A + b)``: rows
``c_t v_t A + b`` (zero for excluded ids) averaged over the text's tokens give the same
vector, exactly when no token is excluded and up to the positive factor ``n / n_tokens``
otherwise (exact again after the final L2 normalisation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._pooling import _lookup
from .._static import AveragedTokenEmbeddings, _VocabularyTable
from .._tokenize import _special_parts
from .._tokens import TokenEmbeddings, TokenRole
from ._steps import Steps, refiners_affine


@dataclass
class FoldedTable:
    """What a plain-mean static model needs: one row per token id and its tokenizer."""

    table: np.ndarray  # (vocab_size, dim) float32
    tokenizer: object  # tokenizers.Tokenizer, no padding, no truncation
    max_length: int | None  # most text tokens (special tokens are never added); None: all
    normalize: bool


def _static_parts(featurizer, what: str):
    """The tokenizer, template, whether special tokens are added, and ``max_length`` of a
    static featurizer, or a ValueError naming a featurizer that has no token table."""
    if isinstance(featurizer, _VocabularyTable):
        loaded = featurizer._load()
        return loaded, featurizer.template, featurizer.add_special_tokens, featurizer.max_length
    if isinstance(featurizer, AveragedTokenEmbeddings):
        inner = featurizer.featurizer_
        loaded = inner._load_tokenizer(step=what)
        return loaded, inner.template, True, featurizer.max_length_
    raise ValueError(
        f"{what}: cannot fold {type(featurizer).__name__} into a token table; only static "
        "featurizers with a Hugging Face tokenizer (RandomTokenEmbeddings, "
        "InputTokenEmbeddings, AveragedTokenEmbeddings) fold."
    )


def _vocabulary_tokens(vocabulary, special: int) -> TokenEmbeddings:
    """One text holding every vocabulary id once as a text token, then ``special`` tokens
    with the special role: what the pooler's exclusions are asked about."""
    n = len(vocabulary)
    ids = np.concatenate([np.arange(n), np.zeros(special, dtype=np.int64)])
    roles = np.full(n + special, TokenRole.TEXT, dtype=np.int8)
    roles[n:] = TokenRole.SPECIAL
    values = np.zeros((n + special, 1), dtype=np.float32)
    return TokenEmbeddings(values, [0, n + special], ids, roles, vocabulary)


def vocabulary_weights(pooler, vocabulary, n_special: int) -> tuple[np.ndarray, bool]:
    """Weight of each vocabulary id in ``pooler``'s mean (its learned weight, 1 without a
    weighting, 0 for an excluded id) and whether the special tokens are kept."""
    keep = pooler._keep_mask(_vocabulary_tokens(vocabulary, n_special))
    weights = np.ones(len(vocabulary))
    if pooler.weighting is not None:
        pooler._check_fitted("weights_", f"weighting={pooler.weighting!r}")
        weights = _lookup(pooler.weights_, pooler.default_weight_, np.arange(len(vocabulary)))
    weights = np.where(keep[: len(vocabulary)], weights, 0.0)
    return weights, bool(n_special) and bool(keep[len(vocabulary) :].any())


def refuse_token_norm(pooler, what: str) -> None:
    if pooler.token_norm is not None:
        raise ValueError(
            f"{what}: cannot export TokenPooler(token_norm={pooler.token_norm!r}): the "
            "per-sentence normalisation of the token vectors is not a fixed per-token table."
        )


def token_weights(pooler, vocabulary, n_special: int, what: str) -> np.ndarray:
    """`vocabulary_weights` of a mean pooler that leaves out the special tokens, which
    plain-mean static models never add; a ValueError otherwise."""
    if pooler.method != "mean":
        raise ValueError(
            f"{what}: cannot fold TokenPooler(method={pooler.method!r}); only the (weighted) "
            "mean of token vectors folds into a token table."
        )
    refuse_token_norm(pooler, what)
    weights, keeps_special = vocabulary_weights(pooler, vocabulary, n_special)
    if keeps_special:
        raise ValueError(
            f"{what}: the TokenPooler keeps the special tokens ([CLS], [SEP], ...), which "
            "model2vec and StaticEmbedding never add; use TokenPooler(exclude=('special', "
            "...)) or a featurizer with add_special_tokens=False."
        )
    return weights


def _plain_tokenizer(hf_tokenizer):
    """A copy of the Rust tokenizer behind a Hugging Face fast tokenizer, without padding
    or truncation."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def fold_static(steps: Steps, what: str) -> FoldedTable:
    """The token table of a fitted static pipeline (see the module docstring)."""
    loaded, template, add_special, max_length = _static_parts(steps.featurizer, what)
    name = type(steps.featurizer).__name__
    if template is not None:
        raise ValueError(
            f"{what}: cannot fold {name} with a template: plain-mean static models embed "
            "the text alone."
        )
    head, tail = _special_parts(loaded.tokenizer) if add_special else ([], [])
    n_special = len(head) + len(tail)
    affine = refiners_affine(steps.refiners, what)
    table = np.asarray(steps.featurizer.get_table(), dtype=np.float64)
    weights = token_weights(steps.pooler, loaded.vocabulary, n_special, what)
    if len(table) < len(weights):
        raise ValueError(
            f"{what}: {name} has {len(table)} rows but its tokenizer {len(weights)} tokens."
        )
    rows = table[: len(weights)] * weights[:, None]  # rows past the vocabulary never occur
    if affine.matrix is not None:
        rows = rows @ affine.matrix
    if affine.bias is not None:
        rows += (weights != 0)[:, None] * affine.bias
    if max_length is not None:
        max_length = max(max_length - n_special, 0)
    return FoldedTable(
        rows.astype(np.float32), _plain_tokenizer(loaded.tokenizer), max_length, affine.normalize
    )
