"""Tests for sklearn_sentemb.metrics, each against an independent computation."""

import itertools
import pickle

import numpy as np
import pytest
import scipy.special
import scipy.stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics.pairwise import (
    cosine_similarity,
    paired_euclidean_distances,
    paired_manhattan_distances,
)
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_sentemb.metrics import (
    average_cosine_similarity,
    check_gold,
    clustering_accuracy,
    evaluate_clustering,
    isotropy_ratio,
    make_sts_scorer,
    pair_similarity,
    split_pairs,
    sts_score,
    top_component_variance_ratio,
)

# --- a tiny, deterministic text pipeline following the pair convention --------------------


class FlattenPairs(TransformerMixin, BaseEstimator):
    """Flatten (n_pairs, 2) text pairs row-major into 2 * n_pairs texts."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=object).reshape(-1)


def project(X):
    """Densify and apply a fixed random projection, so that cosines are free of exact ties.

    Spearman's rank correlation is sensitive to ties broken by round-off, so the test data
    must not produce tied similarities for the by-hand comparison to be exact.
    """
    dense = X.toarray()
    rng = np.random.RandomState(dense.shape[1])
    return dense @ rng.normal(size=(dense.shape[1], 16))


def to_frame(X):
    import pandas as pd

    return pd.DataFrame(X)


def text_pipeline(**params):
    pipe = Pipeline(
        [
            ("pairs", FlattenPairs()),
            ("vec", HashingVectorizer(n_features=64)),
            ("dense", FunctionTransformer(project, accept_sparse=True)),
        ]
    )
    return pipe.set_params(**params)


def embed_by_hand(texts, **vec_params):
    """Embed single texts without the pipeline: the independent side of the comparison."""
    params = {"n_features": 64, **vec_params}
    return project(HashingVectorizer(**params).transform(list(texts)))


def sts_data(n_pairs=60, seed=0):
    """Pairs sharing ``m`` of 6 words (never all 6) with gold score ``m``."""
    rng = np.random.RandomState(seed)
    vocabulary = [f"word{i}" for i in range(40)]
    pairs, gold = [], []
    for _ in range(n_pairs):
        first = list(rng.choice(vocabulary, size=6, replace=False))
        shared = rng.randint(0, 6)
        others = [w for w in vocabulary if w not in first]
        second = first[:shared] + list(rng.choice(others, size=6 - shared, replace=False))
        pairs.append((" ".join(first), " ".join(second)))
        gold.append(float(shared))
    return np.array(pairs, dtype=object), np.array(gold)


# --- pair_similarity and sts_score --------------------------------------------------------


def random_pairs(n=30, d=8, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.uniform(0, 5, size=n)


def test_pair_similarity_matches_sklearn_pairwise():
    a, b, _ = random_pairs()
    np.testing.assert_allclose(pair_similarity(a, b), np.diag(cosine_similarity(a, b)))
    np.testing.assert_allclose(pair_similarity(a, b, "dot"), np.diag(a @ b.T))
    np.testing.assert_allclose(
        pair_similarity(a, b, "euclidean"), -paired_euclidean_distances(a, b)
    )
    np.testing.assert_allclose(
        pair_similarity(a, b, "manhattan"), -paired_manhattan_distances(a, b)
    )


def test_cosine_of_zero_vector_is_zero():
    sims = pair_similarity([[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]], [[1.0, 1.0], [0, 0], [0, 0]])
    np.testing.assert_array_equal(sims, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("similarity", ["cosine", "dot", "euclidean", "manhattan"])
@pytest.mark.parametrize("correlation", ["spearman", "pearson"])
def test_sts_score_matches_scipy(similarity, correlation):
    a, b, gold = random_pairs()
    by_hand_sims = {
        "cosine": np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1),
        "dot": np.sum(a * b, axis=1),
        "euclidean": -np.sqrt(np.sum((a - b) ** 2, axis=1)),
        "manhattan": -np.sum(np.abs(a - b), axis=1),
    }[similarity]
    by_hand = {"spearman": scipy.stats.spearmanr, "pearson": scipy.stats.pearsonr}[correlation]
    expected = by_hand(by_hand_sims, gold)[0]
    score = sts_score(a, b, gold, similarity=similarity, correlation=correlation)
    assert isinstance(score, float)
    assert score == pytest.approx(expected, abs=1e-12)


def test_sts_score_accepts_lists_and_integer_gold():
    a, b, _ = random_pairs(n=5)
    gold = [0, 1, 2, 3, 4]
    expected = scipy.stats.spearmanr(np.diag(cosine_similarity(a, b)), gold)[0]
    assert sts_score(a.tolist(), b.tolist(), gold) == pytest.approx(expected)


def test_sts_score_of_constant_similarities_warns_and_returns_zero():
    a = np.ones((4, 3))
    with pytest.warns(UserWarning, match="similarities are equal"):
        assert sts_score(a, a, [1.0, 2.0, 3.0, 4.0]) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"emb_b": np.zeros((4, 3))},
            ValueError,
            r"same shape; got \(5, 3\) and \(4, 3\)",
        ),
        (
            {"gold": [1.0, 2.0, np.nan, 4.0, np.nan]},
            ValueError,
            r"^sts_score: gold contains NaN \(first at index 2: nan\)",
        ),
        (
            {"gold": [1.0, 2.0, np.inf, 4.0, 5.0]},
            ValueError,
            r"^sts_score: gold contains infinity \(first at index 2: inf\)",
        ),
        ({"gold": [3.0] * 5}, ValueError, "^sts_score: gold is constant"),
        (
            {"gold": [1.0, "high", 2.0, 3.0, 4.0]},
            TypeError,
            "gold must contain numbers; the item at index 1 is 'high'",
        ),
        ({"gold": [None, 1.0, 2.0, 3.0, 4.0]}, ValueError, r"NaN \(first at index 0: nan\)"),
        ({"gold": [1.0, 2.0, 3.0]}, ValueError, "gold has 3 scores but there are 5 pairs"),
        ({"gold": np.ones((5, 2))}, ValueError, r"gold must be 1-D .* shape \(5, 2\)"),
        ({"similarity": "jaccard"}, ValueError, "similarity must be one of"),
        ({"correlation": "kendall"}, ValueError, "correlation must be one of"),
        ({"emb_a": np.zeros(5)}, ValueError, r"emb_a must be a 2-D array .* shape \(5,\)"),
        ({"emb_a": [["a", "b", "c"]] * 5}, TypeError, "emb_a must be a numeric array"),
    ],
)
def test_sts_score_bad_input(kwargs, error, match):
    a, b, gold = random_pairs(n=5, d=3)
    arguments = {"emb_a": a, "emb_b": b, "gold": gold, **kwargs}
    with pytest.raises(error, match=match):
        sts_score(**arguments)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("side", ["emb_a", "emb_b"])
def test_sts_score_non_finite_embeddings(bad, side):
    a, b, gold = random_pairs(n=5, d=3)
    arguments = {"emb_a": a, "emb_b": b}
    arguments[side][3, 1] = bad
    with pytest.raises(ValueError, match=rf"{side} contains NaN or infinity \(first at row 3\)"):
        sts_score(arguments["emb_a"], arguments["emb_b"], gold)


def test_sts_score_needs_two_pairs():
    with pytest.raises(ValueError, match="at least 2 pairs; got 1"):
        sts_score([[1.0, 0.0]], [[0.0, 1.0]], [3.0])


def test_sparse_embeddings_are_rejected_with_a_hint():
    sparse = HashingVectorizer(n_features=8).transform(["a b", "c d"])
    with pytest.raises(TypeError, match=r"emb_a is a sparse matrix.*toarray"):
        pair_similarity(sparse, sparse)


# --- split_pairs --------------------------------------------------------------------------


def test_split_pairs_row_major_convention():
    n_pairs = 4
    # Row 2*i + side holds (i, side).
    embeddings = np.array([[i, side] for i in range(n_pairs) for side in (0, 1)], dtype=float)
    emb_a, emb_b = split_pairs(embeddings, n_pairs)
    np.testing.assert_array_equal(emb_a, [[i, 0] for i in range(n_pairs)])
    np.testing.assert_array_equal(emb_b, [[i, 1] for i in range(n_pairs)])


def test_split_pairs_matches_pipeline_flattening():
    X, _ = sts_data(n_pairs=5)
    emb_a, emb_b = split_pairs(text_pipeline().fit_transform(X), len(X))
    # The pipeline projects 10 rows at once and the reference 5: BLAS may sum the products
    # in another order for another row count, so equal up to round-off (rows of different
    # texts differ by far more).
    np.testing.assert_allclose(emb_a, embed_by_hand(X[:, 0]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(emb_b, embed_by_hand(X[:, 1]), rtol=1e-12, atol=1e-12)


def test_split_pairs_wrong_row_count():
    with pytest.raises(
        ValueError, match=r"^split_pairs: expected 2 \* n_pairs = 6 .* got 5.*row-major"
    ):
        split_pairs(np.zeros((5, 2)), 3)
    with pytest.raises(ValueError, match=r"2-D array .* shape \(6,\)"):
        split_pairs(np.zeros(6), 3)


# --- the STS scorer in model selection ----------------------------------------------------


def by_hand_cv_score(X, y, n_splits=3, correlation="spearman", **vec_params):
    """Mean over KFold test folds of Spearman(cosine(a, b), gold), without our code."""
    scores = []
    for _, test in KFold(n_splits).split(X):
        a = embed_by_hand(X[test, 0], **vec_params)
        b = embed_by_hand(X[test, 1], **vec_params)
        cos = np.diag(cosine_similarity(a, b))
        corr = {"spearman": scipy.stats.spearmanr, "pearson": scipy.stats.pearsonr}
        scores.append(corr[correlation](cos, y[test])[0])
    return float(np.mean(scores))


def test_scorer_in_grid_search_matches_by_hand_computation():
    X, y = sts_data()
    grid = {"vec__analyzer": ["word", "char_wb"], "vec__n_features": [8, 256]}
    search = GridSearchCV(text_pipeline(), grid, scoring=make_sts_scorer(), cv=3)
    search.fit(X, y)
    by_hand = {
        (analyzer, n_features): by_hand_cv_score(X, y, analyzer=analyzer, n_features=n_features)
        for analyzer, n_features in itertools.product(*grid.values())
    }
    best = (search.best_params_["vec__analyzer"], search.best_params_["vec__n_features"])
    assert search.best_score_ == pytest.approx(by_hand[best], abs=1e-12)
    assert by_hand[best] == pytest.approx(max(by_hand.values()), abs=1e-12)
    for params, mean in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
        assert mean == pytest.approx(
            by_hand[params["vec__analyzer"], params["vec__n_features"]], abs=1e-12
        )


def test_scorer_in_cross_val_score_and_cross_validate():
    X, y = sts_data()
    scores = cross_val_score(
        text_pipeline(), X, y, cv=3, scoring=make_sts_scorer(correlation="pearson")
    )
    expected = by_hand_cv_score(X, y, correlation="pearson")
    assert scores.mean() == pytest.approx(expected, abs=1e-12)
    results = cross_validate(
        text_pipeline(),
        X,
        y,
        cv=3,
        scoring={"spearman": make_sts_scorer(), "pearson": make_sts_scorer(correlation="pearson")},
    )
    np.testing.assert_allclose(results["test_pearson"], scores)
    assert results["test_spearman"].mean() == pytest.approx(by_hand_cv_score(X, y), abs=1e-12)


def test_scorer_pickles_and_runs_in_parallel_workers():
    X, y = sts_data()
    scorer = make_sts_scorer(similarity="euclidean")
    restored = pickle.loads(pickle.dumps(scorer))
    pipe = text_pipeline().fit(X, y)
    assert restored(pipe, X, y) == scorer(pipe, X, y)
    serial = cross_val_score(text_pipeline(), X, y, cv=3, scoring=scorer, n_jobs=1)
    parallel = cross_val_score(text_pipeline(), X, y, cv=3, scoring=scorer, n_jobs=2)
    np.testing.assert_allclose(parallel, serial)


def test_scorer_accepts_pandas_output():
    pytest.importorskip("pandas")
    X, y = sts_data(n_pairs=10)
    pipe = text_pipeline().fit(X)
    pipe_pandas = Pipeline([("embed", text_pipeline()), ("frame", FunctionTransformer(to_frame))])
    pipe_pandas.fit(X)
    assert type(pipe_pandas.transform(X)).__name__ == "DataFrame"
    scorer = make_sts_scorer()
    assert scorer(pipe_pandas, X, y) == pytest.approx(scorer(pipe, X, y))


def test_scorer_bad_input():
    X, y = sts_data(n_pairs=6)
    pipe = text_pipeline().fit(X)
    scorer = make_sts_scorer()
    with pytest.raises(ValueError, match=r"shape \(n_pairs, 2\).*got shape \(6, 3\)"):
        scorer(pipe, np.column_stack([X, X[:, 0]]), y)
    with pytest.raises(ValueError, match=r"shape \(n_pairs, 2\).*got shape \(12,\)"):
        scorer(pipe, X.reshape(-1), y)
    with pytest.raises(ValueError, match="^make_sts_scorer: X has 6 pairs but y has 5 gold"):
        scorer(pipe, X, y[:5])
    with pytest.raises(ValueError, match=r"^make_sts_scorer: y must be 1-D .* shape \(\)"):
        scorer(pipe, X, 3.0)
    # A pipeline that embeds each pair as one row breaks the convention.
    not_flattening = Pipeline(
        [("join", FunctionTransformer(np.sum, kw_args={"axis": 1})), ("vec", HashingVectorizer())]
    )
    with pytest.raises(ValueError, match="row-major"):
        scorer(not_flattening, X, y)
    with pytest.raises(ValueError, match="similarity must be one of"):
        make_sts_scorer(similarity="cos")


class CountingPipeline(TransformerMixin, BaseEstimator):
    """The text pipeline, counting its transform calls (the expensive part of scoring)."""

    def fit(self, X, y=None):
        self.pipe_ = text_pipeline().fit(X)
        self.calls_ = 0
        return self

    def transform(self, X):
        self.calls_ += 1
        return self.pipe_.transform(X)


@pytest.mark.parametrize(
    ("bad_y", "match"),
    [
        (lambda y: y[:-1], "X has 6 pairs but y has 5 gold scores"),
        (lambda y: np.where(np.arange(6) == 4, np.nan, y), r"y contains NaN \(first at position 4"),
        (lambda y: np.full(6, 2.5), r"y is constant \(all 6 scores given to the scorer are 2.5"),
        (
            lambda y: np.array([1, 2, "x", 3, 4, 5], dtype=object),
            "y must contain numbers; the item at position 2 .* is 'x'",
        ),
    ],
    ids=["length", "nan", "constant", "not-a-number"],
)
def test_scorer_checks_y_before_embedding(bad_y, match):
    X, y = sts_data(n_pairs=6)
    estimator = CountingPipeline().fit(X)
    with pytest.raises((ValueError, TypeError), match=f"^make_sts_scorer: {match}"):
        make_sts_scorer()(estimator, X, bad_y(y))
    assert estimator.calls_ == 0


def test_scorer_names_a_bad_gold_score_by_its_position_in_the_fold():
    X, y = sts_data(n_pairs=12)
    y[5] = np.inf
    cv = KFold(3)
    # By hand: the test fold holding pair 5, and where pair 5 sits in it.
    test = next(test for _, test in cv.split(X) if 5 in test)
    position = int(np.flatnonzero(test == 5)[0])
    expected = (
        rf"^make_sts_scorer: y contains infinity \(first at position {position} of the "
        rf"{len(test)} pairs given to the scorer .*test fold.*check_gold\(y\).*: inf\)"
    )
    with pytest.raises(ValueError, match=expected):
        cross_val_score(
            text_pipeline(), X, y, cv=cv, scoring=make_sts_scorer(), error_score="raise"
        )
    # check_gold on the whole y reports the index in y itself.
    with pytest.raises(
        ValueError, match=r"^check_gold: gold contains infinity \(first at index 5: inf\)"
    ):
        check_gold(y)


def test_scorer_of_a_constant_fold_raises_or_scores_nan_under_error_score():
    X, y = sts_data(n_pairs=12)
    y[:4] = 3.0  # the first test fold of KFold(3)
    cv = KFold(3)
    with pytest.raises(ValueError, match=r"^make_sts_scorer: y is constant .*one test fold"):
        cross_val_score(
            text_pipeline(), X, y, cv=cv, scoring=make_sts_scorer(), error_score="raise"
        )
    with pytest.warns(UserWarning, match="Scoring failed"):
        scores = cross_val_score(text_pipeline(), X, y, cv=cv, scoring=make_sts_scorer())
    assert np.isnan(scores[0])
    for score, (_, test) in zip(scores[1:], list(cv.split(X))[1:]):
        a, b = embed_by_hand(X[test, 0]), embed_by_hand(X[test, 1])
        cos = np.diag(cosine_similarity(a, b))
        assert score == pytest.approx(scipy.stats.spearmanr(cos, y[test])[0], abs=1e-12)


def test_check_gold_returns_the_scores_or_names_the_index():
    gold = check_gold([0, 2.5, 5], n_pairs=3)
    assert gold.dtype == np.float64
    np.testing.assert_array_equal(gold, [0.0, 2.5, 5.0])
    with pytest.raises(
        ValueError, match=r"^check_gold: gold contains NaN \(first at index 1: nan\)"
    ):
        check_gold([1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="^check_gold: gold has 3 scores but there are 4 pairs"):
        check_gold([1.0, 2.0, 3.0], n_pairs=4)
    with pytest.raises(ValueError, match="^check_gold: gold is constant"):
        check_gold([2.0, 2.0])
    with pytest.raises(ValueError, match="^check_gold: gold is empty"):
        check_gold([])


# --- huge and tiny embeddings -------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_cosine_similarities_of_huge_or_tiny_embeddings(scale):
    a, b, gold = random_pairs(n=20, d=6)
    # Cosine ignores the scale: the reference is computed on the unscaled vectors.
    expected = np.diag(cosine_similarity(a, b))
    np.testing.assert_allclose(pair_similarity(a * scale, b * scale), expected, rtol=1e-12)
    X = np.vstack([a, b]) + 0.5
    cos = cosine_similarity(X)
    mean = (cos.sum() - np.trace(cos)) / (len(X) * (len(X) - 1))
    assert average_cosine_similarity(X * scale) == pytest.approx(mean, abs=1e-12)
    assert sts_score(a * scale, b * scale, gold) == pytest.approx(
        scipy.stats.spearmanr(expected, gold)[0], abs=1e-12
    )


def test_euclidean_of_huge_embeddings_and_dot_overflow():
    a, b, _ = random_pairs(n=10, d=4)
    np.testing.assert_allclose(
        pair_similarity(a * 1e200, b * 1e200, "euclidean"),
        -1e200 * np.linalg.norm(a - b, axis=1),
        rtol=1e-12,
    )
    with pytest.raises(
        ValueError, match=r"^pair_similarity: the dot similarity of pair 0 overflow"
    ):
        pair_similarity(a * 1e200, b * 1e200, "dot")


def test_isotropy_diagnostics_of_huge_embeddings():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) * [1.0, 0.5, 0.3, 0.2, 0.1]
    eigenvalues = np.linalg.eigvalsh(np.cov(X, rowvar=False))
    # Scale-free: the share of the top component of X itself.
    assert top_component_variance_ratio(X * 1e200) == pytest.approx(
        eigenvalues.max() / eigenvalues.sum(), rel=1e-9
    )
    # The eigenvectors of X^T X are X's right singular vectors, whatever the scale.
    huge = X * 1e200
    _, _, vt = np.linalg.svd(X)
    log_z = [scipy.special.logsumexp(huge @ c) for c in np.vstack([vt, -vt])]
    assert isotropy_ratio(huge) == pytest.approx(np.exp(min(log_z) - max(log_z)), abs=1e-12)


# --- clustering ---------------------------------------------------------------------------


def brute_force_accuracy(labels_true, labels_pred):
    """Best accuracy over every one-to-one map from clusters to classes."""
    classes, clusters = sorted(set(labels_true)), sorted(set(labels_pred))
    best = 0
    slots = classes + [None] * len(clusters)
    for image in itertools.permutations(slots, len(clusters)):
        mapping = dict(zip(clusters, image))
        best = max(best, sum(mapping[p] == t for t, p in zip(labels_true, labels_pred)))
    return best / len(labels_true)


def test_clustering_accuracy_of_permuted_labels_is_one():
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 5, size=50)
    permutation = np.array([3, 0, 4, 1, 2])
    assert clustering_accuracy(labels, permutation[labels]) == 1.0
    names = np.array(["sport", "politics", "art", "food", "tech"])
    assert clustering_accuracy(names[labels], permutation[labels]) == 1.0


def test_clustering_accuracy_with_two_mistakes():
    true = ["a", "a", "a", "a", "b", "b", "b", "c", "c", "c"]
    pred = [2, 2, 2, 0, 1, 1, 1, 0, 0, 1]  # one "a" and one "c" misplaced
    assert clustering_accuracy(true, pred) == 8 / 10


@pytest.mark.parametrize(
    ("true", "pred", "expected"),
    [
        ([0, 0, 0, 1, 1, 1], [0, 0, 1, 2, 2, 2], 5 / 6),  # more clusters than classes
        (["a", "a", "b", "b", "c", "c"], [0, 0, 0, 0, 1, 1], 4 / 6),  # fewer clusters
    ],
)
def test_clustering_accuracy_different_numbers(true, pred, expected):
    assert clustering_accuracy(true, pred) == pytest.approx(expected)
    assert brute_force_accuracy(true, pred) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_clustering_accuracy_matches_brute_force(seed):
    rng = np.random.RandomState(seed)
    true = rng.randint(0, 3, size=12)
    pred = rng.randint(0, 4, size=12)
    assert clustering_accuracy(true, pred) == pytest.approx(brute_force_accuracy(true, pred))


def test_clustering_accuracy_bad_input():
    with pytest.raises(ValueError, match="same length; got 3 and 2"):
        clustering_accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="labels_true is empty"):
        clustering_accuracy([], [])


def blobs(centres, per_blob=10, seed=0):
    rng = np.random.RandomState(seed)
    X = np.vstack([c + 0.01 * rng.normal(size=(per_blob, len(c))) for c in centres])
    labels = np.repeat([f"class{i}" for i in range(len(centres))], per_blob)
    return X, labels


def test_evaluate_clustering_separated_blobs():
    X, labels = blobs([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    result = evaluate_clustering(X, labels, n_runs=3, random_state=0)
    assert result["n_clusters"] == 3
    assert result["n_runs"] == 3
    assert result["accuracy"] == 1.0
    assert result["accuracy_std"] == 0.0
    assert result["nmi"] == pytest.approx(1.0)
    assert result["nmi_std"] == pytest.approx(0.0, abs=1e-12)


def test_evaluate_clustering_fewer_clusters_than_classes():
    X, labels = blobs([[0.0], [10.0], [100.0]])
    result = evaluate_clustering(X, labels, n_clusters=2, n_runs=4, random_state=0)
    # Blobs 0 and 10 merge: one class in three is lost.
    merged = np.where(labels == "class2", 1, 0)
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert result["nmi"] == pytest.approx(normalized_mutual_info_score(labels, merged))


def test_evaluate_clustering_is_reproducible_and_validates():
    rng = np.random.RandomState(0)
    X, labels = rng.normal(size=(40, 3)), rng.randint(0, 4, size=40)
    first = evaluate_clustering(X, labels, random_state=1)
    assert first == evaluate_clustering(X, labels, random_state=1)
    with pytest.raises(ValueError, match="X has 40 rows but labels has 39"):
        evaluate_clustering(X, labels[:-1])
    with pytest.raises(ValueError, match="n_clusters must be an int between 1 and n_samples=40"):
        evaluate_clustering(X, labels, n_clusters=41)
    with pytest.raises(ValueError, match="n_clusters must be an int .*; got 2.5"):
        evaluate_clustering(X, labels, n_clusters=2.5)
    with pytest.raises(ValueError, match="n_runs must be an int of at least 1; got 0"):
        evaluate_clustering(X, labels, n_runs=0)
    with pytest.raises(ValueError, match="n_runs must be an int of at least 1; got 1.5"):
        evaluate_clustering(X, labels, n_runs=1.5)


# --- isotropy -----------------------------------------------------------------------------


def isotropic(n=5000, d=10, seed=0):
    return np.random.RandomState(seed).normal(size=(n, d))


def with_common_mean(n=5000, d=10, seed=0):
    direction = np.ones(d) / np.sqrt(d)
    return isotropic(n, d, seed) + 20 * direction


def test_isotropic_gaussian_is_isotropic():
    X = isotropic()
    assert isotropy_ratio(X) > 0.85
    assert abs(average_cosine_similarity(X)) < 0.01
    assert abs(average_cosine_similarity(X, n_pairs=20000, random_state=0)) < 0.02
    assert top_component_variance_ratio(X) < 0.15


def test_common_mean_is_anisotropic():
    X = with_common_mean()
    assert isotropy_ratio(X) < 1e-3
    assert average_cosine_similarity(X) > 0.95
    assert average_cosine_similarity(X, n_pairs=1000, random_state=0) > 0.95


def test_isotropy_ratio_matches_definition():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) * [1.0, 0.5, 0.3, 0.2, 0.1] + [0.3, 0, 0, 0, 0]
    # Eigenvectors of X^T X are the right singular vectors of X; both signs of each.
    _, _, vt = np.linalg.svd(X)
    partition = [np.exp(X @ c).sum() for c in np.vstack([vt, -vt])]
    assert isotropy_ratio(X) == pytest.approx(min(partition) / max(partition), rel=1e-9)


def test_isotropy_ratio_does_not_overflow():
    ratio = isotropy_ratio(with_common_mean(n=100) * 1000)
    assert np.isfinite(ratio)
    assert 0.0 <= ratio < 1e-6


def test_average_cosine_similarity_matches_all_pairs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4)) + 0.5
    X[7] = 0.0  # a zero row has cosine 0 with everything
    cos = cosine_similarity(X)
    expected = (cos.sum() - np.trace(cos)) / (30 * 29)
    assert average_cosine_similarity(X) == pytest.approx(expected, abs=1e-12)
    sampled = average_cosine_similarity(X, n_pairs=200000, random_state=0)
    assert sampled == pytest.approx(expected, abs=0.01)


def test_average_cosine_similarity_samples_distinct_rows():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    # Only the pair (0, 1) is distinct: cosine 0. Sampling i == j would give 1.
    assert average_cosine_similarity(X, n_pairs=100, random_state=0) == 0.0


def test_top_component_variance_ratio_matches_eigenvalues():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 6)) @ rng.normal(size=(6, 6))
    eigenvalues = np.linalg.eigvalsh(np.cov(X, rowvar=False))
    assert top_component_variance_ratio(X) == pytest.approx(
        eigenvalues.max() / eigenvalues.sum(), rel=1e-9
    )


def test_isotropy_bad_input():
    with pytest.raises(ValueError, match="X needs at least 2 rows"):
        average_cosine_similarity([[1.0, 2.0]])
    with pytest.raises(ValueError, match="n_pairs must be a positive int"):
        average_cosine_similarity(isotropic(10), n_pairs=0)
    with pytest.raises(ValueError, match="n_pairs must be a positive int or None; got 2.5"):
        average_cosine_similarity(isotropic(10), n_pairs=2.5)
    with pytest.raises(ValueError, match="zero variance"):
        top_component_variance_ratio(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(first at row 1\)"):
        isotropy_ratio([[1.0, 2.0], [np.nan, 0.0]])
