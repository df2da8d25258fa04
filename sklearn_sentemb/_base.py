"""Estimator plumbing shared by the steps that take texts."""

from __future__ import annotations

from ._validation import check_texts, is_one_shot

__all__ = ["FitOnTextsMixin", "StatelessTextStep", "text_tags"]


def text_tags(tags, requires_fit: bool):
    """scikit-learn tags of a step whose input is a sequence of str."""
    tags.input_tags.two_d_array = False
    tags.input_tags.string = True
    tags.requires_fit = requires_fit
    return tags


class StatelessTextStep:
    """Mixin for a text step that learns nothing: ``fit`` only checks the parameters.

    Put it before ``TransformerMixin, BaseEstimator`` in the bases.
    """

    def fit(self, X=None, y=None):
        """Check the parameters; nothing is learned."""
        self._validate_params()
        return self

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        return text_tags(super().__sklearn_tags__(), requires_fit=False)


class FitOnTextsMixin:
    """Mixin for a text step whose ``fit`` reads the texts: ``fit_transform`` reads a
    one-shot iterable (a generator) once and passes the same texts to ``fit`` and
    ``transform``.

    Put it before ``TransformerMixin, BaseEstimator`` in the bases.
    """

    def fit_transform(self, X, y=None, **fit_params):
        """Fit on ``X``, then transform it."""
        if is_one_shot(X):
            X = check_texts(X, type(self).__name__)
        return self.fit(X, y, **fit_params).transform(X)
