"""Streaming: chunked token vectors pool to exactly what one batch gives."""

import numpy as np
import pytest

from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler
from sklearn_sentemb._tokens import ChunkedTokenEmbeddings

TEXTS = [
    "A man is playing a guitar.",
    "Someone plays an instrument on the stage tonight.",
    "",
    "The cat sat.",
    "Unbelievably, tokenisation splits words!",
    "A man is playing a guitar.",
    "Dogs, cats, and birds.",
]

POOLERS = [
    TokenPooler("mean"),
    TokenPooler("mean", exclude=()),
    TokenPooler("max"),
    TokenPooler("cls"),
    TokenPooler("first", exclude=("special", "punctuation")),
    TokenPooler("last", exclude=("special", "subword")),
    TokenPooler("mean", weighting="idf"),
    TokenPooler("mean", weighting="sif", exclude=("special", "frequent"), n_frequent=3),
    TokenPooler("mean", weighting="usif"),
    TokenPooler("max", exclude=("special", "frequent"), n_frequent=2),
]


@pytest.fixture(scope="module")
def featurizer(tiny_bert):
    return RandomTokenEmbeddings(tiny_bert, dim=16)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
@pytest.mark.parametrize("pooler", POOLERS, ids=repr)
def test_chunked_pooling_equals_one_batch(featurizer, pooler, chunk_size):
    one_shot = pooler.fit(featurizer.transform(TEXTS)).transform(featurizer.transform(TEXTS))
    chunked = ChunkedTokenEmbeddings(TEXTS, featurizer.transform, chunk_size)
    streamed = pooler.fit(chunked).transform(chunked)
    np.testing.assert_array_equal(streamed, one_shot)  # the same arithmetic per text


def test_chunked_indexing_is_lazy_and_selects_texts(featurizer):
    calls = []

    def featurize(texts):
        calls.append(len(texts))
        return featurizer.transform(texts)

    chunked = ChunkedTokenEmbeddings(TEXTS, featurize, 2)
    fold = chunked[np.array([4, 0, 6])]
    assert calls == [] and len(fold) == 3
    pooler = TokenPooler("mean")
    np.testing.assert_array_equal(
        pooler.fit_transform(fold),
        pooler.fit_transform(featurizer.transform([TEXTS[i] for i in (4, 0, 6)])),
    )
    assert calls == [2, 1]  # the fold's two chunks, made once when pooled (nothing to learn)
    calls.clear()
    TokenPooler("mean", weighting="idf").fit_transform(fold)
    assert calls == [2, 1, 2, 1]  # weights are learned from every chunk first
    whole = chunked.materialize()
    np.testing.assert_array_equal(whole.values, featurizer.transform(TEXTS).values)


def test_errors_in_a_later_chunk_say_where_it_starts(featurizer):
    def poisoned(texts):
        tokens = featurizer.transform(texts)
        if "The cat sat." in texts:
            values = tokens.values.copy()
            values[-1, 0] = np.nan
            tokens = tokens.with_values(values)
        return tokens

    with pytest.raises(ValueError, match=r"text 1 .*chunk that starts at text 2"):
        TokenPooler().fit_transform(ChunkedTokenEmbeddings(TEXTS, poisoned, 2))
    with pytest.raises(ValueError, match=r"text 1 .*chunk that starts at text 2"):
        TokenPooler(weighting="idf").fit(ChunkedTokenEmbeddings(TEXTS, poisoned, 2))


def test_an_empty_chunked_batch_pools_to_no_rows(featurizer):
    empty = ChunkedTokenEmbeddings(TEXTS, featurizer.transform, 2)[np.zeros(7, dtype=bool)]
    for pooler in (TokenPooler("mean"), TokenPooler("mean", weighting="idf")):
        assert pooler.fit_transform(
            ChunkedTokenEmbeddings(TEXTS, featurizer.transform, 2)
        ).shape == (7, 16)
        assert pooler.transform(empty).shape == (0, 16)


def _featurizers(tiny_bert):
    from sklearn_sentemb import (
        AveragedTokenEmbeddings,
        InputTokenEmbeddings,
        TokenMixer,
        TransformerFeaturizer,
        WordVectors,
    )

    # batch_size=1: each text runs alone, so the vectors do not depend on batch padding and
    # chunked and one-shot calls must agree exactly.
    contextual = TransformerFeaturizer(tiny_bert, layers=[1, -1], batch_size=1, cache=False)
    words = ["a", "man", "is", "playing", "guitar", "the", "cat", ".", ","]
    return {
        "contextual": contextual,
        "random": RandomTokenEmbeddings(tiny_bert, dim=16),
        "input": InputTokenEmbeddings(tiny_bert),
        "avg": AveragedTokenEmbeddings(contextual, fallback="zero"),
        "words": WordVectors(np.arange(len(words) * 4.0).reshape(-1, 4), words),
        "mixer": TokenMixer(contextual, RandomTokenEmbeddings(tiny_bert, dim=32)),
    }


@pytest.mark.parametrize("name", ["contextual", "random", "input", "avg", "words", "mixer"])
def test_featurizers_stream_more_texts_than_a_chunk(tiny_bert, monkeypatch, name):
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    from sklearn_sentemb import _tokens

    featurizer = _featurizers(tiny_bert)[name]
    texts = TEXTS * 2
    poolers = [TokenPooler("mean", weighting="idf"), TokenPooler("max"), POOLERS[7]]
    if name == "words":  # no special tokens nor vocabulary flags: plain exclusions
        poolers = [TokenPooler("mean", weighting="sif", exclude=()), TokenPooler("max", exclude=())]
    expected = [make_pipeline(clone(featurizer), p).fit_transform(texts) for p in poolers]
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 3)
    fitted = clone(featurizer).fit(texts)
    assert isinstance(fitted.transform(texts), ChunkedTokenEmbeddings)
    for pooler, one_shot in zip(poolers, expected):
        streamed = make_pipeline(clone(featurizer), clone(pooler)).fit_transform(texts)
        np.testing.assert_array_equal(streamed, one_shot)


def test_long_calls_show_progress_and_short_ones_stay_quiet(tiny_bert, monkeypatch, capsys):
    from sklearn_sentemb import TransformerFeaturizer, _tokens

    pooler = TokenPooler("mean")
    featurizer = TransformerFeaturizer(tiny_bert, cache=False)  # progress="auto"
    pooler.fit_transform(featurizer.transform(TEXTS))
    assert capsys.readouterr().err == ""  # short: quiet
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 2)
    pooler.fit_transform(featurizer.transform(TEXTS))
    assert "7/7" in capsys.readouterr().err  # long (streamed): a bar over the texts
    pooler.fit_transform(featurizer.set_params(progress=False).transform(TEXTS))
    assert capsys.readouterr().err == ""  # asked to be quiet
