"""`TokenPooler`: one vector per text from its token vectors (numpy only)."""

from __future__ import annotations

import unicodedata

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions

from ._tokens import TokenEmbeddings, TokenRole

__all__ = ["TokenPooler"]

_EXCLUDE_NAMES = {"special", "template", "mask", "punctuation", "subword"}


class TokenPooler(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Pool the token vectors of each text into one sentence vector.

    Parameters
    ----------
    method : {"mean", "max", "cls", "first", "last", "mask"}, default="mean"
        ``mean``/``max`` reduce over the kept tokens; ``cls`` takes the first
        token of the sequence whatever ``exclude`` says; ``first``/``last``
        take the first/last kept token; ``mask`` averages the template's
        mask-token vectors (see ``TransformerFeaturizer(template=...)``).
    exclude : tuple, default=("special",)
        Tokens left out of ``mean``, ``max``, ``first`` and ``last``: any of
        "special" ([CLS], [SEP], ...), "template" (prompt tokens around the
        text), "mask", "punctuation" (tokens made only of punctuation),
        "subword" (word-piece continuations such as "##ing"), and explicit
        token ids (int) or token strings. ``()`` keeps every token.

    Attributes
    ----------
    n_features_in_ : int
        Width of the token vectors seen in ``fit``.

    Notes
    -----
    A text with no token left after exclusion (for instance an empty string
    with its special tokens excluded) is pooled to the zero vector.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import TokenEmbeddings, TokenPooler
    >>> tokens = TokenEmbeddings(
    ...     values=np.array([[0, 0], [1, 2], [3, 4], [9, 9]], dtype=np.float32),
    ...     offsets=[0, 4], token_ids=[101, 7, 8, 102], roles=[1, 0, 0, 1])
    >>> TokenPooler("mean").fit_transform(tokens)
    array([[2., 3.]], dtype=float32)
    >>> TokenPooler("cls").fit_transform(tokens)
    array([[0., 0.]], dtype=float32)
    """

    _parameter_constraints = {
        "method": [StrOptions({"mean", "max", "cls", "first", "last", "mask"})],
        "exclude": [tuple, list, str, None],
    }

    def __init__(self, method="mean", *, exclude=("special",)):
        self.method = method
        self.exclude = exclude

    def fit(self, X, y=None):
        """Check the input; nothing is learned."""
        self._validate_params()
        X = _check_tokens(X, self)
        self.n_features_in_ = X.dim
        return self

    def transform(self, X) -> np.ndarray:
        """Sentence vectors, shape (n_texts, dim), float32."""
        self._validate_params()
        X = _check_tokens(X, self)
        if hasattr(self, "n_features_in_") and X.dim != self.n_features_in_:
            raise ValueError(
                f"TokenPooler: token vectors have width {X.dim}, but {self.n_features_in_} in fit."
            )
        if self.method == "cls":
            return _take(X, X.offsets[:-1], np.diff(X.offsets) > 0)
        if self.method == "mask":
            keep = X.roles == TokenRole.MASK
            counts = np.bincount(X.segment_ids[keep], minlength=len(X))
            if len(X) and counts.min() == 0:
                raise ValueError(
                    "TokenPooler(method='mask'): text "
                    f"{int(np.argmin(counts))} has no mask token; use a template with "
                    "[MASK], e.g. TransformerFeaturizer(template='promptbert')."
                )
            return _segment_mean(X, keep)
        keep = self._keep_mask(X)
        if self.method == "mean":
            return _segment_mean(X, keep)
        if self.method == "max":
            return _segment_max(X, keep)
        kept_counts = np.bincount(X.segment_ids[keep], minlength=len(X))
        kept_index = np.flatnonzero(keep)
        kept_offsets = np.concatenate([[0], np.cumsum(kept_counts)])
        nonempty = kept_counts > 0
        position = kept_offsets[:-1] if self.method == "first" else kept_offsets[1:] - 1
        rows = np.zeros(len(X), dtype=np.int64)
        rows[nonempty] = kept_index[position[nonempty]]
        return _take(X, rows, nonempty)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    @property
    def _n_features_out(self):
        return self.n_features_in_

    def _keep_mask(self, X: TokenEmbeddings) -> np.ndarray:
        exclude = self.exclude
        if exclude is None:
            exclude = ()
        elif isinstance(exclude, str):
            exclude = (exclude,)
        keep = np.ones(len(X.values), dtype=bool)
        role_of = {
            "special": TokenRole.SPECIAL,
            "template": TokenRole.TEMPLATE,
            "mask": TokenRole.MASK,
        }
        ids, strings = [], []
        for item in exclude:
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                ids.append(int(item))
            elif item in role_of:
                keep &= X.roles != role_of[item]
            elif item in ("punctuation", "subword"):
                keep &= ~_vocabulary_flags(X, item)[X.token_ids]
            elif isinstance(item, str):
                strings.append(item)
            else:
                raise ValueError(
                    f"TokenPooler: cannot exclude {item!r}; use one of "
                    f"{sorted(_EXCLUDE_NAMES)}, token ids or token strings."
                )
        if strings:
            vocab = _require_vocabulary(X, "token strings")
            ids.extend(np.flatnonzero(np.isin(vocab, strings)).tolist())
        if ids:
            keep &= ~np.isin(X.token_ids, ids)
        return keep


def _check_tokens(X, step) -> TokenEmbeddings:
    if not isinstance(X, TokenEmbeddings):
        raise TypeError(
            f"{type(step).__name__}: expects TokenEmbeddings from a token featurizer "
            f"(e.g. TransformerFeaturizer), got {type(X).__name__}."
        )
    return X


def _pool_matrix(X: TokenEmbeddings, weights: np.ndarray) -> sp.csr_matrix:
    """Sparse (n_texts, n_tokens) matrix whose row i holds text i's token weights."""
    return sp.csr_matrix(
        (weights, np.arange(len(weights)), X.offsets), shape=(len(X), len(weights))
    )


def _segment_mean(X: TokenEmbeddings, keep: np.ndarray, weights=None) -> np.ndarray:
    """Weighted mean of the kept tokens of each text (zeros where none is kept)."""
    w = keep.astype(np.float64) if weights is None else np.where(keep, weights, 0.0)
    totals = np.bincount(X.segment_ids, weights=w, minlength=len(X))
    scale = np.divide(1.0, totals, out=np.zeros(len(X)), where=totals > 0)
    w = w * np.repeat(scale, X.lengths)
    out = _pool_matrix(X, w.astype(np.float32)) @ X.values
    return np.asarray(out, dtype=np.float32)


def _segment_max(X: TokenEmbeddings, keep: np.ndarray) -> np.ndarray:
    counts = np.bincount(X.segment_ids[keep], minlength=len(X))
    out = np.zeros((len(X), X.dim), dtype=np.float32)
    nonempty = counts > 0
    if nonempty.any():
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[nonempty]
        out[nonempty] = np.maximum.reduceat(X.values[keep], starts, axis=0)
    return out


def _take(X: TokenEmbeddings, rows: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.zeros((len(X), X.dim), dtype=np.float32)
    out[valid] = X.values[rows[valid]]
    return out


def _require_vocabulary(X: TokenEmbeddings, what: str) -> np.ndarray:
    if X.vocabulary is None:
        raise ValueError(
            f"TokenPooler: excluding {what} needs the token vocabulary, which these "
            "TokenEmbeddings do not carry."
        )
    return X.vocabulary


def _vocabulary_flags(X: TokenEmbeddings, kind: str) -> np.ndarray:
    """Boolean per vocabulary id: punctuation-only tokens, or word-piece continuations."""
    vocab = _require_vocabulary(X, kind)
    if kind == "subword":
        return np.array([isinstance(t, str) and t.startswith("##") for t in vocab])
    return np.array([_is_punctuation(t) for t in vocab])


def _is_punctuation(token) -> bool:
    if not isinstance(token, str):
        return False
    token = token.removeprefix("##").lstrip("Ġ▁")
    return bool(token) and all(unicodedata.category(c).startswith("P") for c in token)
