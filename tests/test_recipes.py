import pickle

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler
from sklearn_sentemb.metrics import make_sts_scorer
from sklearn_sentemb.recipes import RECIPES, make_recipe

from conftest import read_stsb


@pytest.fixture(scope="module")
def sentences():
    pairs, _ = read_stsb("test", limit=30)
    return pairs.ravel().tolist()


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_fits_transforms_and_pickles(name, tiny_bert, minilm_path, sentences):
    # b2s-100 projects the teacher's vectors to 100 dimensions: the tiny BERT has 32.
    pipe = make_recipe(name, model=minilm_path if name == "b2s-100" else tiny_bert)
    assert [step for step, _ in pipe.steps] == ["fit_on", "tokens", "pool", "refine"]
    emb = pipe.fit(sentences).transform(sentences[:10])
    assert emb.shape[0] == 10 and np.isfinite(emb).all()
    assert np.linalg.norm(emb, axis=1).min() > 0
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(restored.transform(sentences[:10]), emb, atol=1e-5)
    assert RECIPES[name].__doc__ and "(" in RECIPES[name].__doc__  # cites its source


def test_recipe_fitted_on_a_corpus(tiny_bert, sentences):
    corpus = sentences[30:]
    on_corpus = make_recipe("bert-whitening", model=tiny_bert, corpus=corpus).fit(sentences[:30])
    by_hand = make_recipe("bert-whitening", model=tiny_bert).fit(corpus)
    np.testing.assert_allclose(on_corpus["refine"].mean_, by_hand["refine"].mean_, atol=1e-6)


def test_unknown_recipe():
    with pytest.raises(ValueError, match="unknown recipe 'nope'; choose from mean-last"):
        make_recipe("nope")


def test_shaped_random_embeddings_beat_plain_random_mean_by_10_points():
    """The paper's static-model claim on STS-B test (unsupervised: fitted on the test texts)."""
    pairs, gold = read_stsb("test")
    scorer = make_sts_scorer()
    plain = make_pipeline(
        RandomTokenEmbeddings(dim=384, random_state=0, add_special_tokens=False),
        TokenPooler("mean", exclude=()),
    ).fit(pairs)
    shaped = make_recipe("random").fit(pairs)
    plain_score, shaped_score = scorer(plain, pairs, gold), scorer(shaped, pairs, gold)
    assert plain_score == pytest.approx(0.4653, abs=1e-3)  # SentEval's "Random mean"
    assert shaped_score - plain_score >= 0.10
