"""`TokenMixer`: two token featurizers combined token by token (the paper's BERT + Avg.)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._featurize import _TokenFeaturizer
from ._tokens import TokenEmbeddings

__all__ = ["TokenMixer"]


class TokenMixer(_TokenFeaturizer):
    """Combine the token vectors of two featurizers that tokenise alike.

    Both featurizers are fitted and run on the same texts; their outputs must
    have the same tokens (``offsets`` and ``token_ids``). The result keeps the
    tokens, roles and vocabulary of ``first``.

    Parameters
    ----------
    first, second : estimator
        Token featurizers (``fit``/``transform`` giving :class:`TokenEmbeddings`),
        e.g. a :class:`TransformerFeaturizer` and an
        :class:`AveragedTokenEmbeddings` on the same model. They are cloned.
    weight : float in [0, 1], default=0.5
        With ``combination="weighted"``, each token vector is
        ``weight * first + (1 - weight) * second``.
    combination : {"weighted", "concat"}, default="weighted"
        Weighted sum (both featurizers must have the same width) or
        concatenation ``[first, second]``.

    Attributes
    ----------
    first_, second_ : estimator
        The fitted clones of ``first`` and ``second``.

    Notes
    -----
    To mix in a featurizer already fitted elsewhere (an averaged table fitted
    on a large corpus), wrap it in :class:`sklearn.frozen.FrozenEstimator`:
    cloning and fitting then leave it as it is.

    Examples
    --------
    >>> from sklearn_sentemb import RandomTokenEmbeddings, TokenMixer
    >>> mixer = TokenMixer(
    ...     RandomTokenEmbeddings(dim=8, random_state=0),
    ...     RandomTokenEmbeddings(dim=8, random_state=1),
    ...     weight=0.25,
    ... )
    >>> mixer.fit_transform(["A man plays a guitar."]).dim
    8
    >>> mixer.set_params(combination="concat").fit_transform(["A man plays."]).dim
    16
    """

    _parameter_constraints = {
        "first": [HasMethods(["fit", "transform"])],
        "second": [HasMethods(["fit", "transform"])],
        "weight": [Interval(Real, 0, 1, closed="both")],
        "combination": [StrOptions({"weighted", "concat"})],
    }

    _requires_fit = True

    def __init__(self, first, second, *, weight=0.5, combination="weighted"):
        self.first = first
        self.second = second
        self.weight = weight
        self.combination = combination

    def fit(self, X, y=None):
        """Fit clones of both featurizers on ``X``.

        Parameters
        ----------
        X : sequence of str, or array-like of shape (n_pairs, 2)
            Texts.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        texts = self._check_texts(X)
        self.first_ = clone(self.first).fit(texts, y)
        self.second_ = clone(self.second).fit(texts, y)
        return self

    def _embed(self, texts) -> TokenEmbeddings:
        """Mixed token vectors of ``texts``."""
        a = self.first_.transform(texts)
        b = self.second_.transform(texts)
        _check_same_tokens(a, b, texts)
        if self.combination == "concat":
            values = np.concatenate([a.values, b.values], axis=1)
        else:
            if a.dim != b.dim:
                raise ValueError(
                    f"TokenMixer: combination='weighted' needs featurizers of the same width, "
                    f"got {a.dim} (first) and {b.dim} (second); use combination='concat'."
                )
            w = np.float32(self.weight)
            values = w * a.values + (np.float32(1) - w) * b.values
        return a.with_values(values.astype(np.float32, copy=False))


def _check_same_tokens(a: TokenEmbeddings, b: TokenEmbeddings, texts) -> None:
    """Raise a ValueError naming the first text that the two featurizers tokenise differently."""
    if len(a) != len(b):
        raise ValueError(
            f"TokenMixer: the featurizers returned {len(a)} and {len(b)} texts for {len(texts)}."
        )
    if np.array_equal(a.offsets, b.offsets) and np.array_equal(a.token_ids, b.token_ids):
        return
    # Up to the first text whose lengths differ the offsets agree, so ids compare row by row.
    differ = np.flatnonzero(a.lengths != b.lengths)
    first = int(differ[0]) if differ.size else len(a)
    end = a.offsets[first]
    mismatch = np.flatnonzero(a.token_ids[:end] != b.token_ids[:end])
    if mismatch.size:
        first = int(np.searchsorted(a.offsets, mismatch[0], side="right") - 1)
    raise ValueError(
        "TokenMixer: the two featurizers tokenise differently (use the same tokenizer, "
        f"template, special tokens and max_length); first differing text is item {first}: "
        f"{texts[first]!r:.80} ({a.lengths[first]} and {b.lengths[first]} tokens)."
    )
