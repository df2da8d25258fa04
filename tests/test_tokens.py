import numpy as np
import pytest

from sklearn_sentemb import TokenEmbeddings


def make_tokens(lengths, dim=3, seed=0):
    rng = np.random.default_rng(seed)
    total = int(sum(lengths))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return TokenEmbeddings(
        rng.standard_normal((total, dim)).astype(np.float32),
        offsets,
        np.arange(total) + 100,
        rng.integers(0, 4, total),
    )


def texts_of(tokens):
    """Per-text row blocks, by hand, for comparisons."""
    return [tokens.values[a:b] for a, b in zip(tokens.offsets[:-1], tokens.offsets[1:])]


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        slice(1, 3),
        slice(None, None, 2),
        slice(3, 1),
        [2, 0, 2],
        np.array([0, 3]),
        np.array([True, False, False, True]),
        np.array([], dtype=int),
    ],
)
def test_indexing_selects_whole_texts(index):
    tokens = make_tokens([2, 0, 3, 1])
    picked = tokens[index]
    expected = np.arange(4)[index]
    expected = np.atleast_1d(expected)
    assert len(picked) == len(expected)
    blocks = texts_of(tokens)
    for block, i in zip(texts_of(picked), expected):
        np.testing.assert_array_equal(block, blocks[i])
    ids = np.concatenate(
        [tokens.token_ids[tokens.offsets[i] : tokens.offsets[i + 1]] for i in expected]
        or [np.zeros(0, int)]
    )
    np.testing.assert_array_equal(picked.token_ids, ids)


def test_concatenate_and_lengths():
    a, b = make_tokens([2, 1], seed=1), make_tokens([0, 4], seed=2)
    joined = TokenEmbeddings.concatenate([a, b])
    assert len(joined) == 4
    assert joined.lengths.tolist() == [2, 1, 0, 4]
    np.testing.assert_array_equal(joined[3].values, b[1].values)
    np.testing.assert_array_equal(joined.segment_ids, [0, 0, 1, 3, 3, 3, 3])


def test_out_of_range_and_bad_construction():
    tokens = make_tokens([1, 2])
    with pytest.raises(IndexError):
        tokens[2]
    with pytest.raises(IndexError):
        tokens[[0, 5]]
    with pytest.raises(ValueError, match="end at len"):
        TokenEmbeddings(np.zeros((3, 2)), [0, 2], np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="one entry per token"):
        TokenEmbeddings(np.zeros((3, 2)), [0, 3], np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="differ in dim"):
        TokenEmbeddings.concatenate([make_tokens([1], dim=2), make_tokens([1], dim=3)])


def read_only(tokens):
    tokens.values.flags.writeable = False
    return tokens


@pytest.mark.parametrize("index", [[2, 0, 2], [1], [], [3, 2, 1, 0]])
def test_a_lazy_cut_equals_the_gathered_texts(index):
    import pickle

    parent = read_only(make_tokens([2, 0, 3, 1]))
    cut = TokenEmbeddings._rows_of(parent, np.array(index, dtype=np.int64))
    assert cut._values is None and (cut.dim, cut.dtype) == (3, np.float32)
    by_hand = texts_of(parent)
    np.testing.assert_array_equal(cut.lengths, [len(by_hand[i]) for i in index])
    want_ids = [parent.token_ids[parent.offsets[i] : parent.offsets[i + 1]] for i in index]
    np.testing.assert_array_equal(cut.token_ids, np.concatenate(want_ids) if index else [])
    for got, i in zip(texts_of(cut), index):
        np.testing.assert_array_equal(got, by_hand[i])
    assert not cut.values.flags.writeable  # shared with the batch it is cut from
    again = pickle.loads(pickle.dumps(cut))
    np.testing.assert_array_equal(again.values, cut.values)
    np.testing.assert_array_equal(again.offsets, cut.offsets)


def test_a_cut_of_a_cut_is_a_cut_of_the_first_batch():
    parent = read_only(make_tokens([2, 1, 3, 1, 2]))
    cut = TokenEmbeddings._rows_of(parent, np.array([4, 2, 0, 3]))
    inner = cut[1:3]
    assert inner.source[0] is parent
    np.testing.assert_array_equal(inner.source[1], [2, 0])
    for got, want in zip(texts_of(inner), [texts_of(parent)[2], texts_of(parent)[0]]):
        np.testing.assert_array_equal(got, want)


def test_concatenating_cuts_equals_concatenating_their_texts():
    parent = read_only(make_tokens([2, 1, 3]))
    cuts = [TokenEmbeddings._rows_of(parent, np.array(i)) for i in ([2, 0], [1])]
    joined = TokenEmbeddings.concatenate(cuts)
    expected = TokenEmbeddings.concatenate([parent[[2, 0]], parent[[1]]])
    np.testing.assert_array_equal(joined.values, expected.values)
    np.testing.assert_array_equal(joined.offsets, expected.offsets)
    np.testing.assert_array_equal(joined.token_ids, expected.token_ids)


def test_an_ungathered_cut_counts_its_rows_not_the_vectors_of_its_batch():
    parent = read_only(make_tokens([200, 100, 300], dim=64))
    cut = TokenEmbeddings._rows_of(parent, np.array([2, 0]))
    assert cut.nbytes == 500 * 9 + 2 * 8
    cut.values  # noqa: B018
    assert cut.nbytes == 500 * (9 + 64 * 4)
