"""Export to model2vec and sentence-transformers: each exported folder, loaded by the other
library itself, gives the direction of the fitted pipeline's ``transform`` on real sentences."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, QuantileTransformer, StandardScaler

from sklearn_sentemb import (
    AllButTheTop,
    AveragedTokenEmbeddings,
    BERT2Static,
    CommonComponentRemoval,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenPooler,
    TransformerFeaturizer,
    Whitening,
)
from sklearn_sentemb.export import to_model2vec, to_sentence_transformers

pytest.importorskip("model2vec")


def _min_cosine(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cos.min())


@pytest.fixture(scope="module")
def sentences(stsb_sentences):
    """Real STS-B sentences, none of them tokenised to [UNK] (which model2vec drops)."""
    return stsb_sentences[:300]


def _moved(path, tmp_path):
    """The folder moved elsewhere: an exported model must not refer to where it was written."""
    target = tmp_path / "moved"
    shutil.move(str(path), str(target))
    return str(target)


# -- static pipelines fold into one table -------------------------------------------------
def _static_pipelines(minilm, tiny_bert):
    avg = AveragedTokenEmbeddings(TransformerFeaturizer(tiny_bert, cache=False), fallback="zero")
    return {
        "input-mean": make_pipeline(InputTokenEmbeddings(minilm), TokenPooler("mean")),
        "input-idf-whitening": make_pipeline(
            InputTokenEmbeddings(minilm), TokenPooler("mean", weighting="idf"), Whitening()
        ),
        "input-sif-ccr-normalizer": make_pipeline(
            InputTokenEmbeddings(minilm),
            TokenPooler("mean", weighting="sif"),
            CommonComponentRemoval(1),
            Normalizer(),
        ),
        "random-usif-abtt-scaler": make_pipeline(
            RandomTokenEmbeddings(minilm, dim=48, random_state=3),
            TokenPooler("mean", weighting="usif"),
            AllButTheTop(2),
            StandardScaler(),
        ),
        "random-exclusions-pca": make_pipeline(
            RandomTokenEmbeddings(minilm, dim=48),
            TokenPooler("mean", exclude=("special", "punctuation", "frequent"), n_frequent=5),
            PCA(16, whiten=True),
        ),
        "random-nospecial-zca-normalizer": make_pipeline(
            RandomTokenEmbeddings(minilm, dim=48, add_special_tokens=False),
            TokenPooler("mean", exclude=("subword", "the"), weighting="idf"),
            Whitening(method="zca"),
            Normalizer(),
        ),
        "avg-idf-whitening": make_pipeline(
            avg, TokenPooler("mean", weighting="idf"), Whitening(n_components=16)
        ),
        "input-abtt-uncentred": make_pipeline(
            InputTokenEmbeddings(minilm), TokenPooler("mean"), AllButTheTop(2, center=False)
        ),
        "random-usif-weighted-ccr": make_pipeline(
            RandomTokenEmbeddings(minilm, dim=48, random_state=1),
            TokenPooler("mean", weighting="usif"),
            CommonComponentRemoval(3, weighted=True),
        ),
        "b2s-sif-whitening": make_pipeline(
            BERT2Static(tiny_bert, corpus=_B2S_CORPUS, epochs=2),
            TokenPooler("mean", weighting="sif"),
            Whitening(n_components=8),
        ),
    }


#: A small corpus for the BERT2Static table of the export tests.
_B2S_CORPUS = [
    "A man is playing a guitar.",
    "A woman is slicing an onion.",
    "Two dogs run through the snow.",
    "The cat sleeps on the warm mat.",
] * 4


STATIC = [
    "input-mean",
    "input-idf-whitening",
    "input-sif-ccr-normalizer",
    "random-usif-abtt-scaler",
    "random-exclusions-pca",
    "random-nospecial-zca-normalizer",
    "avg-idf-whitening",
    "input-abtt-uncentred",
    "random-usif-weighted-ccr",
    "b2s-sif-whitening",
]


@pytest.mark.parametrize("name", STATIC)
def test_static_export_matches_transform(name, minilm_path, tiny_bert, sentences, tmp_path):
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer

    pipe = _static_pipelines(minilm_path, tiny_bert)[name]
    expected = pipe.fit(sentences).transform(sentences)
    folder = to_model2vec(pipe, tmp_path / "m2v")
    got = StaticModel.from_pretrained(_moved(folder, tmp_path)).encode(sentences)
    assert got.shape == expected.shape
    assert _min_cosine(got, expected) >= 1 - 1e-5
    to_sentence_transformers(pipe, tmp_path / "st")
    st = SentenceTransformer(str(tmp_path / "st"), device="cpu")
    got = st.encode(sentences, batch_size=64)
    assert _min_cosine(got, expected) >= 1 - 1e-5
    if not pipe[1].exclude or pipe[1].exclude == ("special",) or isinstance(pipe[-1], Normalizer):
        # nothing of the text is left out (or the scale is normalised away): the same vector
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_folded_table_of_a_plain_mean_is_the_input_embedding_matrix(minilm_path, tmp_path):
    """Written out by hand: input embeddings under a plain mean are the model's own matrix,
    and model2vec's mean of its rows is numpy's mean of the token rows."""
    from model2vec import StaticModel
    from transformers import AutoModel, AutoTokenizer

    pipe = make_pipeline(InputTokenEmbeddings(minilm_path), TokenPooler("mean")).fit(["a"])
    model = StaticModel.from_pretrained(to_model2vec(pipe, tmp_path / "m2v"))
    matrix = AutoModel.from_pretrained(minilm_path).get_input_embeddings().weight.detach().numpy()
    np.testing.assert_array_equal(model.embedding, matrix)
    ids = AutoTokenizer.from_pretrained(minilm_path)("A man plays.", add_special_tokens=False)
    np.testing.assert_allclose(
        model.encode(["A man plays."])[0], matrix[ids["input_ids"]].mean(0), rtol=1e-6
    )
    assert model.max_length is None  # the featurizer cuts nothing, nor does the export


def test_static_export_cuts_where_the_featurizer_does(minilm_path, tmp_path):
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer

    pipe = make_pipeline(InputTokenEmbeddings(minilm_path, max_length=6), TokenPooler("mean"))
    texts = ["one two three four five six seven eight", "short one"]
    with pytest.warns(UserWarning, match="exceed"):
        expected = pipe.fit_transform(texts)
    m2v = StaticModel.from_pretrained(to_model2vec(pipe, tmp_path / "m2v")).encode(texts)
    st = SentenceTransformer(to_sentence_transformers(pipe, tmp_path / "st"), device="cpu")
    for got in (m2v, st.encode(texts)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda m: [InputTokenEmbeddings(m), TokenPooler("max")], r"TokenPooler\(method='max'\)"),
        (lambda m: [InputTokenEmbeddings(m), TokenPooler("cls")], r"TokenPooler\(method='cls'\)"),
        (
            lambda m: [InputTokenEmbeddings(m), TokenPooler(), QuantileTransformer(n_quantiles=5)],
            "cannot fold the refiner QuantileTransformer",
        ),
        (
            lambda m: [InputTokenEmbeddings(m, template="promptbert"), TokenPooler()],
            "InputTokenEmbeddings with a template",
        ),
        (
            lambda m: [InputTokenEmbeddings(m), TokenPooler(exclude=())],
            "keeps the special tokens",
        ),
        (
            lambda m: [InputTokenEmbeddings(m), TokenPooler(), Normalizer(), Whitening()],
            "cannot fold the refiner Normalizer",
        ),
        (
            lambda m: [InputTokenEmbeddings(m), TokenPooler(token_norm="dimension")],
            r"TokenPooler\(token_norm='dimension'\)",
        ),
        (
            lambda m: [InputTokenEmbeddings(m), TokenPooler(), Normalizer("l1")],
            r"Normalizer\(norm='l1'\)",
        ),
    ],
)
def test_unfoldable_static_pipelines_name_the_step(make, match, minilm_path, tmp_path):
    pipe = make_pipeline(*make(minilm_path))
    pipe.fit(["A man plays a guitar.", "A woman is slicing an onion.", "Dogs run.", "Hi."] * 2)
    for export in (to_model2vec, to_sentence_transformers):
        with pytest.raises(ValueError, match=match):
            export(pipe, tmp_path / export.__name__)


def test_contextual_pipeline_does_not_fold_into_model2vec(tiny_bert, tmp_path):
    pipe = make_pipeline(TransformerFeaturizer(tiny_bert), TokenPooler()).fit(["a"])
    with pytest.raises(ValueError, match="to_model2vec: TransformerFeaturizer is contextual"):
        to_model2vec(pipe, tmp_path)


# -- contextual pipelines -----------------------------------------------------------------
def _contextual_pipelines(model):
    return {
        "layers-idf-exclusions-whitening": make_pipeline(
            TransformerFeaturizer(model, layers=[0, -1]),
            TokenPooler("mean", weighting="idf", exclude=("special", "punctuation")),
            Whitening(n_components=24),
            Normalizer(),
        ),
        "concat-max-abtt": make_pipeline(
            TransformerFeaturizer(model, layers=[1, -1], layer_combination="concat"),
            TokenPooler("max"),
            AllButTheTop(2),
        ),
        "sum-mean-all-tokens": make_pipeline(
            TransformerFeaturizer(model, layers=[1, 2, 3], layer_combination="sum"),
            TokenPooler("mean", exclude=(), weighting="sif"),
        ),
        "cls-scaler": make_pipeline(
            TransformerFeaturizer(model, layers=2), TokenPooler("cls"), StandardScaler()
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["layers-idf-exclusions-whitening", "concat-max-abtt", "sum-mean-all-tokens", "cls-scaler"],
)
def test_contextual_export_matches_transform(name, tiny_bert, sentences, tmp_path):
    from sentence_transformers import SentenceTransformer

    texts = sentences[:120]
    pipe = _contextual_pipelines(tiny_bert)[name]
    expected = pipe.fit(texts).transform(texts)
    folder = _moved(to_sentence_transformers(pipe, tmp_path / "st"), tmp_path)
    got = SentenceTransformer(folder, device="cpu", trust_remote_code=True).encode(texts)
    assert got.shape == expected.shape
    assert _min_cosine(got, expected) >= 1 - 1e-5


@pytest.mark.slow
def test_contextual_export_of_minilm_with_whitening(minilm_path, sentences, tmp_path):
    from sentence_transformers import SentenceTransformer

    texts = sentences[:80]
    pipe = _contextual_pipelines(minilm_path)["layers-idf-exclusions-whitening"]
    expected = pipe.fit(texts).transform(texts)
    folder = to_sentence_transformers(pipe, tmp_path / "st")
    got = SentenceTransformer(folder, device="cpu", trust_remote_code=True).encode(texts)
    assert _min_cosine(got, expected) >= 1 - 1e-5


def test_contextual_template_is_refused(tiny_bert, tmp_path):
    pipe = make_pipeline(TransformerFeaturizer(tiny_bert, template="promptbert"), TokenPooler())
    pipe.fit(["a"])
    with pytest.raises(ValueError, match="TransformerFeaturizer with a template"):
        to_sentence_transformers(pipe, tmp_path)


def test_export_needs_a_pipeline_of_featurizer_and_pooler(tmp_path):
    with pytest.raises(TypeError, match="to_model2vec: expects a fitted sklearn Pipeline"):
        to_model2vec(TokenPooler(), tmp_path)
    with pytest.raises(ValueError, match=r"then a TokenPooler.*\['Whitening'\]"):
        to_sentence_transformers(make_pipeline(Whitening()), tmp_path)
