import math
import pickle
from collections import Counter

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_sentemb import TokenEmbeddings, TokenPooler, TokenRole

S, T, P, M = TokenRole.SPECIAL, TokenRole.TEXT, TokenRole.TEMPLATE, TokenRole.MASK
VOCAB = np.array(
    ["[PAD]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s", ".", "!?", "run"], dtype=object
)


@pytest.fixture
def tokens():
    # text 0: [CLS] the cat ##s . [SEP]; text 1: [CLS] [SEP] (empty); text 2: [CLS] P run [MASK] P [SEP]
    ids = [1, 4, 5, 6, 7, 2, 1, 2, 1, 9, 9, 3, 8, 2]
    roles = [S, T, T, T, T, S, S, S, S, P, T, M, P, S]
    values = np.random.default_rng(0).standard_normal((len(ids), 4)).astype(np.float32)
    return TokenEmbeddings(values, [0, 6, 8, 14], ids, roles, VOCAB)


def by_hand(tokens, keep, reduce):
    out = []
    for a, b in zip(tokens.offsets[:-1], tokens.offsets[1:]):
        rows = [tokens.values[j] for j in range(a, b) if keep(j)]
        out.append(reduce(np.array(rows)) if rows else np.zeros(tokens.dim))
    return np.array(out)


@pytest.mark.parametrize("method", ["mean", "max", "first", "last"])
@pytest.mark.parametrize(
    ("exclude", "keep"),
    [
        (("special",), lambda t, j: t.roles[j] != S),
        ((), lambda t, j: True),
        (("special", "template"), lambda t, j: t.roles[j] not in (S, P)),
        (("special", "mask"), lambda t, j: t.roles[j] not in (S, M)),
        ("special", lambda t, j: t.roles[j] != S),
        (("special", "punctuation"), lambda t, j: t.roles[j] != S and t.token_ids[j] not in (7, 8)),
        (("special", "subword"), lambda t, j: t.roles[j] != S and t.token_ids[j] != 6),
        (("special", 9, "cat"), lambda t, j: t.roles[j] != S and t.token_ids[j] not in (9, 5)),
    ],
)
def test_pooling_matches_hand_computation(tokens, method, exclude, keep):
    reduce = {
        "mean": lambda r: r.mean(0),
        "max": lambda r: r.max(0),
        "first": lambda r: r[0],
        "last": lambda r: r[-1],
    }[method]
    expected = by_hand(tokens, lambda j: keep(tokens, j), reduce)
    out = TokenPooler(method, exclude=exclude).fit_transform(tokens)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_cls_ignores_exclusion_and_mask_takes_mask_token(tokens):
    np.testing.assert_array_equal(
        TokenPooler("cls").fit_transform(tokens), tokens.values[[0, 6, 8]]
    )
    with pytest.raises(ValueError, match="text 0 has no mask token"):
        TokenPooler("mask").fit_transform(tokens)
    # The mean over one mask token goes through a sparse product, not a copy of the row.
    np.testing.assert_allclose(
        TokenPooler("mask").fit_transform(tokens[[2]]), tokens.values[[11]], rtol=1e-6
    )


def test_rejects_wrong_input_and_width(tokens):
    with pytest.raises(TypeError, match="TokenPooler: expects TokenEmbeddings"):
        TokenPooler().fit(np.zeros((3, 4)))
    pooler = TokenPooler().fit(tokens)
    narrow = tokens.with_values(tokens.values[:, :2])
    with pytest.raises(ValueError, match="width 2, but 4 in fit"):
        pooler.transform(narrow)
    with pytest.raises(ValueError, match="cannot exclude 3.5"):
        TokenPooler(exclude=(3.5,)).fit_transform(tokens)


@pytest.mark.parametrize("stage", ["fit", "transform", "read-only transform"])
@pytest.mark.parametrize("method", ["mean", "max", "cls", "first", "last"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_token_vectors_are_rejected(tokens, bad, method, stage):
    values = tokens.values.copy()
    values[9, 2] = bad  # row 9: text 2 spans rows 8..13, so its token 1
    broken = tokens.with_values(values)
    pooler = TokenPooler(method)
    if stage != "fit":
        pooler.fit(tokens)
    if stage == "read-only transform":  # a featurizer's memoised output, pooled via a cache
        broken.values.flags.writeable = False
    call = pooler.fit if stage == "fit" else pooler.transform
    match = r"^TokenPooler: the token vectors of text 2 contain NaN or infinity \(token 1 of"
    for _ in range(2):  # a second call is not waved through by a remembered check
        with pytest.raises(ValueError, match=match):
            call(broken)


def test_read_only_token_vectors_are_pooled_alike_on_every_call(tokens):
    shared = tokens.with_values(tokens.values.copy())
    shared.values.flags.writeable = False
    expected = by_hand(tokens, lambda j: tokens.roles[j] != S, lambda r: r.max(0))
    for _ in range(2):
        np.testing.assert_allclose(TokenPooler("max").transform(shared), expected, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.int32, np.uint8])
def test_real_token_vectors_of_any_dtype_pool_to_float32(tokens, dtype):
    values = np.abs(tokens.values * 8).astype(dtype)
    cast = tokens.with_values(values)

    def keep(j):
        return cast.roles[j] != S

    for method, reduce in [("mean", lambda r: r.mean(0)), ("max", lambda r: r.max(0))]:
        expected = by_hand(cast.with_values(values.astype(np.float64)), keep, reduce)
        out = TokenPooler(method).fit_transform(cast)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_feature_names(tokens):
    names = TokenPooler().fit(tokens).get_feature_names_out()
    assert names.tolist() == [f"tokenpooler{i}" for i in range(4)]


# -- learned weighting and frequent-token exclusion ----------------------------------
def kept_ids(tokens, exclude_roles=(S,), exclude_ids=()):
    """Per text, the list of token ids kept (a plain Python loop, for reference)."""
    out = []
    for a, b in zip(tokens.offsets[:-1], tokens.offsets[1:]):
        out.append(
            [
                int(tokens.token_ids[j])
                for j in range(a, b)
                if tokens.roles[j] not in exclude_roles and tokens.token_ids[j] not in exclude_ids
            ]
        )
    return out


def weighted_mean_by_hand(tokens, weight, exclude_roles=(S,), exclude_ids=()):
    out = []
    for a, b in zip(tokens.offsets[:-1], tokens.offsets[1:]):
        rows = [
            weight(int(tokens.token_ids[j])) * tokens.values[j].astype(np.float64)
            for j in range(a, b)
            if tokens.roles[j] not in exclude_roles and tokens.token_ids[j] not in exclude_ids
        ]
        out.append(np.sum(rows, axis=0) / len(rows) if rows else np.zeros(tokens.dim))
    return np.array(out)


def make_tokens(texts, dim=4, seed=0, vocabulary=VOCAB):
    """TokenEmbeddings of id lists, each wrapped in [CLS] ... [SEP] (ids 1 and 2)."""
    ids, roles, offsets = [], [], [0]
    for text in texts:
        ids += [1, *text, 2]
        roles += [S] + [T] * len(text) + [S]
        offsets.append(len(ids))
    values = np.random.default_rng(seed).standard_normal((len(ids), dim)).astype(np.float32)
    return TokenEmbeddings(values, offsets, ids, roles, vocabulary)


@pytest.fixture
def corpus():
    # the cat the run . | the the cat ##s | run the !? the | (empty) | cat the the the
    return make_tokens([[4, 5, 4, 9, 7], [4, 4, 5, 6], [9, 4, 8, 4], [], [5, 4, 4, 4]])


def test_idf_weights_and_weighted_mean(corpus):
    texts = kept_ids(corpus)
    n = len(texts)
    df = Counter(w for text in texts for w in set(text))  # a repeat in a text counts once
    idf = {w: math.log((1 + n) / (1 + d)) + 1 for w, d in df.items()}
    unseen = math.log(1 + n) + 1

    pooler = TokenPooler(weighting="idf").fit(corpus)
    assert pooler.weights_.shape == (len(VOCAB),)
    for w in range(len(VOCAB)):
        assert pooler.weights_[w] == pytest.approx(idf.get(w, unseen)), w
    assert pooler.default_weight_ == pytest.approx(unseen)
    assert pooler.weights_[4] == pytest.approx(math.log(6 / 5) + 1)  # "the": in 4 of 5 texts

    expected = weighted_mean_by_hand(corpus, lambda w: idf.get(w, unseen))
    out = pooler.transform(corpus)
    assert out.dtype == np.float32 and out.shape == (5, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[3], 0)  # empty text: no kept token


def test_idf_matches_scikit_learn(corpus):
    from sklearn.feature_extraction.text import TfidfTransformer

    texts = kept_ids(corpus)
    counts = np.zeros((len(texts), len(VOCAB)))
    for i, text in enumerate(texts):
        for w in text:
            counts[i, w] += 1
    reference = TfidfTransformer(smooth_idf=True).fit(counts).idf_
    pooler = TokenPooler(weighting="idf").fit(corpus)
    np.testing.assert_allclose(pooler.weights_, reference)


def test_sif_weights(corpus):
    a = 0.05
    counts = Counter(w for text in kept_ids(corpus) for w in text)
    total = sum(counts.values())
    sif = {w: a / (a + c / total) for w, c in counts.items()}

    pooler = TokenPooler(weighting="sif", sif_a=a).fit(corpus)
    assert pooler.a_ == a and pooler.default_weight_ == 1.0
    for w in range(len(VOCAB)):
        assert pooler.weights_[w] == pytest.approx(sif.get(w, 1.0)), w
    expected = weighted_mean_by_hand(corpus, lambda w: sif.get(w, 1.0))
    np.testing.assert_allclose(pooler.transform(corpus), expected, rtol=1e-5, atol=1e-6)


def test_usif_weights_follow_the_paper():
    # 50 texts of 10 tokens over 100 distinct ids 10..109 (no vocabulary strings):
    # p = 0.2 for id 10, 0.1 for id 11, 0.09 for id 12, about 0.006 for the others.
    rng = np.random.default_rng(3)
    flat = [10] * 100 + [11] * 50 + [12] * 45 + list(range(13, 110)) * 3 + list(range(13, 27))
    flat = rng.permutation(flat).tolist()
    texts = [flat[i : i + 10] for i in range(0, 500, 10)]
    tokens = make_tokens(texts, vocabulary=None)

    counts = Counter(w for text in texts for w in text)
    total = sum(counts.values())
    p = {w: c / total for w, c in counts.items()}
    vocabulary_size = len(counts)  # |V|: distinct fitted ids
    n = total / len(texts)  # usif_n=None: the mean sentence length

    def alpha_for(n):
        threshold = 1 - (1 - 1 / vocabulary_size) ** n
        return sum(1 for w in p if p[w] > threshold) / vocabulary_size

    alpha = alpha_for(n)
    assert (alpha_for(n - 1), alpha, alpha_for(n + 1)) == (0.03, 0.02, 0.01)  # n matters here
    z = vocabulary_size / 2
    a = (1 - alpha) / (alpha * z)
    usif = {w: a / (a / 2 + p[w]) for w in p}
    unseen = a / (a / 2 + min(p.values()))  # the reference gives unseen words the least p

    pooler = TokenPooler(weighting="usif", usif_n=None).fit(tokens)
    assert pooler.a_ == pytest.approx(a)
    assert pooler.weights_.shape == (110,)  # no vocabulary: largest id + 1
    for w in range(110):
        assert pooler.weights_[w] == pytest.approx(usif.get(w, unseen)), w
    assert pooler.default_weight_ == pytest.approx(unseen)
    expected = weighted_mean_by_hand(tokens, lambda w: usif.get(w, unseen))
    np.testing.assert_allclose(pooler.transform(tokens), expected, rtol=1e-5, atol=1e-6)


def test_usif_without_a_frequent_token_weighs_all_tokens_alike():
    tokens = make_tokens([[4, 5], [6, 9]])  # uniform: no p(w) passes the threshold
    pooler = TokenPooler(weighting="usif").fit(tokens)
    assert pooler.a_ == np.inf
    np.testing.assert_array_equal(pooler.weights_, 2.0)
    expected = weighted_mean_by_hand(tokens, lambda w: 2.0)
    np.testing.assert_allclose(pooler.transform(tokens), expected, rtol=1e-6)


@pytest.mark.parametrize("weighting", ["idf", "sif"])
def test_fit_counts_only_the_kept_tokens(corpus, weighting):
    # Specials, punctuation (ids 7, 8) and the explicit id 5 are neither pooled nor counted.
    exclude = ("special", "punctuation", 5)
    texts = kept_ids(corpus, exclude_ids=(5, 7, 8))
    if weighting == "idf":
        df = Counter(w for text in texts for w in set(text))
        hand = {w: math.log((1 + len(texts)) / (1 + d)) + 1 for w, d in df.items()}
        unseen = math.log(1 + len(texts)) + 1
    else:
        counts = Counter(w for text in texts for w in text)
        total = sum(counts.values())
        hand = {w: 1e-3 / (1e-3 + c / total) for w, c in counts.items()}
        unseen = 1.0
    assert set(hand) == {4, 6, 9}

    pooler = TokenPooler(exclude=exclude, weighting=weighting).fit(corpus)
    for w in range(len(VOCAB)):
        assert pooler.weights_[w] == pytest.approx(hand.get(w, unseen)), w
    expected = weighted_mean_by_hand(corpus, lambda w: hand[w], exclude_ids=(5, 7, 8))
    np.testing.assert_allclose(pooler.transform(corpus), expected, rtol=1e-5, atol=1e-6)


def test_fit_on_a_corpus_and_transform_other_texts(corpus, tokens):
    texts = kept_ids(corpus)
    n = len(texts)
    df = Counter(w for text in texts for w in set(text))
    idf = {w: math.log((1 + n) / (1 + d)) + 1 for w, d in df.items()}
    unseen = math.log(1 + n) + 1

    pooler = TokenPooler(weighting="idf").fit(corpus)
    expected = weighted_mean_by_hand(tokens, lambda w: idf.get(w, unseen))
    np.testing.assert_allclose(pooler.transform(tokens), expected, rtol=1e-5, atol=1e-6)

    # Ids beyond the fitted table (a larger vocabulary) get the unseen weight too.
    other = make_tokens([[4, 12], [15]], vocabulary=None)
    expected = weighted_mean_by_hand(other, lambda w: idf.get(w, unseen))
    np.testing.assert_allclose(pooler.transform(other), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["mean", "max", "first", "last"])
@pytest.mark.parametrize("n_frequent", [0, 2, 3, 100])
def test_frequent_ids_are_excluded(corpus, method, n_frequent):
    counts = Counter(w for text in kept_ids(corpus) for w in text)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))  # ties: smaller id first
    frequent = ranked[:n_frequent]

    pooler = TokenPooler(method, exclude=("special", "frequent"), n_frequent=n_frequent)
    pooler.fit(corpus)
    assert pooler.frequent_ids_.tolist() == frequent
    assert pooler.frequent_ids_.dtype == np.int64
    reduce = {
        "mean": lambda r: r.mean(0),
        "max": lambda r: r.max(0),
        "first": lambda r: r[0],
        "last": lambda r: r[-1],
    }[method]
    expected = by_hand(
        corpus, lambda j: corpus.roles[j] != S and corpus.token_ids[j] not in frequent, reduce
    )
    np.testing.assert_allclose(pooler.transform(corpus), expected, atol=1e-6)


def test_frequent_is_counted_after_the_other_exclusions(corpus):
    # With specials kept, [CLS] and [SEP] (once per text) rank among the frequent.
    everything = TokenPooler(exclude=("frequent",), n_frequent=3).fit(corpus)
    assert everything.frequent_ids_.tolist() == [4, 1, 2]
    no_specials = TokenPooler(exclude=("special", "frequent"), n_frequent=3).fit(corpus)
    assert no_specials.frequent_ids_.tolist() == [4, 5, 9]
    # "frequent" alone, as a string.
    assert TokenPooler(exclude="frequent", n_frequent=1).fit(corpus).frequent_ids_.tolist() == [4]


def test_frequent_and_weighting_together(corpus):
    texts = kept_ids(corpus)
    df = Counter(w for text in texts for w in set(text))
    idf = {w: math.log((1 + len(texts)) / (1 + d)) + 1 for w, d in df.items()}
    pooler = TokenPooler(exclude=("special", "frequent"), n_frequent=1, weighting="idf")
    out = pooler.fit_transform(corpus)
    assert pooler.frequent_ids_.tolist() == [4]
    expected = weighted_mean_by_hand(corpus, lambda w: idf[w], exclude_ids=(4,))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "pooler",
    [
        TokenPooler(weighting="idf"),
        TokenPooler(weighting="sif"),
        TokenPooler(weighting="usif"),
        TokenPooler(exclude=("special", "frequent")),
        TokenPooler("max", exclude=("frequent",)),
    ],
    ids=["idf", "sif", "usif", "frequent-mean", "frequent-max"],
)
def test_learning_configurations_need_fit(tokens, pooler):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    assert pooler.__sklearn_tags__().requires_fit
    with pytest.raises(NotFittedError, match="call fit"):
        pooler.transform(tokens)
    with pytest.raises(NotFittedError):
        check_is_fitted(pooler)
    check_is_fitted(pooler.fit(tokens))


@pytest.mark.parametrize("method", ["mean", "max", "cls", "first", "last"])
def test_stateless_configurations_transform_without_fit(tokens, method):
    from sklearn.utils.validation import check_is_fitted

    pooler = TokenPooler(method, exclude=("special", "template", "mask", "punctuation", 9))
    assert not pooler.__sklearn_tags__().requires_fit
    check_is_fitted(pooler)
    np.testing.assert_array_equal(pooler.transform(tokens), clone(pooler).fit_transform(tokens))


@pytest.mark.parametrize("method", ["max", "cls", "first", "last", "mask"])
def test_weighting_applies_to_mean_only(tokens, method):
    with pytest.raises(ValueError, match="weights the tokens of method='mean' only"):
        TokenPooler(method, weighting="idf").fit(tokens)


@pytest.mark.parametrize(
    "params",
    [{"weighting": "tfidf"}, {"sif_a": 0}, {"sif_a": -1.0}, {"n_frequent": -1}],
)
def test_invalid_parameters(tokens, params):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        TokenPooler(**params).fit(tokens)


def test_negative_token_ids_are_rejected_when_learning():
    tokens = TokenEmbeddings(np.zeros((2, 3), np.float32), [0, 2], [4, -1], [T, T])
    with pytest.raises(ValueError, match="non-negative"):
        TokenPooler(weighting="idf").fit(tokens)


def test_refit_drops_what_other_parameters_learned(corpus):
    pooler = TokenPooler(exclude=("special", "frequent"), weighting="sif").fit(corpus)
    assert hasattr(pooler, "weights_") and hasattr(pooler, "frequent_ids_")
    pooler.set_params(weighting=None, exclude=("special",)).fit(corpus)
    assert not any(hasattr(pooler, name) for name in ("weights_", "a_", "frequent_ids_"))


def test_empty_batches(corpus):
    empty = corpus[[]]
    for weighting in ("idf", "sif", "usif"):
        pooler = TokenPooler(exclude=("special", "frequent"), weighting=weighting).fit(empty)
        assert pooler.frequent_ids_.size == 0
        assert pooler.transform(empty).shape == (0, 4)
        # Every id is unseen: the weights are uniform, so the result is a scaled mean.
        out = pooler.transform(corpus)
        expected = weighted_mean_by_hand(corpus, lambda w, c=pooler.default_weight_: c)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    fitted = TokenPooler(weighting="idf").fit(corpus)
    assert fitted.transform(empty).shape == (0, 4)


def test_fitted_pooler_pickles_small_and_clones_clean():
    vocabulary = np.array([f"tok{i}" for i in range(30522)], dtype=object)
    rng = np.random.default_rng(0)
    texts = [rng.integers(100, 30522, size=20).tolist() for _ in range(200)]
    tokens = make_tokens(texts, dim=384, vocabulary=vocabulary)  # 4400 x 384 float32: 6.8 MB
    pooler = TokenPooler(exclude=("special", "frequent"), weighting="idf").fit(tokens)
    blob = pickle.dumps(pooler)
    assert len(blob) < 30522 * 8 + 10_000  # the weight table, not the token vectors
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.transform(tokens), pooler.transform(tokens))
    fresh = clone(pooler)
    assert fresh.get_params() == pooler.get_params()
    assert not hasattr(fresh, "weights_") and not hasattr(fresh, "frequent_ids_")


def test_in_a_pipeline_with_grid_search_params(corpus):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer

    pipe = make_pipeline(TokenPooler(), Normalizer())
    for weighting in (None, "idf", "sif", "usif"):
        out = pipe.set_params(tokenpooler__weighting=weighting).fit_transform(corpus)
        assert out.shape == (5, 4) and np.isfinite(out).all()


@pytest.mark.parametrize("method", ["cls", "mask"])
def test_frequent_is_not_needed_by_methods_that_ignore_exclude(tokens, method):
    pooler = TokenPooler(method, exclude=("special", "frequent"))
    assert not pooler.__sklearn_tags__().requires_fit
    np.testing.assert_array_equal(
        pooler.transform(tokens[[2]]), TokenPooler(method).transform(tokens[[2]])
    )


def test_max_and_mean_on_many_ragged_texts_match_a_loop():
    rng = np.random.default_rng(3)
    lengths = rng.integers(0, 12, 200)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    n = offsets[-1]
    roles = np.where(rng.random(n) < 0.2, S, T)
    tokens = TokenEmbeddings(
        rng.standard_normal((n, 5)).astype(np.float32), offsets, rng.integers(4, 10, n), roles
    )
    for method, reduce in [("max", lambda r: r.max(0)), ("mean", lambda r: r.mean(0))]:
        expected = by_hand(tokens, lambda j: tokens.roles[j] != S, reduce)
        out = TokenPooler(method).fit_transform(tokens)
        np.testing.assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("method", ["mean", "max", "cls", "first", "last"])
@pytest.mark.parametrize("exclude", [("special",), ("special", "punctuation")])
def test_a_cut_of_a_shared_batch_pools_as_its_gathered_texts(tokens, method, exclude):
    shared = tokens.with_values(tokens.values.copy())
    shared.values.flags.writeable = False
    index = np.array([2, 0, 2, 1])
    cut = TokenEmbeddings._rows_of(shared, index)
    gathered = tokens[index]  # writable: pooled directly, no shared result
    pooler = TokenPooler(method, exclude=exclude).fit(tokens)
    np.testing.assert_allclose(pooler.transform(cut), pooler.transform(gathered), atol=1e-6)
    assert cut._values is None  # pooled from the whole batch, never gathered
    assert len([key for key in shared.derived if isinstance(key, tuple)]) == 1  # one pooling


def test_a_cut_names_its_own_text_when_the_batch_has_a_bad_one(tokens):
    values = tokens.values.copy()
    values[9, 2] = np.inf  # text 2 of the batch
    shared = tokens.with_values(values)
    shared.values.flags.writeable = False
    pooler = TokenPooler("mean").fit(tokens)
    fine = TokenEmbeddings._rows_of(shared, np.array([1, 0]))
    expected = by_hand(tokens[[1, 0]], lambda j: tokens[[1, 0]].roles[j] != S, lambda r: r.mean(0))
    np.testing.assert_allclose(pooler.transform(fine), expected, atol=1e-6)
    bad = TokenEmbeddings._rows_of(shared, np.array([0, 2]))
    with pytest.raises(ValueError, match=r"token vectors of text 1 contain NaN or infinity"):
        pooler.transform(bad)


def test_fitting_on_a_cut_checks_its_batch_without_gathering_it(tokens):
    shared = tokens.with_values(tokens.values.copy())
    shared.values.flags.writeable = False
    cut = TokenEmbeddings._rows_of(shared, np.array([2, 0]))
    TokenPooler("mean").fit(cut)
    assert cut._values is None


@pytest.mark.parametrize("stage", ["fit", "transform"])
def test_a_cut_with_a_bad_text_is_rejected_naming_it(tokens, stage):
    values = tokens.values.copy()
    values[9, 2] = np.nan  # text 2 of the batch
    shared = tokens.with_values(values)
    shared.values.flags.writeable = False
    cut = TokenEmbeddings._rows_of(shared, np.array([1, 2]))
    pooler = TokenPooler("max").fit(tokens) if stage == "transform" else TokenPooler("max")
    call = pooler.fit if stage == "fit" else pooler.transform
    with pytest.raises(ValueError, match=r"token vectors of text 1 contain NaN"):
        call(cut)
    TokenPooler("max").fit(TokenEmbeddings._rows_of(shared, np.array([1, 0])))  # good texts
