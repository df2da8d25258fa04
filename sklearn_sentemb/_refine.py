"""Numeric refiners: post-processing of dense sentence embeddings.

Every refiner here is an ordinary scikit-learn transformer on ``(n_samples, n_features)``
float arrays. Z-score, quantile-uniform and L2 normalisation are scikit-learn's own
:class:`~sklearn.preprocessing.StandardScaler`, :class:`~sklearn.preprocessing.QuantileTransformer`
and :class:`~sklearn.preprocessing.Normalizer`; this module holds only what scikit-learn lacks.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from ._linalg import fit_pca, single_threaded_blas, unit_scaled
from ._memo import memoized_fit

__all__ = ["AllButTheTop", "CommonComponentRemoval", "Whitening"]

_FLOAT_DTYPES = (np.float64, np.float32)


def _unscale(estimator, values: np.ndarray, exponent: int, X: np.ndarray, what: str):
    """``values * 2**exponent`` as ``X.dtype``; a ValueError naming the step if it overflows."""
    with np.errstate(over="ignore"):
        out = np.ldexp(values, exponent)
    if not np.all(np.abs(out) <= np.finfo(X.dtype).max):  # also catches NaN
        raise ValueError(
            f"{type(estimator).__name__}: the {what} of X overflow {X.dtype} (the largest "
            f"magnitude in X is {np.abs(X).max():.3g}); rescale X first, for instance "
            "with StandardScaler."
        )
    return out.astype(X.dtype)


def _validate(estimator, X, **kwargs) -> np.ndarray:
    """``validate_data`` to a float array; every error names the step, NaN or inf its row."""
    name = type(estimator).__name__
    try:
        X = validate_data(estimator, X, dtype=_FLOAT_DTYPES, ensure_all_finite=False, **kwargs)
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(f"{name}:"):
            raise
        # Some of scikit-learn's messages (sparse, complex, text, None input) omit the step.
        raise (TypeError if isinstance(exc, TypeError) else ValueError)(f"{name}: {exc}") from exc
    finite = np.isfinite(X)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ValueError(
            f"{name}: X contains NaN or infinity (first at row {row}, column {column}: "
            f"{X[row, column]})."
        )
    return X


def _finite_output(estimator, Z: np.ndarray) -> np.ndarray:
    """``Z``, or a ValueError naming the step when finite input overflowed on the way."""
    finite = np.isfinite(Z).all(axis=1)
    if not finite.all():
        raise ValueError(
            f"{type(estimator).__name__}: the output overflows {Z.dtype} (first at row "
            f"{int(np.argmin(finite))}); X is too large for this dtype: rescale it first "
            "(for instance with StandardScaler) or pass float64."
        )
    return Z


class _Refiner(TransformerMixin, BaseEstimator):
    """What every refiner here shares: float input checked with errors naming the step, the
    input dtype kept, and a ``transform`` whose overflow is reported rather than returned."""

    def _fit_input(self, X, n_components, **kwargs) -> tuple[np.ndarray, int]:
        """Validated training data (``kwargs`` go to ``validate_data``) and the number of
        directions to keep, checked against its shape (None: ``min(n_samples, n_features)``)."""
        X = _validate(self, X, **kwargs)
        max_components = min(X.shape)
        if n_components is None:
            return X, max_components
        if n_components > max_components:
            raise ValueError(
                f"{type(self).__name__}: n_components={n_components} must be at most "
                f"min(n_samples, n_features)={max_components} for X of shape {X.shape}."
            )
        return X, n_components

    def _refine(self, X) -> np.ndarray:
        """``transform``: ``self._apply`` to the checked ``X``, in its dtype."""
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            Z = self._apply(X)
        return _finite_output(self, Z)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _DirectionRemoval(OneToOneFeatureMixin, _Refiner):
    """A refiner that removes the projection on ``n_components`` learned directions."""

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    #: Whether ``mean_`` is subtracted before the directions are removed.
    _centres = False

    def __init__(self, n_components=1):
        self.n_components = n_components

    def _apply(self, X):
        if self._centres:
            X = X - self.mean_.astype(X.dtype)
        return _remove_directions(X, self.components_.astype(X.dtype))


class Whitening(ClassNamePrefixFeaturesOutMixin, _Refiner):
    """Whiten embeddings: centre them and give them an identity covariance.

    This is BERT-whitening (Su et al., 2021): with the mean ``mu`` and the eigen-decomposition
    ``Sigma = U diag(lambda) U^T`` of the covariance of the training embeddings, a row ``x``
    becomes ``(x - mu) @ U @ diag(1 / sqrt(lambda + reg))``, optionally keeping only the
    ``n_components`` directions of largest variance. With ``method="zca"`` the result is
    rotated back to the original axes, ``(x - mu) @ U diag(1 / sqrt(lambda + reg)) U^T``,
    which is the whitening closest to the input (zero-phase component analysis).

    Parameters
    ----------
    n_components : int or None, default=None
        Number of principal directions kept. ``None`` keeps ``min(n_samples, n_features)``.
    method : {"pca", "zca"}, default="pca"
        ``"pca"`` outputs the ``n_components`` whitened principal coordinates; ``"zca"``
        rotates them back to the ``n_features`` input axes.
    epsilon : float, default=1e-6
        Regularisation of the eigenvalues, relative to the largest one (see Notes).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.
    components_ : ndarray of shape (`n_components_`, n_features)
        Principal directions (rows), by decreasing variance, with scikit-learn's sign
        convention (:func:`~sklearn.utils.extmath.svd_flip`).
    explained_variance_ : ndarray of shape (`n_components_`,)
        Eigenvalues ``lambda`` of the population covariance (divided by ``n_samples``).
    whitening_matrix_ : ndarray of shape (n_features, `n_components_`) or (n_features, n_features)
        The matrix ``W`` such that ``transform(X) == (X - mean_) @ W``. Symmetric for ZCA.
    n_components_ : int
        Number of principal directions kept.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : With ``whiten=True``, the ``"pca"`` method up to the
        covariance normalisation (see Notes).
    AllButTheTop : Remove the top principal directions instead of rescaling them.

    Notes
    -----
    The covariance is the population covariance ``(X - mu)^T (X - mu) / n_samples``, as in
    Su et al. (2021), so the whitened training data satisfies ``Z^T Z / n_samples = I`` on the
    kept directions. :class:`~sklearn.decomposition.PCA` with ``whiten=True`` divides by
    ``n_samples - 1`` instead, so its output equals the ``"pca"`` output times
    ``sqrt((n_samples - 1) / n_samples)`` (with ``epsilon`` negligible). The principal
    directions are those of a fitted scikit-learn ``PCA``.

    Tiny eigenvalues (fewer samples than features, constant or duplicated rows, float32
    round-off) would make ``1 / sqrt(lambda)`` blow up. Every eigenvalue is therefore
    regularised to ``lambda + reg`` with ``reg = epsilon * max(lambda)``: no direction is
    amplified more than ``1 / sqrt(epsilon)`` times the largest one (1000 for the default).
    When all eigenvalues are zero (constant data), ``reg = epsilon``. The decomposition is
    computed in float64 on ``X`` divided by a power of two (exact), so that huge or tiny
    values neither overflow nor underflow; float32 input gives float32 output. When the
    variances themselves do not fit the dtype (values near ``1e154`` in float64, ``1e19``
    in float32), ``fit`` raises a ``ValueError`` asking to rescale ``X``; so does a
    ``transform`` whose output overflows. NaN or infinity in ``X`` raises a ``ValueError``
    naming the first row.

    References
    ----------
    .. [1] J. Su, J. Cao, W. Liu and Y. Ou, "Whitening Sentence Representations for Better
       Semantics and Faster Retrieval", arXiv:2103.15316, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import Whitening
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4))
    >>> Z = Whitening(n_components=2).fit_transform(X)
    >>> Z.shape
    (100, 2)
    >>> bool(np.allclose(Z.T @ Z / len(Z), np.eye(2)))
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "method": [StrOptions({"pca", "zca"})],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, n_components=None, *, method="pca", epsilon=1e-6):
        self.n_components = n_components
        self.method = method
        self.epsilon = epsilon

    @_fit_context(prefer_skip_nested_validation=True)
    @memoized_fit
    def fit(self, X, y=None):
        """Learn the mean and the whitening matrix of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training embeddings.
        y : None
            Ignored.

        Returns
        -------
        self : Whitening
            The fitted transformer.
        """
        X, n_components = self._fit_input(X, self.n_components, ensure_min_samples=2)
        n_samples = X.shape[0]
        pca, exponent = fit_pca(X, n_components)
        # PCA's variances are unbiased (divided by n - 1); whitening uses the population one.
        eigenvalues = np.clip(pca.explained_variance_ * ((n_samples - 1) / n_samples), 0, None)
        largest = eigenvalues.max(initial=0.0)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            if largest > 0:
                # The regulariser is relative to the largest eigenvalue, so whitening the
                # scaled data and then dividing by the scale is exact.
                scale = np.ldexp(1.0 / np.sqrt(eigenvalues + self.epsilon * largest), -exponent)
            else:  # constant data: reg = epsilon, in the units of X
                scale = np.full(len(eigenvalues), 1.0 / np.sqrt(self.epsilon))
            whitening = pca.components_.T * scale
            if self.method == "zca":
                whitening = whitening @ pca.components_

        variances = _unscale(self, eigenvalues, 2 * exponent, X, "variances")
        self.whitening_matrix_ = _unscale(self, whitening, 0, X, "inverse standard deviations")
        self.explained_variance_ = variances
        self.mean_ = np.ldexp(pca.mean_, exponent).astype(X.dtype)
        self.components_ = pca.components_.astype(X.dtype)
        self.n_components_ = n_components
        return self

    def transform(self, X):
        """Centre and whiten ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Embeddings to whiten.

        Returns
        -------
        X_new : ndarray of shape (n_samples, `n_components_`) or (n_samples, n_features)
            Whitened embeddings; ``n_features`` columns for ``method="zca"``.
        """
        return self._refine(X)

    def _apply(self, X):
        return (X - self.mean_.astype(X.dtype)) @ self.whitening_matrix_.astype(X.dtype)

    @property
    def _n_features_out(self):
        return self.n_components_

    def get_feature_names_out(self, input_features=None):
        """Output feature names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; only used with ``method="zca"``, whose outputs keep them.

        Returns
        -------
        feature_names_out : ndarray of str
            ``whitening0``, ``whitening1``, ... for ``"pca"``; the input names for ``"zca"``.
        """
        check_is_fitted(self)
        if self.method == "zca":
            return _check_feature_names_in(self, input_features)
        return super().get_feature_names_out(input_features)


class AllButTheTop(_DirectionRemoval):
    """Remove the mean and the top principal directions ("all-but-the-top").

    Mu & Viswanath (2018): a few dominating directions, shared by all embeddings, carry
    little meaning. A row ``x`` becomes ``x' - U^T U x'`` with ``x' = x - mu``, where the rows
    of ``U`` are the top ``n_components`` principal directions of the training data
    (``center=True``), or ``x' - U^T U x``, Algorithm 1 of the paper as written
    (``center=False``).

    Parameters
    ----------
    n_components : int, default=1
        Number of top principal directions removed (the paper suggests about
        ``n_features / 100``).
    center : bool, default=True
        Which vectors the removed projections are those of: the centred ``x - mu`` (True) or
        the input ``x`` (False, step 3 of the paper's Algorithm 1 as printed). Both subtract
        the mean; they differ by the constant vector ``U^T U mu``. The default is the
        centred reading because it is what the paper describes (removing the common mean
        and the dominating directions): its output has zero mean on the training data and
        no component along ``U``, whereas the printed form adds ``-U^T U mu`` to every row,
        a shared direction that cosine similarity then sees again.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.
    components_ : ndarray of shape (n_components, n_features)
        The removed principal directions (orthonormal rows), from a scikit-learn ``PCA``.
    explained_variance_ : ndarray of shape (n_components,)
        Unbiased variance of the training data along each removed direction.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    CommonComponentRemoval : Remove the top singular directions without centring.
    Whitening : Rescale all principal directions instead of removing the top ones.

    Notes
    -----
    The output keeps the ``n_features`` input axes; with ``center=True``, on the training data
    it has zero mean and is orthogonal to every row of ``components_``. The step is affine:
    ``transform(X) == X @ (I - U^T U) - mu`` with ``mu = mean_ @ (I - U^T U)`` for
    ``center=True`` and ``mu = mean_`` for ``center=False`` (``U = components_``). Huge or
    tiny values are handled as in :class:`Whitening` (variances that overflow the dtype raise
    a ``ValueError``).

    References
    ----------
    .. [1] J. Mu and P. Viswanath, "All-but-the-Top: Simple and Effective Postprocessing for
       Word Representations", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import AllButTheTop
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(50, 5)) + 10
    >>> abtt = AllButTheTop(n_components=2).fit(X)
    >>> Z = abtt.transform(X)
    >>> bool(np.allclose(Z.mean(axis=0), 0) and np.allclose(Z @ abtt.components_.T, 0))
    True
    """

    _centres = True
    _parameter_constraints: dict = {
        **_DirectionRemoval._parameter_constraints,
        "center": ["boolean"],
    }

    def __init__(self, n_components=1, *, center=True):
        super().__init__(n_components)
        self.center = center

    def _apply(self, X):
        if self.center:
            return super()._apply(X)
        # Algorithm 1 as printed: the projections of the input, then the mean, are removed.
        removed = _remove_directions(X, self.components_.astype(X.dtype))
        return removed - self.mean_.astype(X.dtype)

    @_fit_context(prefer_skip_nested_validation=True)
    @memoized_fit
    def fit(self, X, y=None):
        """Learn the mean and the top principal directions of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training embeddings.
        y : None
            Ignored.

        Returns
        -------
        self : AllButTheTop
            The fitted transformer.
        """
        X, n_components = self._fit_input(X, self.n_components, ensure_min_samples=2)
        pca, exponent = fit_pca(X, n_components)
        self.explained_variance_ = _unscale(
            self, pca.explained_variance_, 2 * exponent, X, "variances"
        )
        self.mean_ = np.ldexp(pca.mean_, exponent).astype(X.dtype)
        self.components_ = pca.components_.astype(X.dtype)
        return self

    def transform(self, X):
        """Centre ``X`` and remove its projection on the top principal directions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Embeddings to post-process.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Post-processed embeddings.
        """
        return self._refine(X)


class CommonComponentRemoval(_DirectionRemoval):
    """Remove the common component(s): the top singular directions of the uncentred data.

    The post-processing of SIF embeddings (Arora et al., 2017): a row ``x`` becomes
    ``x - U^T U x``, where the rows of ``U`` are the first ``n_components`` right singular
    vectors of the (uncentred) training matrix. With ``weighted=True`` it is uSIF's
    piecewise removal (Ethayarajh, 2018): ``x - sum_i lambda_i (u_i . x) u_i`` with
    ``lambda_i = sigma_i^2 / sum_j sigma_j^2`` over the ``n_components`` removed singular
    values ``sigma``.

    Parameters
    ----------
    n_components : int, default=1
        Number of singular directions removed (SIF removes one, uSIF five).
    weighted : bool, default=False
        Remove each direction in full (SIF) or only its share ``lambda_i`` of the squared
        singular values (uSIF).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The removed right singular vectors (orthonormal rows), signs fixed by
        :func:`~sklearn.utils.extmath.svd_flip`.
    singular_values_ : ndarray of shape (n_components,)
        The corresponding singular values of the training matrix.
    removal_weights_ : ndarray of shape (n_components,)
        The share of each direction removed: ones, or uSIF's ``lambda_i`` with
        ``weighted=True``. ``transform(X) == X - (X @ U.T * removal_weights_) @ U`` with
        ``U = components_``: a linear map.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    AllButTheTop : Centre first, then remove the top principal directions.
    sklearn.decomposition.TruncatedSVD : The same decomposition (approximate by default).

    Notes
    -----
    The singular vectors come from an exact SVD computed in float64, not the randomised
    :class:`~sklearn.decomposition.TruncatedSVD` of the reference implementations (SIF's and
    uSIF's), so the result does not depend on a random seed. uSIF applies its ``n_components``
    weighted removals one after the other; the directions being orthonormal, that equals
    the single map above. The SVD is of ``X`` divided by a power of two
    (exact), so huge or tiny values neither overflow nor underflow.

    References
    ----------
    .. [1] S. Arora, Y. Liang and T. Ma, "A Simple but Tough-to-Beat Baseline for Sentence
       Embeddings", ICLR 2017.
    .. [2] K. Ethayarajh, "Unsupervised Random Walk Sentence Embeddings: A Strong but Simple
       Baseline", Rep4NLP workshop at ACL 2018 (code: github.com/kawine/usif).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import CommonComponentRemoval
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(50, 5)) + 3
    >>> ccr = CommonComponentRemoval().fit(X)
    >>> bool(np.allclose(ccr.transform(X) @ ccr.components_.T, 0))
    True
    """

    _parameter_constraints: dict = {
        **_DirectionRemoval._parameter_constraints,
        "weighted": ["boolean"],
    }

    def __init__(self, n_components=1, *, weighted=False):
        super().__init__(n_components)
        self.weighted = weighted

    def _apply(self, X):
        components = self.components_.astype(X.dtype)
        return X - (X @ components.T * self.removal_weights_.astype(X.dtype)) @ components

    @_fit_context(prefer_skip_nested_validation=True)
    @memoized_fit
    def fit(self, X, y=None):
        """Learn the top right singular vectors of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training embeddings.
        y : None
            Ignored.

        Returns
        -------
        self : CommonComponentRemoval
            The fitted transformer.
        """
        X, n_components = self._fit_input(X, self.n_components)
        scaled, exponent = unit_scaled(X)
        with single_threaded_blas():
            u, s, vt = scipy.linalg.svd(scaled, full_matrices=False)
        u, vt = svd_flip(u, vt, u_based_decision=False)
        self.singular_values_ = _unscale(self, s[:n_components], exponent, X, "singular values")
        self.components_ = vt[:n_components].astype(X.dtype)
        self.removal_weights_ = _removal_weights(s[:n_components], self.weighted).astype(X.dtype)
        return self

    def transform(self, X):
        """Remove the projection of ``X`` on the common component(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Embeddings to post-process.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Post-processed embeddings.
        """
        return self._refine(X)


def _removal_weights(singular_values: np.ndarray, weighted: bool) -> np.ndarray:
    """Ones, or uSIF's ``lambda_i = sigma_i^2 / sum_j sigma_j^2`` (zeros if all are zero)."""
    if not weighted:
        return np.ones(len(singular_values))
    squared = np.asarray(singular_values, dtype=np.float64) ** 2
    total = squared.sum()
    return squared / total if total > 0 else np.zeros(len(squared))


def _remove_directions(X: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Return ``X`` minus its projection on the span of the orthonormal rows ``directions``."""
    return X - (X @ directions.T) @ directions
