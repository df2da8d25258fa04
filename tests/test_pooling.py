import numpy as np
import pytest

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
    np.testing.assert_array_equal(
        TokenPooler("mask").fit_transform(tokens[[2]]), tokens.values[[11]]
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


def test_feature_names(tokens):
    names = TokenPooler().fit(tokens).get_feature_names_out()
    assert names.tolist() == [f"tokenpooler{i}" for i in range(4)]
