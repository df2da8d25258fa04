"""The steps of a fitted pipeline, read for export: featurizer, pooler and refiners.

A refiner that is affine, ``x -> x @ A + b``, is read from its fitted attributes; the
composition of several is one affine map, and a final L2 `Normalizer` is kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from .._fit_on import FitOn
from .._pooling import TokenPooler
from .._refine import AllButTheTop, CommonComponentRemoval, Whitening


@dataclass
class Steps:
    """A pipeline cut into what export needs: one featurizer, one pooler, the refiners."""

    featurizer: object
    pooler: TokenPooler
    refiners: list


@dataclass
class Affine:
    """``x -> x @ matrix + bias`` (float64), then L2 normalisation when ``normalize``."""

    matrix: np.ndarray | None  # None: the identity
    bias: np.ndarray | None  # None: zero
    normalize: bool


def _flat_steps(pipeline) -> list:
    """The steps of ``pipeline`` (nested pipelines opened), without passthrough and FitOn."""
    out = []
    for _, step in pipeline.steps:
        if isinstance(step, Pipeline):
            out.extend(_flat_steps(step))
        elif step is not None and not (isinstance(step, str) and step == "passthrough"):
            if not isinstance(step, FitOn):  # FitOn only chooses what fit sees
                out.append(step)
    return out


def split_pipeline(pipeline, what: str) -> Steps:
    """``pipeline`` as featurizer, `TokenPooler` and refiners; ``what`` names the export."""
    if not isinstance(pipeline, Pipeline):
        raise TypeError(
            f"{what}: expects a fitted sklearn Pipeline (featurizer, TokenPooler, refiners), "
            f"got {type(pipeline).__name__}."
        )
    steps = _flat_steps(pipeline)
    if len(steps) < 2 or not isinstance(steps[1], TokenPooler):
        names = [type(step).__name__ for step in steps]
        raise ValueError(
            f"{what}: the pipeline must be a token featurizer, then a TokenPooler, then "
            f"refiners; got the steps {names}."
        )
    return Steps(steps[0], steps[1], steps[2:])


# -- affine refiners -----------------------------------------------------------------
def _removal(components: np.ndarray) -> np.ndarray:
    """``I - U^T U``: the removal of the orthonormal rows ``components``."""
    components = np.asarray(components, dtype=np.float64)
    return np.eye(components.shape[1]) - components.T @ components


def _whitening(step):
    matrix = np.asarray(step.whitening_matrix_, dtype=np.float64)
    return matrix, -np.asarray(step.mean_, dtype=np.float64) @ matrix


def _all_but_the_top(step):
    matrix = _removal(step.components_)
    mean = np.asarray(step.mean_, dtype=np.float64)
    # centre=True removes the projections of x - mean; center=False those of x, then the mean
    return matrix, -(mean @ matrix if step.center else mean)


def _common_component_removal(step):
    components = np.asarray(step.components_, dtype=np.float64)
    weights = np.asarray(step.removal_weights_, dtype=np.float64)
    return np.eye(components.shape[1]) - (components.T * weights) @ components, None


def _standard_scaler(step):
    width = step.n_features_in_
    scale = np.ones(width) if step.scale_ is None else np.asarray(step.scale_, dtype=np.float64)
    mean = np.zeros(width) if step.mean_ is None else np.asarray(step.mean_, dtype=np.float64)
    return np.diag(1.0 / scale), -mean / scale


def _pca(step):
    matrix = np.asarray(step.components_, dtype=np.float64).T
    if step.whiten:
        matrix = matrix / np.sqrt(np.asarray(step.explained_variance_, dtype=np.float64))
    return matrix, -np.asarray(step.mean_, dtype=np.float64) @ matrix


#: Refiner class -> ``f(fitted step) -> (matrix, bias or None)`` with ``x @ matrix + bias``.
AFFINE_STEPS = {
    Whitening: _whitening,
    AllButTheTop: _all_but_the_top,
    CommonComponentRemoval: _common_component_removal,
    StandardScaler: _standard_scaler,
    PCA: _pca,
}


def _compose(first: Affine, matrix, bias) -> Affine:
    """``first`` followed by ``x @ matrix + bias``."""
    out_bias = None if first.bias is None else first.bias @ matrix
    if bias is not None:
        out_bias = bias if out_bias is None else out_bias + bias
    out_matrix = matrix if first.matrix is None else first.matrix @ matrix
    return Affine(out_matrix, out_bias, False)


def refiners_affine(refiners: list, what: str) -> Affine:
    """The refiners as one affine map and a final L2 normalisation, or a ValueError naming
    the first step that is not affine."""
    affine = Affine(None, None, False)
    for position, step in enumerate(refiners):
        name = type(step).__name__
        if isinstance(step, Normalizer) and position == len(refiners) - 1:
            if step.norm != "l2":
                raise ValueError(
                    f"{what}: cannot export Normalizer(norm={step.norm!r}); only the L2 "
                    "normalisation of a last Normalizer folds."
                )
            affine.normalize = True
            continue
        reader = AFFINE_STEPS.get(type(step))
        if reader is None:
            raise ValueError(
                f"{what}: cannot fold the refiner {name}: only affine refiners "
                f"({', '.join(cls.__name__ for cls in AFFINE_STEPS)}) and a last "
                "Normalizer fold into the exported model."
            )
        check_is_fitted(step)
        affine = _compose(affine, *reader(step))
    return affine
