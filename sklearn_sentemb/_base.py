"""Estimator plumbing shared by the steps that take texts."""

from __future__ import annotations

__all__ = ["StatelessTextStep", "text_tags"]


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
