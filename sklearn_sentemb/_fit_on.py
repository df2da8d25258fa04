"""`FitOn`: fit a pipeline's learned steps on a corpus instead of the task's texts."""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import TextStep
from ._validation import check_texts, is_one_shot

__all__ = ["FitOn"]


class FitOn(TextStep):
    """First step of a text pipeline that chooses the texts the later steps are fitted on.

    With ``corpus=None`` it passes the training texts through, so the learned
    steps (token weights, whitening, quantiles, ...) are fitted on the task's
    own sentences. With a corpus, ``fit_transform`` returns the corpus texts
    instead, so every later step is fitted on them, while ``transform`` always
    passes its input through. ``corpus`` is an ordinary parameter, so a grid
    can search it (``{"fit_on__corpus": [None, "wikitext103"]}``) together
    with the upstream choices.

    Parameters
    ----------
    corpus : None, str or sequence of str, default=None
        None: fit on the training texts. A sequence of texts: fit on them. A
        name (e.g. ``"wikitext103"``): the corpus of
        :func:`sklearn_sentemb.datasets.load_corpus`, read from ``data_home``.
    data_home : str or path, optional
        Where named corpora are read from (see ``datasets.get_data_home``).
    max_texts : int >= 1, optional
        Use at most this many corpus texts (the first ones); None: all of them.

    Notes
    -----
    Like scikit-learn's ``TargetEncoder``, ``fit_transform(X)`` deliberately
    differs from ``fit(X).transform(X)`` when a corpus is given: that is what
    makes the later steps of a ``Pipeline`` learn from the corpus. Text pairs
    (an ``(n, 2)`` array) pass through unchanged; the featurizer flattens them.

    Examples
    --------
    >>> from sklearn_sentemb import FitOn
    >>> step = FitOn(corpus=["a corpus text", "another one"])
    >>> step.fit_transform(["task text"])
    ['a corpus text', 'another one']
    >>> step.transform(["task text"])
    ['task text']
    """

    _parameter_constraints = {
        "corpus": [None, str, list, tuple, "array-like"],
        "data_home": "no_validation",
        "max_texts": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, corpus=None, *, data_home=None, max_texts=None):
        self.corpus = corpus
        self.data_home = data_home
        self.max_texts = max_texts

    def fit(self, X=None, y=None):
        """Load and check the corpus; the training texts are not used."""
        self._validate_params()
        self.n_fit_texts_ = len(self._corpus_texts()) if self.corpus is not None else None
        return self

    def transform(self, X):
        """Check the texts of ``X`` and return ``X`` unchanged.

        A one-shot iterable (a generator), which the check reads, comes back as
        the list of its texts.
        """
        texts = self._fitted_texts(X)
        return texts if is_one_shot(X) else X

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return the texts the later steps are fitted on."""
        self.fit(X, y)
        return self.transform(X) if self.corpus is None else self._corpus_texts()

    def get_feature_names_out(self, input_features=None):
        """Names of the text column(s), which pass through: ``input_features``, or ``["text"]``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Names of the text column(s) (one, or two for text pairs).

        Returns
        -------
        ndarray of str objects
        """
        return np.asarray(["text"] if input_features is None else input_features, dtype=object)

    def _corpus_texts(self) -> list[str]:
        corpus = self.corpus
        if isinstance(corpus, str):
            corpus = _named_corpus(corpus, self.data_home)
        texts = check_texts(corpus, "FitOn(corpus=...)")
        if self.max_texts is not None:
            texts = texts[: self.max_texts]
        if not texts:
            raise ValueError("FitOn: the corpus has no texts.")
        return texts


@lru_cache(maxsize=4)
def _named_corpus(name, data_home) -> tuple[str, ...]:
    """A named corpus, read once per process (a grid fits many candidates on it)."""
    from .datasets import load_corpus

    corpus = load_corpus(name, data_home=data_home)
    return tuple(getattr(corpus, "data", corpus))
