"""`TextStep`: the estimator plumbing shared by the steps that take texts."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _tokens
from ._tokens import ChunkedTokenEmbeddings
from ._validation import check_texts, is_one_shot

__all__ = ["TextStep"]

_OUTPUTS = (None, "default", "pandas", "polars")


class TextStep(TransformerMixin, BaseEstimator):
    """Base class of a step whose input is a sequence of texts.

    It checks the texts (naming the step in every error), gives the text tags,
    reads a one-shot iterable once in ``fit_transform`` and answers
    scikit-learn's output API. A subclass sets ``_requires_fit`` and writes
    ``transform`` (and ``fit`` when it learns from the texts).

    Notes
    -----
    ``set_output`` accepts every output of scikit-learn and changes nothing: the
    output (:class:`TokenEmbeddings`, or texts) is not a table. A pooler after
    the step gives the table; ``Pipeline.set_output`` and ``ColumnTransformer``
    configure both.
    """

    #: Whether ``transform`` needs what ``fit`` learns; False: ``fit`` only checks parameters.
    _requires_fit = False

    def __init_subclass__(cls, **kwargs):
        # scikit-learn would wrap transform's output in a DataFrame: it is not a table.
        kwargs.setdefault("auto_wrap_output_keys", None)
        super().__init_subclass__(**kwargs)

    def fit(self, X=None, y=None):
        """Check the parameters; nothing is learned.

        Parameters
        ----------
        X, y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit on ``X``, then transform it; a one-shot iterable (a generator) is read once."""
        if is_one_shot(X):
            X = self._check_texts(X)
        return self.fit(X, y, **fit_params).transform(X)

    def set_output(self, *, transform=None):
        """Accept an output configuration; the output is not a table, so it stays as it is.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            Output of ``transform`` and ``fit_transform`` asked for by a pipeline.

        Returns
        -------
        self
        """
        if transform not in _OUTPUTS:
            raise ValueError(
                f"{type(self).__name__}: set_output(transform=...) must be one of "
                f"{_OUTPUTS}, got {transform!r}."
            )
        return self

    def get_feature_names_out(self, input_features=None):
        """Names of the token vectors' dimensions: ``"<class name>0"``, ``"<class name>1"``...

        As many as the width of the token vectors (``transform`` of an empty text tells it).
        A pooler after this step checks them against its input width, so
        ``Pipeline.get_feature_names_out`` runs through the text steps.

        Parameters
        ----------
        input_features : ignored
            Names of the text column(s).

        Returns
        -------
        ndarray of str objects
        """
        width = self.transform([""]).dim
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(width)], dtype=object)

    def __sklearn_is_fitted__(self):
        if not self._requires_fit:
            return True
        return any(k.endswith("_") and not k.startswith("__") for k in vars(self))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = self._requires_fit
        return tags

    def _check_texts(self, X) -> list[str]:
        """The texts of ``X`` as a list of str (see ``check_texts``), errors naming the step."""
        return check_texts(X, type(self).__name__)

    def _chunked(self, texts: list[str]) -> ChunkedTokenEmbeddings | None:
        """More texts than a chunk: the lazy batch that ``transform`` returns instead of
        token vectors (a pooler consumes it chunk by chunk); None otherwise."""
        if len(texts) <= _tokens.CHUNK_SIZE:
            return None
        progress = getattr(self, "progress", "auto") is not False  # a long call: show a bar
        return ChunkedTokenEmbeddings(texts, self._embed, _tokens.CHUNK_SIZE, progress)

    def _fitted_texts(self, X) -> list[str]:
        """What ``transform`` starts with: the step fitted (when it learns), its parameters
        valid, and the texts of ``X``."""
        if self._requires_fit:
            check_is_fitted(self)
        self._validate_params()
        return self._check_texts(X)
