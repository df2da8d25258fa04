"""The fused static path: lazy table-backed `TokenEmbeddings` and their pooling.

A table featurizer hands the pooler ids, offsets, roles and a table; mean, weighted mean
and mask pooling are then one (texts x vocabulary) weighted sum of table rows. Each test
compares it with the general path, the same pooler on the same tokens with their vectors
gathered (``TokenEmbeddings(tokens.values, ...)``), or with numpy by hand. The two paths
sum the same float32 terms, not always in the same order, so they agree to the float32
rounding of sums of a few dozen unit-sized terms: ``rtol=1e-5, atol=1e-6``.
"""

import pickle

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from transformers import AutoTokenizer

from sklearn_sentemb import (
    AveragedTokenEmbeddings,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenEmbeddings,
    TokenMixer,
    TokenPooler,
    TransformerFeaturizer,
    WordVectors,
    _tokenize,
    _tokens,
)

TOL = {"rtol": 1e-5, "atol": 1e-6}
TEXTS = [
    "A man is playing a guitar.",
    "Someone plays an instrument on the stage tonight!",
    "The cat sat.",
    "",
    "Unbelievably, tokenisation splits words!",
    "A man is playing a guitar.",  # repeated
    "The cat sat.",
    "...",
]
CORPUS = [
    "The cat sat on the mat.",
    "A dog sat on the cat, and the cat ran.",
    "Cats and dogs; dogs and cats.",
    "The man plays the guitar.",
    "",
]
EXCLUSIONS = [
    (),
    ("special",),
    ("special", "template"),
    ("special", "mask"),
    ("special", "punctuation"),
    ("subword",),
    ("special", "frequent"),
    ("special", "template", "punctuation", "subword", "frequent"),
    ("special", 1012),  # "." by id
    ("special", "the", "##s"),  # token strings
]


def plain(tokens: TokenEmbeddings) -> TokenEmbeddings:
    """The same tokens with their vectors gathered: the general path's input."""
    return TokenEmbeddings(
        tokens.values.copy(), tokens.offsets, tokens.token_ids, tokens.roles, tokens.vocabulary
    )


@pytest.fixture(scope="module")
def random_featurizer(tiny_bert):
    return RandomTokenEmbeddings(tiny_bert, dim=16, template="promptbert").fit()


@pytest.mark.parametrize("exclude", EXCLUSIONS, ids=repr)
@pytest.mark.parametrize("weighting", [None, "idf", "sif", "usif"])
def test_fused_mean_equals_the_general_path(random_featurizer, weighting, exclude):
    lazy = random_featurizer.transform(TEXTS)
    corpus = random_featurizer.transform(CORPUS)
    assert lazy.table is not None and lazy.unique is not None  # TEXTS repeat two texts
    pooler = TokenPooler("mean", exclude=exclude, weighting=weighting, n_frequent=3)
    fused = pooler.fit(corpus).transform(lazy)
    assert lazy._values is None and corpus._values is None  # no token matrix was built
    general = TokenPooler(**pooler.get_params()).fit(plain(corpus)).transform(plain(lazy))
    np.testing.assert_allclose(fused, general, **TOL)
    assert fused.dtype == np.float32 and fused.shape == (len(TEXTS), 16)
    if weighting is not None:  # fit reads ids only: the same weights from either input
        np.testing.assert_array_equal(
            pooler.weights_, TokenPooler(**pooler.get_params()).fit(plain(corpus)).weights_
        )


@pytest.mark.parametrize("method", ["max", "cls", "first", "last", "mask"])
@pytest.mark.parametrize("exclude", [(), ("special",), ("special", "template", "punctuation")])
def test_other_methods_equal_the_general_path(random_featurizer, method, exclude):
    lazy = random_featurizer.transform(TEXTS)
    fused = TokenPooler(method, exclude=exclude).fit_transform(lazy)
    general = TokenPooler(method, exclude=exclude).fit_transform(plain(lazy))
    np.testing.assert_allclose(fused, general, **TOL)


def test_fused_mean_is_the_mean_of_table_rows(tiny_bert):
    """By hand: the mean of the table rows of each text's tokens, specials left out."""
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=8, random_state=3)
    table = featurizer.get_table().astype(np.float64)
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    got = make_pipeline(featurizer, TokenPooler("mean")).fit_transform(TEXTS)
    for text, row in zip(TEXTS, got):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        expected = table[ids].mean(axis=0) if ids else np.zeros(8)
        np.testing.assert_allclose(row, expected, rtol=1e-5, atol=1e-6)


def test_sif_by_hand_on_repeated_texts(tiny_bert):
    """SIF weights from the corpus counts, applied to table rows; duplicates pooled once."""
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=8, add_special_tokens=False)
    table = featurizer.get_table().astype(np.float64)
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    corpus_ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in CORPUS]
    flat = np.concatenate([np.asarray(ids, dtype=np.int64) for ids in corpus_ids])
    counts = np.bincount(flat, minlength=len(table))
    a = 1e-3
    weight = a / (a + counts / counts.sum())
    pooler = TokenPooler("mean", exclude=(), weighting="sif", sif_a=a)
    pooler.fit(featurizer.transform(CORPUS))
    texts = TEXTS * 3
    got = pooler.transform(featurizer.transform(texts))
    for text, row in zip(texts, got):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        expected = (weight[ids, None] * table[ids]).mean(axis=0) if ids else np.zeros(8)
        np.testing.assert_allclose(row, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda path: RandomTokenEmbeddings(path, dim=8),
        lambda path: InputTokenEmbeddings(path),
        lambda path: AveragedTokenEmbeddings(
            TransformerFeaturizer(path, cache=False), fallback="zero"
        ),
        lambda path: WordVectors(np.random.default_rng(0).normal(size=(5, 4)), list("abcde")),
    ],
    ids=["random", "input", "averaged", "word-vectors"],
)
def test_every_table_featurizer_is_lazy_and_pools_alike(tiny_bert, make):
    featurizer = make(tiny_bert).fit(CORPUS + ["a b c d e"])
    texts = TEXTS + ["a b c", "e d a a"]
    lazy = featurizer.transform(texts)
    assert lazy.table is not None
    for pooler in [TokenPooler("mean"), TokenPooler("mean", weighting="idf")]:
        fused = pooler.fit(lazy).transform(featurizer.transform(texts))
        np.testing.assert_allclose(fused, pooler.transform(plain(lazy)), **TOL)


@pytest.mark.parametrize("dtype", [np.float64, np.float16])  # torch's path and scipy's
def test_tables_of_other_float_types_pool_like_the_general_path(dtype):
    rng = np.random.default_rng(0)
    table = rng.standard_normal((50, 6)).astype(dtype)
    offsets = [0, 3, 3, 8]
    ids = rng.integers(0, 50, 8)
    lazy = TokenEmbeddings.from_table(table, offsets, ids, np.zeros(8, np.int8))
    by_hand = [
        table[ids[a:b]].astype(np.float64).mean(axis=0) if b > a else np.zeros(6)
        for a, b in zip(offsets[:-1], offsets[1:])
    ]
    pooled = TokenPooler("mean").fit_transform(lazy)
    assert pooled.dtype == np.float32
    np.testing.assert_allclose(pooled, by_hand, rtol=1e-6, atol=1e-7)


def test_a_streamed_call_featurizes_each_distinct_text_once(random_featurizer, monkeypatch):
    texts = (TEXTS + CORPUS) * 3  # repeats across chunks, not only within one
    expected = TokenPooler("mean").fit_transform(plain(random_featurizer.transform(texts)))
    seen = []
    tokenize = _tokenize.tokenize

    def spy(tokenizer, texts, **kwargs):
        seen.extend(texts)
        return tokenize(tokenizer, texts, **kwargs)

    pooler = TokenPooler("mean").fit(random_featurizer.transform(CORPUS))
    monkeypatch.setattr("sklearn_sentemb._static.tokenize", spy)
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 4)
    pooled = pooler.transform(random_featurizer.transform(texts))
    assert sorted(seen) == sorted(set(texts))
    np.testing.assert_allclose(pooled, expected, **TOL)


def test_an_error_in_a_streamed_call_with_repeats_names_the_callers_text():
    table = np.ones((3, 2))
    table[2] = 1e300  # beyond float32
    ids = {"a": [0], "b": [1], "big": [2, 2]}

    def featurize(texts):
        lengths = [len(ids[t]) for t in texts]
        tokens = [i for t in texts for i in ids[t]]
        return TokenEmbeddings.from_table(
            table, np.cumsum([0, *lengths]), tokens, np.zeros(len(tokens), np.int8)
        )

    stream = _tokens.ChunkedTokenEmbeddings(["a", "a", "b", "big"], featurize, chunk_size=2)
    with pytest.raises(ValueError, match=r"text 1 overflows .* chunk that starts at text 2\)"):
        TokenPooler("mean").transform(stream)


def test_repeated_texts_are_tokenised_once(random_featurizer, monkeypatch):
    seen = []
    tokenize = _tokenize.tokenize

    def spy(tokenizer, texts, **kwargs):
        seen.append(list(texts))
        return tokenize(tokenizer, texts, **kwargs)

    monkeypatch.setattr("sklearn_sentemb._static.tokenize", spy)
    tokens = random_featurizer.transform(TEXTS)
    assert seen == [list(dict.fromkeys(TEXTS))]
    first, inverse = tokens.unique
    np.testing.assert_array_equal(first, [0, 1, 2, 3, 4, 7])
    for i, text in enumerate(TEXTS):  # each text has its own tokens, as without de-duplication
        alone = random_featurizer.transform([text])
        np.testing.assert_array_equal(tokens[i].token_ids, alone.token_ids)
        np.testing.assert_array_equal(tokens[i].roles, alone.roles)
        np.testing.assert_array_equal(tokens[i].values, alone.values)


def test_cut_text_warning_names_the_callers_item(tiny_bert):
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=4, max_length=6)
    texts = ["short", "short", "a much longer text that must be cut"]
    with pytest.warns(UserWarning, match=r"exceed max_length=6 .* the first being item 2:"):
        tokens = featurizer.transform(texts)
    assert tokens.lengths.tolist() == [3, 3, 6]


def test_chunked_stream_pools_like_one_batch(random_featurizer, monkeypatch):
    texts = (TEXTS + CORPUS) * 3
    expected = TokenPooler("mean").fit_transform(plain(random_featurizer.transform(texts)))
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 4)
    stream = random_featurizer.transform(texts)
    assert isinstance(stream, _tokens.ChunkedTokenEmbeddings)
    np.testing.assert_allclose(TokenPooler("mean").fit_transform(stream), expected, **TOL)
    np.testing.assert_allclose(
        TokenPooler("mean", weighting="idf").fit(stream).transform(stream),
        TokenPooler("mean", weighting="idf").fit_transform(plain(stream.materialize())),
        **TOL,
    )


def test_token_mixer_of_table_featurizers(tiny_bert):
    first, second = (RandomTokenEmbeddings(tiny_bert, dim=8, random_state=s) for s in (0, 1))
    mixed = TokenMixer(first, second, weight=0.25).fit(TEXTS).transform(TEXTS)
    a, b = first.transform(TEXTS).values, second.transform(TEXTS).values
    np.testing.assert_allclose(mixed.values, 0.25 * a + 0.75 * b, rtol=1e-6)


# -- the lazy batch itself ---------------------------------------------------------------
def lazy_batch(n_vocabulary=6, dim=3):
    table = np.arange(n_vocabulary * dim, dtype=np.float32).reshape(n_vocabulary, dim)
    ids = np.array([1, 4, 2, 1, 5, 5, 2, 0, 3])
    roles = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0], dtype=np.int8)
    return TokenEmbeddings.from_table(table, [0, 3, 7, 7, 9], ids, roles), table


@pytest.mark.parametrize(
    "index",
    [1, -1, slice(1, 3), slice(None, None, 2), [3, 0, 0], np.array([True, False, True, True])],
    ids=repr,
)
def test_lazy_indexing_stays_lazy_and_matches(index):
    lazy, table = lazy_batch()
    got = lazy[index]
    expected = plain(lazy)[index]
    assert got.table is table and got._values is None and got.unique is None
    np.testing.assert_array_equal(got.offsets, expected.offsets)
    np.testing.assert_array_equal(got.token_ids, expected.token_ids)
    np.testing.assert_array_equal(got.values, expected.values)
    np.testing.assert_array_equal(got.values, table[expected.token_ids])


def test_lazy_shape_repr_and_concatenation():
    lazy, table = lazy_batch()
    assert (len(lazy), lazy.dim, lazy.dtype) == (4, 3, np.float32)
    assert repr(lazy) == "TokenEmbeddings(n_texts=4, n_tokens=9, dim=3, dtype=float32)"
    assert lazy._values is None
    joined = TokenEmbeddings.concatenate([lazy, lazy[1:]])
    assert joined.table is table and joined._values is None
    np.testing.assert_array_equal(joined.values, table[joined.token_ids])
    mixed = TokenEmbeddings.concatenate([lazy, plain(lazy)])  # not all lazy: gathered
    assert mixed.table is None
    np.testing.assert_array_equal(mixed.values, np.concatenate([table[lazy.token_ids]] * 2))
    other = TokenEmbeddings.from_table(table.copy(), lazy.offsets, lazy.token_ids, lazy.roles)
    assert TokenEmbeddings.concatenate([lazy, other]).table is None  # two tables
    doubled = lazy.with_values(2 * lazy.values)
    assert doubled.table is None
    np.testing.assert_array_equal(doubled.values, 2 * table[lazy.token_ids])


@pytest.mark.parametrize("n_vocabulary", [6, 1000], ids=["small-table", "large-table"])
def test_lazy_batch_pickles(n_vocabulary):
    lazy, table = lazy_batch()
    big = np.zeros((n_vocabulary, 3), dtype=np.float32)
    big[:6] = table
    lazy = TokenEmbeddings.from_table(big, lazy.offsets, lazy.token_ids, lazy.roles)
    restored = pickle.loads(pickle.dumps(lazy))
    # It travels with its table only while the table is smaller than its 9 x 3 vectors.
    assert (restored.table is not None) == (n_vocabulary == 6)
    np.testing.assert_array_equal(restored.values, table[lazy.token_ids])
    np.testing.assert_array_equal(restored.offsets, lazy.offsets)
    np.testing.assert_array_equal(restored.roles, lazy.roles)


def test_nan_row_outside_the_batch_is_not_an_error():
    lazy, table = lazy_batch()
    table = table.copy()
    table[0] = np.nan  # id 0 is only in text 3
    batch = TokenEmbeddings.from_table(table, lazy.offsets, lazy.token_ids, lazy.roles)
    np.testing.assert_allclose(
        TokenPooler("mean").fit_transform(batch[:3]),
        TokenPooler("mean").fit_transform(plain(batch[:3])),
        **TOL,
    )
    with pytest.raises(ValueError, match="text 3 contain NaN or infinity"):
        TokenPooler("mean").fit_transform(batch)


def test_encoding_in_threaded_blocks_matches_the_tokenizer(tiny_bert, monkeypatch):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    texts = (TEXTS + CORPUS) * 4
    monkeypatch.setattr(_tokenize, "_ENCODE_BLOCK", 5)
    lengths, flat = _tokenize._encode(tokenizer, texts)
    expected = tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert lengths.tolist() == [len(ids) for ids in expected]
    assert flat.tolist() == [i for ids in expected for i in ids]


def test_encoding_ignores_and_keeps_the_tokenizer_settings(tiny_bert):
    """The Rust tokenizer's own padding and truncation neither apply nor change."""
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    text = "a much longer text than four tokens"
    expected = tokenizer(text, add_special_tokens=False)["input_ids"]
    backend = tokenizer.backend_tokenizer  # the wrapper resets these on each call of its own
    backend.enable_truncation(4)
    backend.enable_padding(length=9)
    lengths, flat = _tokenize._encode(tokenizer, [text])
    assert flat.tolist() == expected and lengths.tolist() == [len(expected)]
    assert len(expected) > 4
    assert backend.truncation["max_length"] == 4 and backend.padding["length"] == 9
