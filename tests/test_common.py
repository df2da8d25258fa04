"""Common checks of the text steps: one table of instances through the same checks.

scikit-learn's own ``parametrize_with_checks`` feeds numeric arrays, so the text steps get the
hand-written equivalents here (clone, pickle, parameters, empty input, bad items, pandas input,
indexing of the output, the output API). Adding a step means adding one row to ``STEPS``.
"""

import pickle

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks

from sklearn_sentemb import (
    AveragedTokenEmbeddings,
    FitOn,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    TokenEmbeddings,
    TokenMixer,
    TokenPooler,
    TransformerFeaturizer,
    WordVectors,
)

WORDS = ["a", "man", "plays", "guitar", "the", "cat", "sat", "dog", "runs", "."]


def _featurizer(path):
    return TransformerFeaturizer(path, cache=False)  # every call computes: nothing memoised


# One row per text step: (id, builder from the tiny BERT's path, whether transform needs fit).
STEPS = [
    ("TransformerFeaturizer", _featurizer, False),
    ("RandomTokenEmbeddings", lambda p: RandomTokenEmbeddings(p, dim=8), False),
    ("InputTokenEmbeddings", InputTokenEmbeddings, False),
    (
        "AveragedTokenEmbeddings",
        lambda p: AveragedTokenEmbeddings(_featurizer(p), fallback="zero"),
        True,
    ),
    (
        "TokenMixer",
        lambda p: TokenMixer(_featurizer(p), RandomTokenEmbeddings(p, dim=32), weight=0.25),
        True,
    ),
    (
        "WordVectors",
        lambda p: WordVectors(np.arange(30.0).reshape(10, 3), WORDS, oov="zero"),
        True,
    ),
    ("FitOn", lambda p: FitOn(["a corpus text", "another one"]), False),
]

TRAIN = ["A man plays a guitar.", "The cat sat.", "", "A dog runs."]
TEXTS = ["The dog sat.", "", "A man plays the guitar outside.", "cat", "Runs, a dog runs."]


@pytest.fixture(params=STEPS, ids=[row[0] for row in STEPS])
def row(request, tiny_bert):
    name, build, requires_fit = request.param
    return name, build(tiny_bert), requires_fit


@pytest.fixture
def fitted(row):
    name, step, _ = row
    return name, clone(step).fit(TRAIN)


def _assert_same_output(got, expected):
    """Two outputs hold the same texts: the same tokens and vectors, or the same texts."""
    if isinstance(expected, TokenEmbeddings):
        assert isinstance(got, TokenEmbeddings)
        np.testing.assert_array_equal(got.offsets, expected.offsets)
        np.testing.assert_array_equal(got.token_ids, expected.token_ids)
        np.testing.assert_array_equal(got.roles, expected.roles)
        # Batches of other texts pad differently, which moves float32 sums in the last bits.
        np.testing.assert_allclose(got.values, expected.values, rtol=1e-5, atol=1e-6)
    else:  # FitOn passes its input through
        assert np.asarray(got, dtype=object).ravel().tolist() == list(expected)


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_valid_tag_types,
    ],
    ids=lambda check: check.__name__,
)
def test_sklearn_parameter_checks(row, check):
    name, step, _ = row
    check(name, step)


def test_tags_say_texts_in_and_whether_fit_is_needed(row):
    _, step, requires_fit = row
    tags = step.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.requires_fit is requires_fit


def test_clone_forgets_what_was_learned(fitted, row):
    name, step = fitted
    _, _, requires_fit = row
    copy = clone(step)
    assert copy.get_params(deep=False).keys() == step.get_params(deep=False).keys()
    if requires_fit:
        with pytest.raises(NotFittedError, match=name):
            copy.transform(TEXTS)
    _assert_same_output(copy.fit(TRAIN).transform(TEXTS), step.transform(TEXTS))


def test_pickle_round_trip_gives_the_same_output(fitted):
    _, step = fitted
    again = pickle.loads(pickle.dumps(step))
    _assert_same_output(again.transform(TEXTS), step.transform(TEXTS))


def test_set_params_reaches_the_output(tiny_bert):
    step = RandomTokenEmbeddings(tiny_bert, dim=8).fit()
    tokens = step.set_params(random_state=1, dim=3).transform(TEXTS)
    table = np.random.default_rng(1).standard_normal((30522, 3)).astype(np.float32)
    np.testing.assert_array_equal(tokens.values, table[tokens.token_ids])


def test_empty_input_gives_no_texts(fitted):
    name, step = fitted
    out = step.transform([])
    assert len(out) == 0
    if isinstance(out, TokenEmbeddings):
        assert out.values.shape == (0, len(step.get_feature_names_out()))
        assert out.offsets.tolist() == [0]


@pytest.mark.parametrize(
    ("X", "message"),
    [
        ("a text", r"single str; wrap it in a list"),
        (["ok", None], r"item 1 is NoneType"),
        (["ok", "fine", 2.5], r"item 2 is float"),
        (["ok", b"bytes"], r"item 1 is bytes"),
    ],
    ids=["bare-string", "none-item", "number-item", "bytes-item"],
)
def test_bad_texts_raise_type_error_naming_the_step(fitted, X, message):
    name, step = fitted
    with pytest.raises(TypeError, match=rf"^{name}: .*{message}"):
        step.transform(X)


def test_pandas_input_equals_a_list(fitted):
    pd = pytest.importorskip("pandas")
    _, step = fitted
    expected = step.transform(TEXTS)
    series = pd.Series(TEXTS, index=[40, 3, 17, 0, 8])  # the index is not the order
    _assert_same_output(step.transform(series), expected)
    _assert_same_output(step.transform(pd.DataFrame({"text": TEXTS})), expected)


def test_indexing_the_output_equals_transforming_those_texts(fitted):
    _, step = fitted
    out = step.transform(TEXTS)
    _assert_same_output(out[1:3], step.transform(TEXTS[1:3]))
    if isinstance(out, TokenEmbeddings):
        _assert_same_output(out[[4, 0]], step.transform([TEXTS[4], TEXTS[0]]))


def test_set_output_is_accepted_and_changes_nothing(fitted):
    pytest.importorskip("pandas")
    name, step = fitted
    expected = step.transform(TEXTS)
    assert step.set_output(transform="pandas") is step
    _assert_same_output(step.transform(TEXTS), expected)
    with config_context(transform_output="pandas"):
        _assert_same_output(step.transform(TEXTS), expected)
    assert step.set_output(transform="default") is step
    with pytest.raises(ValueError, match=rf"^{name}: set_output\(transform=...\) must be one of"):
        step.set_output(transform="numpy")


def test_feature_names_out(fitted):
    name, step = fitted
    names = step.get_feature_names_out(["text"])
    out = step.transform(TEXTS)
    if isinstance(out, TokenEmbeddings):
        assert names.tolist() == [f"{name.lower()}{i}" for i in range(out.dim)]
    else:  # FitOn passes the names of its text column(s) through
        assert names.tolist() == ["text"]
        assert step.get_feature_names_out(["a", "b"]).tolist() == ["a", "b"]


def test_feature_names_out_before_fit(row):
    name, step, requires_fit = row
    if requires_fit:
        with pytest.raises(NotFittedError, match=name):
            step.get_feature_names_out()
    else:  # a step that learns nothing names its output before fit as after it
        names = step.get_feature_names_out(["text"]).tolist()
        assert names == clone(step).fit(TRAIN).get_feature_names_out(["text"]).tolist()


# -- inside scikit-learn's compositions -------------------------------------------------------


def _mean_pooled_by_hand(path, texts):
    """Last layer of the tiny BERT run by transformers on each text alone, averaged over the
    text's tokens ([CLS] and [SEP] left out; none left: zeros)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    rows = []
    with torch.inference_mode():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt")
            states = model(**ids).last_hidden_state[0, 1:-1].numpy()
            rows.append(states.mean(axis=0) if len(states) else np.zeros(states.shape[1]))
    return np.array(rows)


@pytest.mark.parametrize("columns", ["text", ["text"]], ids=["series", "one-column-frame"])
def test_column_transformer_gives_a_named_frame(tiny_bert, columns):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": TEXTS, "x": [1.0, 2.0, 4.0, 8.0, 0.5]})
    text = make_pipeline(TransformerFeaturizer(tiny_bert, cache=False), TokenPooler())
    both = ColumnTransformer([("text", text, columns), ("num", StandardScaler(), ["x"])])
    out = both.set_output(transform="pandas").fit_transform(frame)

    names = [f"text__tokenpooler{i}" for i in range(32)] + ["num__x"]
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == names
    assert both.get_feature_names_out().tolist() == names
    expected_text = _mean_pooled_by_hand(tiny_bert, TEXTS)
    np.testing.assert_allclose(out.iloc[:, :32].to_numpy(), expected_text, rtol=1e-4, atol=1e-5)
    x = frame["x"].to_numpy()
    np.testing.assert_allclose(out["num__x"].to_numpy(), (x - x.mean()) / x.std())


@pytest.mark.xfail(
    strict=True,
    reason="TokenEmbeddings carries no row labels, so the pooler's frame gets a RangeIndex that "
    "ColumnTransformer cannot align with the other columns' index",
)
def test_column_transformer_keeps_a_frame_index(tiny_bert):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": TEXTS, "x": [1.0, 2.0, 4.0, 8.0, 0.5]}, index=[9, 4, 7, 1, 0])
    text = make_pipeline(RandomTokenEmbeddings(tiny_bert, dim=4), TokenPooler())
    both = ColumnTransformer([("text", text, "text"), ("num", StandardScaler(), ["x"])])
    out = both.set_output(transform="pandas").fit_transform(frame)
    assert out.index.tolist() == [9, 4, 7, 1, 0]


def test_pipeline_output_and_names_run_through_the_text_steps(tiny_bert):
    pd = pytest.importorskip("pandas")
    pipe = make_pipeline(FitOn(), RandomTokenEmbeddings(tiny_bert, dim=4), TokenPooler())
    out = pipe.set_output(transform="pandas").fit_transform(TEXTS)
    names = [f"tokenpooler{i}" for i in range(4)]
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == names
    assert pipe.get_feature_names_out().tolist() == names
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    table = np.random.default_rng(0).standard_normal((30522, 4)).astype(np.float32)
    by_hand = []
    for text in TEXTS:
        ids = tokenizer(text)["input_ids"][1:-1]  # the pooler's default leaves [CLS], [SEP] out
        by_hand.append(table[ids].mean(axis=0) if ids else np.zeros(4))
    np.testing.assert_allclose(out.to_numpy(), by_hand, rtol=1e-6)
