"""Tests for the numeric refiners, each checked against a computation written out in numpy."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, QuantileTransformer, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_sentemb import AllButTheTop, CommonComponentRemoval, Whitening

# One row per estimator configuration run through scikit-learn's common checks.
ESTIMATORS = [
    Whitening(),
    Whitening(method="zca"),
    Whitening(n_components=1),
    AllButTheTop(),
    AllButTheTop(center=False),
    CommonComponentRemoval(),
    CommonComponentRemoval(n_components=2, weighted=True),
]

# Expected failures of the common checks, with the reason. Empty: all of them pass.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def correlated(n_samples, n_features, seed=0, dtype=np.float64):
    """Correlated Gaussian data with a non-zero mean and a spectrum within a factor of 16."""
    rng = np.random.RandomState(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n_features, n_features)))
    scales = np.linspace(1.0, 4.0, n_features)
    X = rng.normal(size=(n_samples, n_features)) * scales @ q.T + rng.normal(size=n_features) * 5
    return X.astype(dtype)


def population_cov(Z):
    return np.cov(Z, rowvar=False, ddof=0)


# --- Whitening ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_whitened_covariance_is_identity(method):
    X = correlated(500, 8)
    Z = Whitening(method=method).fit_transform(X)
    assert Z.shape == (500, 8)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(population_cov(Z), np.eye(8), atol=1e-4)


def test_whitening_pca_matches_bert_whitening_formula():
    X = correlated(300, 6)
    k = 4
    Z = Whitening(n_components=k, epsilon=1e-12).fit_transform(X)
    # Su et al. (2021), written out: population covariance, eigen-decomposition, x U L^-1/2.
    mu = X.mean(axis=0)
    lam, U = np.linalg.eigh((X - mu).T @ (X - mu) / len(X))
    order = np.argsort(lam)[::-1][:k]
    expected = (X - mu) @ U[:, order] / np.sqrt(lam[order])
    signs = np.sign(np.sum(Z * expected, axis=0))
    np.testing.assert_allclose(Z, expected * signs, rtol=1e-6, atol=1e-8)


def test_whitening_fewer_samples_than_features():
    X = correlated(20, 50, seed=1)
    k = 5
    whitening = Whitening(n_components=k).fit(X)
    Z = whitening.transform(X)
    assert Z.shape == (20, k)
    assert whitening.n_components_ == k
    np.testing.assert_allclose(population_cov(Z), np.eye(k), atol=1e-4)


def test_whitening_default_keeps_min_samples_features():
    X = correlated(20, 50, seed=1)
    whitening = Whitening().fit(X)
    assert whitening.n_components_ == 20
    assert np.all(np.isfinite(whitening.transform(X)))


def test_whitening_equals_sklearn_pca_whiten_up_to_ddof_and_sign():
    X = correlated(200, 7)
    n = len(X)
    ours = Whitening(epsilon=1e-12).fit_transform(X)
    pca = PCA(whiten=True, svd_solver="full").fit_transform(X)
    # PCA divides the covariance by n - 1, Whitening by n: the outputs differ by sqrt(n/(n-1)).
    pca_population = pca * np.sqrt(n / (n - 1))
    signs = np.sign(np.sum(ours * pca_population, axis=0))
    assert set(signs) <= {-1.0, 1.0}
    np.testing.assert_allclose(ours, pca_population * signs, rtol=1e-6, atol=1e-8)


def test_zca_is_symmetric_whitening():
    X = correlated(400, 6)
    whitening = Whitening(method="zca").fit(X)
    W = whitening.whitening_matrix_
    np.testing.assert_allclose(W, W.T, atol=1e-12)
    # ZCA: W = Sigma^(-1/2), the symmetric inverse square root of the covariance.
    lam, U = np.linalg.eigh(population_cov(X))
    np.testing.assert_allclose(W, U @ np.diag(lam**-0.5) @ U.T, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(population_cov(whitening.transform(X)), np.eye(6), atol=1e-4)


def test_zca_feature_names_are_the_inputs():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(correlated(50, 3), columns=["a", "b", "c"])
    assert list(Whitening(method="zca").fit(X).get_feature_names_out()) == ["a", "b", "c"]
    names = Whitening(n_components=2).fit(X).get_feature_names_out()
    assert list(names) == ["whitening0", "whitening1"]


def test_whitening_eigenvalues_are_regularised_relative_to_the_largest():
    X = correlated(100, 4)
    epsilon = 1e-2
    whitening = Whitening(epsilon=epsilon).fit(X)
    lam = whitening.explained_variance_
    expected = whitening.components_.T / np.sqrt(lam + epsilon * lam.max())
    np.testing.assert_allclose(whitening.whitening_matrix_, expected, rtol=1e-12)


def test_whitening_too_many_components():
    with pytest.raises(ValueError, match=r"Whitening: n_components=6 .* min\(n_samples, n_feat"):
        Whitening(n_components=6).fit(correlated(5, 10))


# --- All-but-the-top ----------------------------------------------------------------------


def test_abtt_removes_mean_and_top_directions():
    X = correlated(300, 10)
    D = 3
    abtt = AllButTheTop(n_components=D).fit(X)
    Z = abtt.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-10)
    # Independent top directions from numpy's SVD of the centred data.
    _, _, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(Z @ vt[:D].T, 0, atol=1e-9)
    # What is left is exactly the projection on the remaining directions.
    rest = vt[D:]
    np.testing.assert_allclose(Z, (X - X.mean(axis=0)) @ rest.T @ rest, atol=1e-9)


# --- Common component removal -------------------------------------------------------------


def test_ccr_removes_first_singular_direction_of_uncentred_data():
    X = correlated(200, 6)
    ccr = CommonComponentRemoval().fit(X)
    Z = ccr.transform(X)
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(np.abs(ccr.components_[0]), np.abs(vt[0]), atol=1e-10)
    np.testing.assert_allclose(ccr.singular_values_, s[:1], rtol=1e-10)
    np.testing.assert_allclose(Z @ vt[0], 0, atol=1e-9)
    np.testing.assert_allclose(Z, X - np.outer(X @ vt[0], vt[0]), atol=1e-9)
    # Uncentred: with a large common offset the direction removed is close to the mean.
    mean_direction = X.mean(axis=0) / np.linalg.norm(X.mean(axis=0))
    assert abs(vt[0] @ mean_direction) > 0.9


# --- Robustness ---------------------------------------------------------------------------

ALL_REFINERS = [
    Whitening(),
    Whitening(method="zca"),
    Whitening(n_components=1),
    AllButTheTop(),
    AllButTheTop(center=False),
    CommonComponentRemoval(),
    CommonComponentRemoval(n_components=2, weighted=True),
]


def degenerate_inputs():
    rng = np.random.RandomState(0)
    row = rng.normal(size=16)
    return {
        "constant": np.ones((10, 16)),
        "zeros": np.zeros((10, 16)),
        "duplicates": np.tile(row, (10, 1)),
        "two_rows": rng.normal(size=(2, 16)),
        "rank_one": np.outer(rng.normal(size=10), row),
        "large_float32": (rng.normal(size=(30, 16)) * 1e3 + 1e4).astype(np.float32),
    }


@pytest.mark.parametrize("refiner", ALL_REFINERS, ids=repr)
@pytest.mark.parametrize("case", sorted(degenerate_inputs()))
def test_no_nan_or_inf_on_degenerate_input(refiner, case):
    X = degenerate_inputs()[case]
    Z = clone(refiner).fit(X).transform(X)
    assert np.all(np.isfinite(Z))
    # New, non-degenerate data stays finite too.
    assert np.all(np.isfinite(clone(refiner).fit(X).transform(X + 1.0)))


def bert_whitening_by_hand(X):
    """Su et al. (2021) written out: population covariance, eigen-decomposition, x U L^-1/2."""
    mu = X.mean(axis=0)
    lam, U = np.linalg.eigh((X - mu).T @ (X - mu) / len(X))
    order = np.argsort(lam)[::-1]
    return (X - mu) @ U[:, order] / np.sqrt(lam[order]), lam[order]


def abtt_by_hand(X, D):
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred - centred @ vt[:D].T @ vt[:D]


def ccr_by_hand(X):
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    return X - np.outer(X @ vt[0], vt[0])


# 1e153: the squares of the largest values (about 1e154) overflow float64, their variances
# do not; 1e-200: the squares underflow to zero.
@pytest.mark.parametrize("scale", [1e153, 1e-200])
def test_huge_or_tiny_values_are_refined_as_at_unit_scale(scale):
    X = correlated(300, 6)
    assert np.abs(X).max() > 10  # so that X * 1e153 squared overflows float64
    expected, lam = bert_whitening_by_hand(X)  # whitening does not depend on the scale
    whitening = Whitening(epsilon=1e-12).fit(X * scale)
    Z = whitening.transform(X * scale)
    signs = np.sign(np.sum(Z * expected, axis=0))
    np.testing.assert_allclose(Z, expected * signs, rtol=1e-6, atol=1e-8)
    if scale > 1:  # the variances are representable (tiny ones underflow to zero)
        np.testing.assert_allclose(whitening.explained_variance_, lam * scale**2, rtol=1e-9)
    # All-but-the-top and common component removal scale with the data.
    np.testing.assert_allclose(
        AllButTheTop(2).fit_transform(X * scale) / scale, abtt_by_hand(X, 2), atol=1e-9
    )
    np.testing.assert_allclose(
        CommonComponentRemoval().fit_transform(X * scale) / scale, ccr_by_hand(X), atol=1e-9
    )


def test_common_component_removal_of_values_near_the_float64_limit():
    X = correlated(100, 5)
    ccr = CommonComponentRemoval().fit(X * 1e300)
    np.testing.assert_allclose(ccr.transform(X * 1e300) / 1e300, ccr_by_hand(X), atol=1e-9)
    _, s, _ = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(ccr.singular_values_ / 1e300, s[:1], rtol=1e-10)


@pytest.mark.parametrize("refiner", ALL_REFINERS, ids=repr)
def test_float32_in_float32_out(refiner):
    X32 = correlated(100, 8, dtype=np.float32)
    Z32 = clone(refiner).fit_transform(X32)
    Z64 = clone(refiner).fit_transform(X32.astype(np.float64))
    assert Z32.dtype == np.float32
    assert np.all(np.isfinite(Z32))
    np.testing.assert_allclose(Z32, Z64, rtol=1e-3, atol=1e-3)


def test_float32_whitening_of_near_singular_data_is_finite():
    rng = np.random.RandomState(0)
    base = rng.normal(size=(100, 3)).astype(np.float32)
    # 3 informative dimensions copied into 24 with float32 round-off noise only.
    X = np.hstack([base] * 8) + np.float32(1e-7) * rng.normal(size=(100, 24)).astype(np.float32)
    Z = Whitening(method="zca").fit_transform(X.astype(np.float32))
    assert Z.dtype == np.float32
    assert np.all(np.isfinite(Z))


@pytest.mark.parametrize("refiner", ALL_REFINERS, ids=repr)
def test_pickle_round_trip_gives_identical_output(refiner):
    X = correlated(60, 5)
    fitted = clone(refiner).fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))


# --- Chaining with scikit-learn's own refiners --------------------------------------------


@pytest.mark.parametrize(
    "after",
    [StandardScaler(), QuantileTransformer(n_quantiles=20), Normalizer()],
    ids=lambda est: type(est).__name__,
)
@pytest.mark.parametrize("refiner", ALL_REFINERS, ids=repr)
def test_pipeline_with_sklearn_refiners(refiner, after):
    X = correlated(80, 6)
    pipe = make_pipeline(clone(refiner), clone(after))
    Z = pipe.fit_transform(X)
    step = clone(refiner).fit(X)
    np.testing.assert_allclose(Z, clone(after).fit_transform(step.transform(X)), atol=1e-12)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.transform(X), pipe.transform(X))


@pytest.mark.parametrize("refiner", ALL_REFINERS, ids=repr)
def test_pipeline_set_output_pandas(refiner):
    pd = pytest.importorskip("pandas")
    X = correlated(40, 4)
    pipe = make_pipeline(clone(refiner), Normalizer()).set_output(transform="pandas")
    out = pipe.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(pipe[0].get_feature_names_out())
    np.testing.assert_allclose(
        out.to_numpy(), make_pipeline(clone(refiner), Normalizer()).fit_transform(X)
    )
