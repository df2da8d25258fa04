import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from transformers import AutoModel

from sklearn_sentemb import (
    AveragedTokenEmbeddings,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenEmbeddings,
    TokenMixer,
    TokenPooler,
    TransformerFeaturizer,
    WordVectors,
)
from sklearn_sentemb._mixer import _check_same_tokens

TEXTS = ["A man is playing a guitar.", "The cat sat.", "", "Dogs bark loudly at night!"]


@pytest.fixture
def parts(tiny_bert):
    """Two 32-wide featurizers on the tiny BERT, and their tables computed independently."""
    random = RandomTokenEmbeddings(tiny_bert, dim=32, random_state=5)
    inputs = InputTokenEmbeddings(tiny_bert)
    weight = AutoModel.from_pretrained(tiny_bert).get_input_embeddings().weight.detach().numpy()
    table = np.random.default_rng(5).standard_normal((len(weight), 32)).astype(np.float32)
    return random, inputs, table, weight


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_weighted_mix_is_the_convex_combination(parts, weight):
    random, inputs, table, embedding = parts
    tokens = TokenMixer(random, inputs, weight=weight).fit_transform(TEXTS)
    ids = tokens.token_ids
    expected = weight * table[ids].astype(np.float64) + (1 - weight) * embedding[ids]
    np.testing.assert_allclose(tokens.values, expected, rtol=1e-6, atol=1e-6)
    assert tokens.values.dtype == np.float32
    reference = random.transform(TEXTS)
    np.testing.assert_array_equal(tokens.offsets, reference.offsets)
    np.testing.assert_array_equal(tokens.roles, reference.roles)
    if weight == 1.0:
        np.testing.assert_array_equal(tokens.values, reference.values)


def test_concat_mix(parts):
    random, inputs, table, embedding = parts
    tokens = TokenMixer(random, inputs, combination="concat").fit_transform(TEXTS)
    ids = tokens.token_ids
    np.testing.assert_array_equal(tokens.values, np.hstack([table[ids], embedding[ids]]))


def test_weighted_needs_equal_widths(tiny_bert):
    mixer = TokenMixer(
        RandomTokenEmbeddings(tiny_bert, dim=8), RandomTokenEmbeddings(tiny_bert, dim=16)
    ).fit(TEXTS)
    with pytest.raises(ValueError, match="TokenMixer.*same width.*8.*16"):
        mixer.transform(TEXTS)
    assert mixer.set_params(combination="concat").transform(TEXTS).dim == 24


def test_different_tokenisation_names_the_first_text(tiny_bert):
    texts = ["a cat", "a dog", "a very long sentence that is cut short", "another long one here"]
    mixer = TokenMixer(
        RandomTokenEmbeddings(tiny_bert, dim=4),
        RandomTokenEmbeddings(tiny_bert, dim=4, max_length=6),
    ).fit(texts)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="item 2: 'a very long"):
        mixer.transform(texts)
    words = WordVectors(np.eye(4), ["a", "cat", "dog", "the"]).fit()
    with pytest.raises(ValueError, match="tokenise differently.*item 0"):
        TokenMixer(RandomTokenEmbeddings(tiny_bert, dim=4), words).fit(texts).transform(texts)


def test_same_lengths_different_ids_names_the_text():
    def batch(ids):
        ids = np.asarray(ids)
        return TokenEmbeddings(np.zeros((len(ids), 2)), [0, 2, 4, 6], ids, np.zeros(len(ids)))

    texts = ["x", "y", "z"]
    _check_same_tokens(batch([1, 2, 3, 4, 5, 6]), batch([1, 2, 3, 4, 5, 6]), texts)
    with pytest.raises(ValueError, match="item 1: 'y'"):
        _check_same_tokens(batch([1, 2, 3, 4, 5, 6]), batch([1, 2, 3, 9, 5, 7]), texts)


def test_params_clone_and_grid_search(tiny_bert):
    mixer = TokenMixer(
        RandomTokenEmbeddings(tiny_bert, dim=32, random_state=0), InputTokenEmbeddings(tiny_bert)
    )
    params = mixer.get_params(deep=True)
    assert params["weight"] == 0.5 and params["first__dim"] == 32
    assert params["second__model"] == tiny_bert
    copy = clone(mixer).set_params(weight=0.2, first__random_state=3)
    assert copy.weight == 0.2 and copy.first.random_state == 3
    assert mixer.weight == 0.5 and mixer.first.random_state == 0
    with pytest.raises(ValueError, match="weight"):
        clone(mixer).set_params(weight=1.5).fit(TEXTS)

    pipe = Pipeline(
        [("mixer", mixer), ("pool", TokenPooler("mean")), ("clf", LogisticRegression())]
    )
    texts = ["a happy cat", "a glad dog", "joy and fun", "nice day"] * 2
    texts += ["a sad cat", "an angry dog", "grief and pain", "bad day"] * 2
    y = [1] * 8 + [0] * 8
    search = GridSearchCV(pipe, {"mixer__weight": [0.0, 0.5, 1.0]}, cv=2).fit(texts, y)
    assert [p["mixer__weight"] for p in search.cv_results_["params"]] == [0.0, 0.5, 1.0]
    assert search.best_estimator_.named_steps["mixer"].weight in (0.0, 0.5, 1.0)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(
        restored.predict_proba(texts), search.best_estimator_.predict_proba(texts)
    )


def test_frozen_averaged_table_is_not_refitted(tiny_bert):
    corpus = ["The cat sat on the mat.", "A dog sat on the cat."]
    featurizer = TransformerFeaturizer(tiny_bert, cache=False)
    avg = AveragedTokenEmbeddings(featurizer).fit(corpus)
    mixer = TokenMixer(featurizer, FrozenEstimator(avg), weight=0.25).fit(TEXTS)
    assert mixer.second_.estimator is avg  # fitting the mixer left the table as it was
    tokens = mixer.transform(TEXTS)
    contextual = featurizer.transform(TEXTS).values
    expected = 0.25 * contextual + 0.75 * avg.table_[tokens.token_ids]
    np.testing.assert_allclose(tokens.values, expected, atol=1e-6)
