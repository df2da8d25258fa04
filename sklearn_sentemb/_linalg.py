"""Numeric helpers shared by the refiners and the metrics: exact PCA at any scale."""

from __future__ import annotations

import copy

import numpy as np
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

__all__ = ["fit_pca", "single_threaded_blas", "unit_scaled"]


def unit_scaled(X: np.ndarray) -> tuple[np.ndarray, int]:
    """``X / 2**exponent`` in float64, with ``exponent`` putting its largest magnitude in [0.5, 1).

    Decompositions square the data: scaling first keeps huge values (1e200) from overflowing
    and tiny ones (1e-200) from underflowing, and dividing by a power of two is exact.
    """
    _, exponent = np.frexp(np.abs(X).max(initial=0.0))
    out = X.astype(np.float64)
    np.ldexp(out, -int(exponent), out=out)
    return out, int(exponent)


def fit_pca(X: np.ndarray, n_components: int) -> tuple[PCA, int]:
    """Fit an exact (non-randomised) PCA on ``X / 2**exponent`` (see ``unit_scaled``).

    Returns the PCA and ``exponent``: its ``mean_`` is in units of ``2**exponent`` and its
    variances in units of ``4**exponent``; components and ratios are scale-free.

    Both solvers decompose fully and keep the first ``n_components``, so the full
    decomposition is kept (``pca_memo``) and a later call on the same data with any
    ``n_components`` takes its first rows: the same numbers as a fit of its own.
    """
    from ._memo import data_key, pca_memo

    data, exponent = unit_scaled(X)
    n_samples, n_features = X.shape
    # "covariance_eigh" eigen-decomposes the d x d covariance: much faster than an SVD of the
    # data when n_samples >> n_features, and exact (unlike "randomized").
    solver = "covariance_eigh" if n_samples >= n_features else "full"
    key = data_key(X)
    full = pca_memo.get((solver, key)) if key is not None else None
    if full is None:
        # Constant data has zero total variance: PCA's explained_variance_ratio_ is then
        # 0 / 0, which is harmless for us (we do not use it).
        with np.errstate(divide="ignore", invalid="ignore"), single_threaded_blas():
            full = PCA(n_components=min(X.shape), svd_solver=solver).fit(data)
        if key is not None:
            pca_memo.put((solver, key), full)
    return _first_components(full, n_components), exponent


def _first_components(full: PCA, n_components: int) -> PCA:
    """A copy of the full PCA ``full`` keeping its first ``n_components``, as PCA would."""
    pca = copy.copy(full)
    pca.n_components = pca.n_components_ = n_components
    for name in ("components_", "explained_variance_", "explained_variance_ratio_"):
        setattr(pca, name, getattr(full, name)[:n_components].copy())
    pca.singular_values_ = full.singular_values_[:n_components].copy()
    pca.mean_ = full.mean_.copy()
    rest = full.explained_variance_[n_components:]
    pca.noise_variance_ = float(rest.mean()) if rest.size else 0.0
    return pca


def single_threaded_blas():
    """Run a small decomposition on one BLAS thread.

    A d x d eigen-decomposition gains nothing from threads, and right after a
    torch forward pass (whose OpenMP threads still spin) or on a busy machine,
    multithreaded LAPACK can be 10-50 times slower than one thread.
    """
    return threadpool_limits(limits=1, user_api="blas")
