"""Bad input and faults: one table of every public step x every bad input.

Each row of ``CASES`` names what is called and the exact behaviour expected: the exception
type and a pattern its message must match (the step's name and the offending item). Inputs
with a documented result rather than an error have their own tests below the table, each
asserting that result.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

CASES = []


def case(name, call, exc, match):
    """Add a row: ``call(env)`` must raise ``exc`` with a message matching ``match``."""
    CASES.append(pytest.param(call, exc, match, id=name))


# -- text input, every text step -------------------------------------------------------------


def _text_steps(env):
    """Every public step that takes texts, by name, fitted where fitting needs no texts."""
    from sklearn_sentemb import (
        AveragedTokenEmbeddings,
        BERT2Static,
        FitOn,
        InputTokenEmbeddings,
        RandomTokenEmbeddings,
        TokenMixer,
        TransformerFeaturizer,
        WordVectors,
    )

    featurizer = TransformerFeaturizer(env.tiny_bert, cache=False)
    return {
        "TransformerFeaturizer": featurizer,
        "RandomTokenEmbeddings": RandomTokenEmbeddings(env.tiny_bert, dim=8),
        "InputTokenEmbeddings": InputTokenEmbeddings(env.tiny_bert),
        "AveragedTokenEmbeddings": AveragedTokenEmbeddings(featurizer, fallback="zero"),
        "BERT2Static": BERT2Static(env.tiny_bert, subsample=None),
        "TokenMixer": TokenMixer(featurizer, RandomTokenEmbeddings(env.tiny_bert, dim=32)),
        "WordVectors": WordVectors(np.eye(3), ["a", "b", "c"]),
        "FitOn": FitOn(["a text"]),
    }


TEXT_STEPS = [
    "TransformerFeaturizer",
    "RandomTokenEmbeddings",
    "InputTokenEmbeddings",
    "AveragedTokenEmbeddings",
    "BERT2Static",
    "TokenMixer",
    "WordVectors",
]

# (name, input, exception, what the message must say besides the step's name)
BAD_TEXTS = [
    ("none", None, TypeError, r"NoneType"),
    ("number", 3, TypeError, r"int"),
    ("bytes", b"a text", TypeError, r"single bytes"),
    ("bare-string", "a text", TypeError, r"single str; wrap it in a list"),
    ("none-item", ["ok", None], TypeError, r"item 1 is NoneType"),
    ("number-item", ["ok", 2.5], TypeError, r"item 1 is float"),
    ("bytes-item", ["ok", b"x"], TypeError, r"item 1 is bytes"),
    ("dict", {"a text": 1}, TypeError, r"ordered sequence of texts, got a dict"),
    ("set", {"a text", "another"}, TypeError, r"ordered sequence of texts, got a set"),
    ("three-columns", np.array([["a", "b", "c"]], dtype=object), ValueError, r"shape \(1, 3\)"),
    ("3-d", np.full((2, 2, 2), "a", dtype=object), ValueError, r"shape \(2, 2, 2\)"),
    ("ragged-pairs", [["a", "b"], ["c"]], ValueError, r"same length, got \[1, 2\]"),
    ("lone-surrogate", ["ok", "bad \ud800 text"], ValueError, r"item 1 .*lone surrogate"),
    ("number-in-pairs", [["a", "b"], ["c", 4]], TypeError, r"item 3 is int"),
]


for _step in TEXT_STEPS:
    for _name, _X, _exc, _what in BAD_TEXTS:
        case(
            f"{_step}-{_name}",
            lambda env, s=_step, X=_X: _text_steps(env)[s].fit_transform(X),
            _exc,
            rf"^{_step}: .*{_what}",
        )

case(
    "FitOn-corpus-set",
    lambda env: _text_steps(env)["FitOn"].set_params(corpus={"a", "b"}).fit(["x"]),
    TypeError,
    r"^FitOn\(corpus=...\): .*got a set",
)
case(
    "recipe-avg-surrogate",
    lambda env: _recipe("avg", env).fit_transform(["fine", "\udfff"]),
    ValueError,
    r"item 1 .*lone surrogate",
)

# FitOn passes texts on, but checks them first: the error names the step the input reached.
for _name, _X, _exc, _what in BAD_TEXTS:
    case(
        f"FitOn-transform-{_name}",
        lambda env, X=_X: _text_steps(env)["FitOn"].fit(["x"]).transform(X),
        _exc,
        rf"^FitOn: .*{_what}",
    )


def _from_missing_folder(env, call):
    """``call(sklearn_sentemb, path)`` with the path of a model folder that does not exist."""
    import sklearn_sentemb

    return call(sklearn_sentemb, str(env.tmp_path / "gone"))


# A static step that loads a model or tokenizer names itself, not the featurizer.
for _step, _method, _call in [
    ("RandomTokenEmbeddings", "transform", lambda se, m: se.RandomTokenEmbeddings(m).transform([])),
    ("RandomTokenEmbeddings", "get_table", lambda se, m: se.RandomTokenEmbeddings(m).get_table()),
    ("InputTokenEmbeddings", "transform", lambda se, m: se.InputTokenEmbeddings(m).transform([])),
    ("InputTokenEmbeddings", "get_table", lambda se, m: se.InputTokenEmbeddings(m).get_table()),
    (
        "AveragedTokenEmbeddings",
        "fit",
        lambda se, m: se.AveragedTokenEmbeddings(se.TransformerFeaturizer(m)).fit(["a"]),
    ),
]:
    case(
        f"{_step}-{_method}-model-folder-gone",
        lambda env, c=_call: _from_missing_folder(env, c),
        ValueError,
        rf"^{_step}: the model folder '.*gone' does not exist",
    )


# BERT2Static: its corpus, teacher and training parameters.
for _name, _params, _X, _exc, _match in [
    ("corpus-set", {"corpus": {"a", "b"}}, None, TypeError, r"^BERT2Static\(corpus=...\): .*got a set"),
    ("corpus-number-item", {"corpus": ["a", 3]}, None, TypeError, r"^BERT2Static\(corpus=...\): .*item 1 is int"),
    ("empty-corpus", {}, [], ValueError, r"^BERT2Static: fit needs at least one text"),
    ("no-text-tokens", {}, ["", " "], ValueError, r"^BERT2Static: the corpus has no text tokens"),
    ("layer-out-of-range", {"layer": 9}, ["a"], ValueError, r"^BERT2Static: layer 9 is out of range .* 4 layers"),
    ("dim-above-hidden", {"dim": 33}, ["a b"], ValueError, r"^BERT2Static: dim=33 exceeds the teacher's hidden size 32"),
    ("device", {"device": "tpu"}, ["a"], ValueError, r"^BERT2Static: device='tpu' is not a torch device"),
    ("context", {"context": "word"}, ["a"], ValueError, r"'context' parameter of BERT2Static must be a str among"),
    ("learning-rate", {"learning_rate": 0}, ["a"], ValueError, r"'learning_rate' parameter of BERT2Static must be"),
    ("cache-false", {"cache": False}, ["a"], ValueError, r"'cache' parameter of BERT2Static must be"),
    ("corpus-file-gone", {"corpus": "/nonexistent/corpus.txt"}, None, FileNotFoundError, r"^BERT2Static\(corpus='/nonexistent/corpus.txt'\): .*neither 'wikitext103' nor an existing file"),
]:  # fmt: skip
    case(
        f"BERT2Static-{_name}",
        lambda env, p=_params, X=_X: _text_steps(env)["BERT2Static"].set_params(**p).fit(X),
        _exc,
        _match,
    )
case(
    "BERT2Static-fit-model-folder-gone",
    lambda env: _from_missing_folder(env, lambda se, m: se.BERT2Static(m).fit(["a"])),
    ValueError,
    r"^BERT2Static: the model folder '.*gone' does not exist",
)
case(
    "recipe-b2s-batch-size",
    lambda env: _make_recipe(env, "b2s", batch_size=8),
    ValueError,
    r"^make_recipe\('b2s'\): its featurizer is BERT2Static, which has no option 'batch_size'",
)


def _averaged_with_device(env, device):
    from sklearn_sentemb import AveragedTokenEmbeddings, TransformerFeaturizer

    return AveragedTokenEmbeddings(TransformerFeaturizer(env.tiny_bert, device=device))


case(
    "AveragedTokenEmbeddings-featurizer-device",
    lambda env: _averaged_with_device(env, "tpu").fit(["a"]),
    ValueError,
    r"^AveragedTokenEmbeddings: device='tpu' is not a torch device",
)
# Parameters set after fit are checked when transform reads them.
case(
    "WordVectors-token-pattern-after-fit",
    lambda env: _text_steps(env)["WordVectors"].fit().set_params(token_pattern="(").transform([]),
    ValueError,
    r"^WordVectors: token_pattern is not a valid regex",
)
case(
    "WordVectors-oov-after-fit",
    lambda env: _text_steps(env)["WordVectors"].fit().set_params(oov="drop").transform(["a"]),
    ValueError,
    r"'oov' parameter of WordVectors must be a str among",
)
case(
    "TextStep-set-output-unknown",
    lambda env: _text_steps(env)["TransformerFeaturizer"].set_output(transform="numpy"),
    ValueError,
    r"^TransformerFeaturizer: set_output\(transform=...\) must be one of",
)


def test_word_vectors_oov_zero_set_after_fit_gives_the_oov_id(env):
    words = _text_steps(env)["WordVectors"].fit()  # fitted with oov="skip"
    tokens = words.set_params(oov="zero").transform(["b zzz a"])
    assert tokens.token_ids.tolist() == [1, 3, 0]  # 3 = n_words, the out-of-vocabulary id
    assert tokens.vocabulary[tokens.token_ids].tolist() == ["b", "[OOV]", "a"]
    np.testing.assert_array_equal(tokens.values, [[0, 1, 0], [0, 0, 0], [1, 0, 0]])


def test_fit_on_reads_a_generator_once_and_passes_its_texts_on(env):
    step = _text_steps(env)["FitOn"].fit(["x"])
    pairs = np.array([["a", "b"], ["c", ""]], dtype=object)
    assert step.transform(t for t in ["a", "", "c"]) == ["a", "", "c"]
    assert step.transform(pairs) is pairs  # pairs pass through for the featurizer to flatten


def _recipe(name, env):
    from sklearn_sentemb.recipes import make_recipe

    return make_recipe(name, model=env.tiny_bert, cache=False)


@pytest.mark.parametrize("step", TEXT_STEPS)
def test_a_generator_is_read_once_by_fit_transform(env, step):
    texts = ["A man plays a guitar.", "", "Someone plays music."]
    from_list = _text_steps(env)[step].fit_transform(texts)
    from_generator = _text_steps(env)[step].fit_transform(t for t in texts)
    assert len(from_generator) == len(texts)
    np.testing.assert_array_equal(from_generator.values, from_list.values)


@pytest.mark.parametrize("name", ["avg", "bert+avg"])
def test_a_generator_is_read_once_by_a_recipe(env, name):
    texts = ["A man plays a guitar.", "The cat sat on the mat.", "Someone plays music."]
    expected = _recipe(name, env).fit_transform(texts)
    got = _recipe(name, env).fit_transform(iter(texts))
    assert got.shape == expected.shape == (3, expected.shape[1])
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # same steps on the same texts


@pytest.mark.parametrize("step", TEXT_STEPS)
def test_pandas_input_equals_lists(env, step):
    pd = pytest.importorskip("pandas")
    pairs = [["A man plays a guitar.", "Someone plays music."], ["The cat sat.", ""]]
    flat = [text for pair in pairs for text in pair]
    expected = _text_steps(env)[step].fit_transform(flat)
    frame = pd.DataFrame(pairs, columns=["a", "b"])
    inputs = {
        "series": pd.Series(flat, index=[10, 3, 7, 1]),  # the index is not the order
        "one column": pd.DataFrame({"text": flat}),
        "two columns": frame,
    }
    for what, X in inputs.items():
        got = _text_steps(env)[step].fit_transform(X)
        np.testing.assert_array_equal(got.offsets, expected.offsets, err_msg=what)
        np.testing.assert_array_equal(got.values, expected.values, err_msg=what)


def test_unusual_texts_tokenise_as_the_tokenizer_does(env):
    """Empty, whitespace-only, control characters, NUL, RTL, CJK and emoji texts are embedded as
    the tokenizer reads them (the text's own tokens between [CLS] and [SEP])."""
    from transformers import AutoTokenizer

    from sklearn_sentemb import TokenRole

    texts = [
        "",
        "   \t\n",
        "a\x00b\x07c",
        "שלום עולם",
        "日本語のテキスト",
        "fire 🔥 emoji",
        "x" * 50,
    ]
    tokenizer = AutoTokenizer.from_pretrained(env.tiny_bert)
    step = _text_steps(env)["RandomTokenEmbeddings"].set_params(max_length=None)
    tokens = step.fit_transform(texts)
    for i, text in enumerate(texts):
        row = slice(tokens.offsets[i], tokens.offsets[i + 1])
        assert tokens.token_ids[row].tolist() == tokenizer(text)["input_ids"], text
        roles = tokens.roles[row]
        assert roles[0] == roles[-1] == TokenRole.SPECIAL


def test_a_text_longer_than_the_model_is_cut_with_a_warning(env):
    long_text = "word " * 200_000  # a million characters
    featurizer = _text_steps(env)["TransformerFeaturizer"]
    with pytest.warns(UserWarning, match=r"TransformerFeaturizer: 1 text\(s\) exceed max_length"):
        tokens = featurizer.transform(["short", long_text])
    assert np.diff(tokens.offsets).tolist()[1] == 64  # the tiny BERT's 64 positions
    with pytest.raises(ValueError, match=r"item 1"):
        featurizer.set_params(truncation="error").transform(["short", long_text])


# -- the disk cache ---------------------------------------------------------------------------


def _disk_entries(folder):
    from sklearn_sentemb import DiskCache

    return len(DiskCache(folder))


def test_disk_cache_holds_texts_already_in_memory(env):
    from sklearn_sentemb import TransformerFeaturizer, clear_memory_cache

    clear_memory_cache()
    texts = ["first text in memory", "second text in memory"]
    in_memory = TransformerFeaturizer(env.tiny_bert).transform(texts)
    folder = env.tmp_path / "cache"
    on_disk = TransformerFeaturizer(env.tiny_bert, cache=folder).transform(texts)
    assert _disk_entries(folder) == len(texts)  # cache=folder: the folder holds them
    np.testing.assert_array_equal(on_disk.values, in_memory.values)


def _no_forward_pass(monkeypatch):
    from sklearn_sentemb import TransformerFeaturizer

    def refuse(*args, **kwargs):
        raise AssertionError("a forward pass ran: the cache was not read")

    monkeypatch.setattr(TransformerFeaturizer, "_forward", refuse)


def test_disk_cache_keeps_a_text_ending_in_nul(env, recwarn, monkeypatch):
    from sklearn_sentemb import TransformerFeaturizer, clear_memory_cache

    texts = ["ends in NUL\x00", "ends in two\x00\x00", "ends in NUL"]
    folder = env.tmp_path / "cache"
    first = TransformerFeaturizer(env.tiny_bert, cache=folder).transform(texts)
    assert _disk_entries(folder) == 3
    clear_memory_cache()
    _no_forward_pass(monkeypatch)
    again = TransformerFeaturizer(env.tiny_bert, cache=folder).transform(texts)
    assert not [w for w in recwarn if "damaged" in str(w.message)]
    np.testing.assert_array_equal(again.values, first.values)


def test_disk_cache_folder_removed_while_writing(env, monkeypatch):
    import shutil

    from sklearn_sentemb import DiskCache, TransformerFeaturizer, clear_memory_cache

    clear_memory_cache()
    folder = env.tmp_path / "cache"
    texts = [f"text number {i}" for i in range(4)]
    real_put = DiskCache.put
    calls = []

    def put_then_clean(self, *args):
        real_put(self, *args)
        calls.append(args)
        if len(calls) == 2:  # someone cleans the cache folder in the middle of the call
            shutil.rmtree(folder)

    monkeypatch.setattr(DiskCache, "put", put_then_clean)
    got = TransformerFeaturizer(env.tiny_bert, cache=folder).transform(texts)
    expected = TransformerFeaturizer(env.tiny_bert, cache=False).transform(texts)
    np.testing.assert_allclose(got.values, expected.values, atol=1e-6)  # batched alike
    assert _disk_entries(folder) == 2  # the entries written after the folder was removed


def test_disk_cache_unwritable_warns_and_computes(env, monkeypatch):
    import diskcache

    from sklearn_sentemb import TransformerFeaturizer, clear_memory_cache

    clear_memory_cache()

    def refuse(self, key, value, **kwargs):
        raise PermissionError(13, "Permission denied", self.directory)

    monkeypatch.setattr(diskcache.Cache, "set", refuse)
    texts = ["cannot be written"]
    with pytest.warns(RuntimeWarning, match=r"cannot use .*PermissionError"):
        got = TransformerFeaturizer(env.tiny_bert, cache=env.tmp_path / "ro").transform(texts)
    expected = TransformerFeaturizer(env.tiny_bert, cache=False).transform(texts)
    np.testing.assert_allclose(got.values, expected.values, atol=1e-6)


# -- featurizer, models and the disk cache ---------------------------------------------------


def _featurize(env, texts=("a text",), **params):
    from sklearn_sentemb import TransformerFeaturizer

    params.setdefault("model", env.tiny_bert)
    return TransformerFeaturizer(**params).transform(list(texts))


def _model_folder(env, *names):
    """A copy of the tiny BERT's folder with only the files ``names``."""
    import shutil

    folder = env.tmp_path / "model"
    folder.mkdir()
    for name in names:
        shutil.copy(f"{env.tiny_bert}/{name}", folder)
    return str(folder)


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def _pickled_pipeline_without_its_folder(env):
    import pickle
    import shutil

    from sklearn.pipeline import make_pipeline

    from sklearn_sentemb import TokenPooler, TransformerFeaturizer

    folder = shutil.copytree(env.tiny_bert, env.tmp_path / "moved-away")
    pipe = make_pipeline(TransformerFeaturizer(str(folder)), TokenPooler()).fit(["a text"])
    blob = pickle.dumps(pipe)
    shutil.rmtree(folder)
    return pickle.loads(blob).transform(["a text"])


def _error_after_a_warned_memo(env):
    long_text = "word " * 100
    with pytest.warns(UserWarning):
        _featurize(env, [long_text])
    return _featurize(env, [long_text], truncation="error")


for _name, _params, _exc, _match in [
    ("device-unknown", {"device": "tpu"}, ValueError, r"device='tpu' is not a torch device"),
    ("device-absent", {"device": "cuda:99"}, ValueError, r"device='cuda:99' (is not|does not)"),
    ("device-type", {"device": 3}, TypeError, r"device must be .*got int"),
    ("dtype-float64", {"dtype": "float64"}, ValueError, r"dtype must be .*got 'float64'"),
    ("dtype-type", {"dtype": 3}, TypeError, r"dtype must be .*got int"),
    ("model-kwargs-dtype", {"model_kwargs": {"dtype": 1}}, ValueError, r"model_kwargs .*'dtype'"),
    ("model-kwargs-unknown", {"model_kwargs": {"no_such": 1}}, ValueError, r".*model_kwargs="),
    ("revision-of-folder", {"revision": "v1"}, ValueError, r"revision='v1' .*is a local folder"),
    ("max-length-no-room", {"max_length": 1}, ValueError, r"max_length=1 leaves no room"),
    ("quantize-torch", {"quantize": "int8"}, ValueError, r"quantize='int8' needs backend='onnx'"),
    (
        "onnx-device",
        {"backend": "onnx", "device": "cuda"},
        ValueError,
        r"backend='onnx' runs on the CPU; device='cuda' needs backend='torch'",
    ),
    (
        "onnx-dtype",
        {"backend": "onnx", "dtype": "bfloat16"},
        ValueError,
        r"backend='onnx' runs float32 .*got dtype='bfloat16'",
    ),
]:
    case(
        f"featurizer-{_name}",
        lambda env, p=_params: _featurize(env, **p),
        _exc,
        rf"^TransformerFeaturizer: {_match}",
    )

for _name, _params, _match in [
    ("cache-number", {"cache": 123}, r"'cache' parameter of TransformerFeaturizer .*Got 123"),
    ("cache-true", {"cache": True}, r"'cache' parameter of TransformerFeaturizer .*Got True"),
    ("model-kwargs-list", {"model_kwargs": [1]}, r"'model_kwargs' parameter of Transformer"),
    ("model-number", {"model": 3}, r"'model' parameter of TransformerFeaturizer"),
    ("backend-unknown", {"backend": "tf"}, r"'backend' parameter of TransformerFeaturizer"),
    ("quantize-unknown", {"quantize": "int4"}, r"'quantize' parameter of TransformerFeaturizer"),
]:
    case(f"featurizer-{_name}", lambda env, p=_params: _featurize(env, **p), TypeError, _match)


def _onnx_without_onnxruntime(env):
    import sys
    from unittest import mock

    with mock.patch.dict(sys.modules, {"onnxruntime": None}):
        return _featurize(env, backend="onnx", cache=False)


case(
    "featurizer-onnx-without-onnxruntime",
    _onnx_without_onnxruntime,
    ImportError,
    r"^TransformerFeaturizer: backend='onnx' needs onnxruntime .*sklearn-sentemb\[onnx\]",
)
case(
    "featurizer-model-folder-gone",
    lambda env: _featurize(env, model=str(env.tmp_path / "gone")),
    ValueError,
    r"^TransformerFeaturizer: the model folder '.*gone' does not exist",
)
case(
    "featurizer-model-is-a-file",
    lambda env: _featurize(env, model=f"{env.tiny_bert}/config.json"),
    ValueError,
    r"^TransformerFeaturizer: model '.*config.json' is a file",
)
case(
    "featurizer-model-no-weights",
    lambda env: _featurize(env, model=_model_folder(env, "config.json", *_TOKENIZER_FILES)),
    ValueError,
    r"^TransformerFeaturizer: cannot load the model in .*model: .*model.safetensors",
)
case(
    "featurizer-model-no-config",
    lambda env: _featurize(env, model=_model_folder(env, "model.safetensors", *_TOKENIZER_FILES)),
    ValueError,
    r"^TransformerFeaturizer: cannot load the model in .*model: ",
)
case(
    "featurizer-model-no-tokenizer",
    lambda env: _featurize(env, model=_model_folder(env, "config.json", "model.safetensors")),
    ValueError,
    r"^TransformerFeaturizer: .*model holds no tokenizer files",
)
case(
    "featurizer-pickled-pipeline-folder-gone",
    _pickled_pipeline_without_its_folder,
    ValueError,
    r"^TransformerFeaturizer: the model folder '.*moved-away' does not exist",
)
case(
    "featurizer-truncation-error-after-memo",
    _error_after_a_warned_memo,
    ValueError,
    r"^TransformerFeaturizer: 1 text\(s\) exceed max_length=64",
)
case(
    "featurizer-truncation-duplicates-item",
    lambda env: _featurize(env, ["short", "short", "word " * 100], truncation="error"),
    ValueError,
    r"^TransformerFeaturizer: .*the first being item 2:",
)


def _make_recipe(env, name, **options):
    from sklearn_sentemb.recipes import make_recipe

    return make_recipe(name, model=env.tiny_bert, **options)


# A featurizer option a recipe cannot use is refused, naming the recipe and the option.
for _recipe_name, _options, _exc, _match in [
    ("random", {"cache": False}, ValueError, r"runs no model .*option 'cache'; it takes only"),
    ("random", {"batch_size": 4}, ValueError, r"runs no model .*option 'batch_size'"),
    ("first-last-avg", {"layers": [2]}, ValueError, r"sets the featurizer option 'layers' itself"),
    ("bert-whitening", {"layers": -2}, ValueError, r"sets the featurizer option 'layers' itself"),
    ("prompt-mask", {"template": "{text}"}, ValueError, r"sets the featurizer option 'template'"),
    ("prompt-avg", {"template": "{text}"}, ValueError, r"sets the featurizer option 'template'"),
    ("cls", {"no_such": 1}, TypeError, r"'no_such' is not a TransformerFeaturizer parameter"),
    ("random", {"no_such": 1}, TypeError, r"'no_such' is not a TransformerFeaturizer parameter"),
]:
    case(
        f"recipe-{_recipe_name}-{next(iter(_options))}",
        lambda env, r=_recipe_name, o=_options: _make_recipe(env, r, **o),
        _exc,
        rf"^make_recipe\('{re.escape(_recipe_name)}'\): .*{_match}",
    )


def test_random_recipe_gives_its_tokens_the_template_and_max_length(env):
    from sklearn_sentemb import RandomTokenEmbeddings, TokenRole

    texts = ["A man plays a guitar with his friends today.", "Someone plays music."]
    pipe = _make_recipe(env, "random", template="promptbert", max_length=12)
    alone = RandomTokenEmbeddings(env.tiny_bert, dim=768, template="promptbert", max_length=12)
    with pytest.warns(UserWarning, match=r"^RandomTokenEmbeddings: 2 text\(s\) exceed max_len"):
        tokens = pipe[:2].fit_transform(texts)
    with pytest.warns(UserWarning, match=r"exceed max_length=12"):
        expected = alone.fit_transform(texts)
    np.testing.assert_array_equal(tokens.token_ids, expected.token_ids)
    np.testing.assert_array_equal(tokens.values, expected.values)
    assert tokens.lengths.max() == 12 and (tokens.roles == TokenRole.TEMPLATE).any()


def test_featurizer_memo_hit_of_a_cut_text_still_warns(env):
    long_text = "word " * 100
    with pytest.warns(UserWarning, match=r"exceed max_length=64"):
        first = _featurize(env, [long_text])
    with pytest.warns(UserWarning, match=r"exceed max_length=64"):
        again = _featurize(env, [long_text])  # served by the memo of recent outputs
    np.testing.assert_array_equal(again.values, first.values)


def test_featurizer_device_and_dtype_spellings_agree(env):
    import torch

    from sklearn_sentemb._models import cpu_has_fast_bf16

    texts = ["a text", "another one"]
    expected = _featurize(env, texts, cache=False).values
    for params in [
        {"device": "cpu", "dtype": "float32"},
        {"device": torch.device("cpu"), "dtype": torch.float32},
    ]:
        got = _featurize(env, texts, cache=False, **params).values
        np.testing.assert_array_equal(got, expected, err_msg=str(params))
    # "auto": bfloat16 where this CPU runs it faster than float32, float32 elsewhere.
    chosen = "bfloat16" if cpu_has_fast_bf16() else "float32"
    auto = _featurize(env, texts, cache=False, device=None, dtype="auto").values
    np.testing.assert_array_equal(auto, _featurize(env, texts, cache=False, dtype=chosen).values)


# -- pooling, refiners, scorers and FitOn ----------------------------------------------------

_NUM_VOCAB = np.array(["[PAD]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s", "."], dtype=object)


def _num_tokens(values=None, ids=(1, 4, 7, 2, 1, 5, 6, 2), vocabulary=_NUM_VOCAB):
    """Two texts, ``[CLS] the . [SEP]`` and ``[CLS] cat ##s [SEP]``, with 3-wide vectors."""
    from sklearn_sentemb import TokenEmbeddings

    if values is None:
        values = np.arange(24, dtype=np.float32).reshape(8, 3)
    roles = [1, 0, 0, 1, 1, 0, 0, 1]
    return TokenEmbeddings(values, [0, 4, 8], list(ids), roles, vocabulary)


def _num_with(value, row=5, column=1):
    """``_num_tokens`` with one value set: row 5 is token 1 of text 1."""
    values = np.arange(24, dtype=np.float32).reshape(8, 3)
    values[row, column] = value
    return _num_tokens(values)


def _num_pooler(*args, **kwargs):
    from sklearn_sentemb import TokenPooler

    return TokenPooler(*args, **kwargs)


NOT_FINITE = r"^TokenPooler: the token vectors of text {} contain NaN or infinity \(token {} of"
for _method in ("mean", "max", "cls", "first", "last"):
    case(
        f"pool-{_method}-nan-in-fit",
        lambda env, m=_method: _num_pooler(m).fit(_num_with(np.nan)),
        ValueError,
        NOT_FINITE.format(1, 1),
    )
    case(
        f"pool-{_method}-inf-in-transform",
        lambda env, m=_method: _num_pooler(m).fit(_num_tokens()).transform(_num_with(np.inf)),
        ValueError,
        NOT_FINITE.format(1, 1),
    )
case(  # max pooling used to drop a -inf silently
    "pool-max-minus-inf",
    lambda env: _num_pooler("max").fit_transform(_num_with(-np.inf)),
    ValueError,
    NOT_FINITE.format(1, 1),
)
case(  # in an excluded [SEP] that mean pooling weighs by zero (0 * nan is nan)
    "pool-nan-in-an-excluded-token",
    lambda env: _num_pooler("mean").fit_transform(_num_with(np.nan, row=3)),
    ValueError,
    NOT_FINITE.format(0, 3),
)


def _from_table(*args):
    from sklearn_sentemb import TokenEmbeddings

    return TokenEmbeddings.from_table(*args)


def _num_table(value=None, row=5, writeable=True):
    """``_num_tokens`` gathered lazily from an 8-row table (id ``row`` set to ``value``)."""
    table = np.arange(24, dtype=np.float32).reshape(8, 3)
    if value is not None:
        table[row, 1] = value
    table.setflags(write=writeable)
    plain = _num_tokens()
    return _from_table(table, plain.offsets, plain.token_ids, plain.roles, _NUM_VOCAB)


for _method in ("mean", "max", "cls", "first", "last"):
    for _writeable in (True, False):
        case(  # id 5 is token 1 of text 1
            f"pool-{_method}-nan-in-a-table-row-{'writable' if _writeable else 'read-only'}",
            lambda env, m=_method, w=_writeable: _num_pooler(m).fit_transform(
                _num_table(np.nan, writeable=w)
            ),
            ValueError,
            NOT_FINITE.format(1, 1),
        )
case(
    "pool-table-of-bools",
    lambda env: _num_pooler().fit_transform(
        _from_table(np.ones((8, 3), dtype=bool), [0, 1], [4], [0])
    ),
    TypeError,
    r"^TokenPooler: token vectors must be real numbers .*got dtype bool",
)
case(
    "tokens-from-table-id-outside-the-table",
    lambda env: _from_table(np.zeros((8, 3), np.float32), [0, 2], [4, 8], [0, 0]),
    ValueError,
    r"^TokenEmbeddings: token id 8 \(token row 1\) does not index the table of 8 rows",
)
case(
    "tokens-from-table-negative-id",
    lambda env: _from_table(np.zeros((8, 3), np.float32), [0, 1], [-1], [0]),
    ValueError,
    r"^TokenEmbeddings: token id -1 \(token row 0\) does not index",
)
case(
    "tokens-from-table-not-2d",
    lambda env: _from_table(np.zeros(8, np.float32), [0, 1], [1], [0]),
    ValueError,
    r"^TokenEmbeddings: a table must be 2-D \(vocabulary, dim\), got shape \(8,\)",
)

for _dtype, _shown in [(bool, "bool"), (complex, "complex128"), (object, "object"), (str, "<U")]:
    case(
        f"pool-values-{_shown}",
        lambda env, d=_dtype: _num_pooler().fit_transform(
            _num_tokens(np.arange(24).reshape(8, 3).astype(d))
        ),
        TypeError,
        rf"^TokenPooler: token vectors must be real numbers .*got dtype {_shown}",
    )
case(
    "pool-not-token-embeddings",
    lambda env: _num_pooler().fit(np.zeros((2, 3))),
    TypeError,
    r"^TokenPooler: expects TokenEmbeddings .*got ndarray",
)
case(
    "pool-width-changed",
    lambda env: (
        _num_pooler().fit(_num_tokens()).transform(_num_tokens(np.zeros((8, 2), np.float32)))
    ),
    ValueError,
    r"^TokenPooler: token vectors have width 2, but 3 in fit",
)
case(
    "pool-unknown-method",
    lambda env: _num_pooler("median").fit(_num_tokens()),
    ValueError,
    r"'method' parameter of TokenPooler must be a str among .* Got 'median'",
)
case(
    "pool-misspelt-exclude-option",
    lambda env: _num_pooler(exclude=("specials",)).fit_transform(_num_tokens()),
    ValueError,
    r"^TokenPooler: cannot exclude 'specials': it is neither one of \[.*'special'",
)
case(
    "pool-exclude-float",
    lambda env: _num_pooler(exclude=(3.5,)).fit_transform(_num_tokens()),
    ValueError,
    r"^TokenPooler: cannot exclude 3.5",
)
case(
    "pool-token-id-beyond-the-vocabulary",
    lambda env: _num_pooler(exclude=("punctuation",)).fit_transform(
        _num_tokens(ids=(1, 4, 7, 2, 1, 50, 6, 2))
    ),
    ValueError,
    r"^TokenPooler: excluding punctuation .*vocabulary of 8 tokens, but text 1 has token id 50",
)
case(  # numpy would read the vocabulary from its end
    "pool-negative-token-id",
    lambda env: _num_pooler(exclude=("subword",)).fit_transform(
        _num_tokens(ids=(1, -2, 7, 2, 1, 5, 6, 2))
    ),
    ValueError,
    r"^TokenPooler: excluding subword .*but text 0 has token id -2",
)
case(
    "pool-punctuation-without-vocabulary",
    lambda env: _num_pooler(exclude=("punctuation",)).fit_transform(_num_tokens(vocabulary=None)),
    ValueError,
    r"^TokenPooler: excluding punctuation needs the token vocabulary",
)
case(
    "pool-mask-without-mask-token",
    lambda env: _num_pooler("mask").fit_transform(_num_tokens()),
    ValueError,
    r"^TokenPooler\(method='mask'\): text 0 has no mask token",
)
case(
    "pool-weighting-with-max",
    lambda env: _num_pooler("max", weighting="idf").fit(_num_tokens()),
    ValueError,
    r"^TokenPooler: weighting='idf' weights the tokens of method='mean' only",
)
case(
    "pool-weighting-not-fitted",
    lambda env: _num_pooler(weighting="sif").transform(_num_tokens()),
    ValueError,  # NotFittedError
    r"^TokenPooler\(weighting='sif'\) learns from the texts given to fit",
)
case(
    "pool-weighting-negative-id",
    lambda env: _num_pooler(weighting="idf").fit(_num_tokens(ids=(1, -2, 7, 2, 1, 5, 6, 2))),
    ValueError,
    r"^TokenPooler: token ids must be non-negative to learn weights, got -2",
)
case(  # idf weights above 1 times float32 values near its limit
    "pool-weighted-mean-overflows",
    lambda env: _num_pooler(weighting="idf").fit_transform(
        _num_tokens(np.full((8, 3), 3e38, np.float32))
    ),
    ValueError,
    r"^TokenPooler: the pooled vector of text 0 overflows float32",
)
case(
    "pool-float64-vectors-beyond-float32",
    lambda env: _num_pooler("max").fit_transform(_num_tokens(np.full((8, 3), 1e300))),
    ValueError,
    r"^TokenPooler: the pooled vector of text 0 overflows float32",
)

case(
    "pool-pooler-without-a-head",
    lambda env: _num_pooler("pooler").fit_transform(_num_tokens()),
    ValueError,
    r"^TokenPooler\(method='pooler'\): these token vectors carry no pooler head",
)
case(
    "pool-pooler-head-of-another-width",
    lambda env: _num_pooler("pooler").fit_transform(_num_with_head(np.eye(2, dtype=np.float32))),
    ValueError,
    r"^TokenPooler\(method='pooler'\): the pooler head takes vectors of width 2, but the "
    r"token vectors have width 3",
)
case(
    "pool-token-norm-with-max",
    lambda env: _num_pooler("max", token_norm="dimension").fit(_num_tokens()),
    ValueError,
    r"^TokenPooler: token_norm='dimension' normalises the tokens of method='mean' only",
)
case(
    "pool-unknown-token-norm",
    lambda env: _num_pooler(token_norm="rows").fit(_num_tokens()),
    ValueError,  # InvalidParameterError
    r"'token_norm' parameter of TokenPooler must be a str among \{'dimension'\} or None",
)
case(
    "pool-usif-n-zero",
    lambda env: _num_pooler(weighting="usif", usif_n=0).fit(_num_tokens()),
    ValueError,  # InvalidParameterError
    r"'usif_n' parameter of TokenPooler must be a float in the range \(0.0, inf\) or None",
)
case(
    "pool-preset-without-vocabulary",
    lambda env: _num_pooler(exclude=("promptbert-frequent",)).fit_transform(
        _num_tokens(vocabulary=None)
    ),
    ValueError,
    r"^TokenPooler: excluding promptbert-frequent needs the token vocabulary",
)


def _num_with_head(weight):
    """``_num_tokens`` carrying a pooler head ``(weight, zeros)``."""
    from sklearn_sentemb import TokenEmbeddings

    t = _num_tokens()
    head = (weight, np.zeros(len(weight), np.float32))
    return TokenEmbeddings(t.values, t.offsets, t.token_ids, t.roles, t.vocabulary, head)


def _num_X(n=10, d=4, seed=0, dtype=np.float64):
    return np.random.RandomState(seed).normal(size=(n, d)).astype(dtype)


def _num_with_x(value, row, column, **kwargs):
    X = _num_X(**kwargs)
    X[row, column] = value
    return X


def _num_sparse():
    import scipy.sparse

    return scipy.sparse.eye(10, 4, format="csr")


def _num_refiner(name, **params):
    import sklearn_sentemb

    return getattr(sklearn_sentemb, name)(**params)


REFINER_NAMES = ("Whitening", "AllButTheTop", "CommonComponentRemoval")
for _name in REFINER_NAMES:
    _rows = [
        (
            "nan-in-fit",
            lambda r: r.fit(_num_with_x(np.nan, 2, 1)),
            ValueError,
            r"X contains NaN or infinity \(first at row 2, column 1: nan\)",
        ),
        (
            "inf-in-transform",
            lambda r: r.fit(_num_X()).transform(_num_with_x(-np.inf, 3, 0)),
            ValueError,
            r"X contains NaN or infinity \(first at row 3, column 0: -inf\)",
        ),
        ("3-d", lambda r: r.fit(np.zeros((10, 2, 2))), ValueError, r"Found array with dim 3"),
        (
            "no-features",
            lambda r: r.fit(np.zeros((10, 0))),
            ValueError,
            r"Found array with 0 feature\(s\)",
        ),
        (
            "no-samples",
            lambda r: r.fit(np.zeros((0, 4))),
            ValueError,
            r"Found array with 0 sample\(s\)",
        ),
        (
            "sparse",
            lambda r: r.fit(_num_sparse()),
            TypeError,
            r"Sparse data was passed",
        ),
        ("complex", lambda r: r.fit(_num_X() + 1j), ValueError, r"Complex data not supported"),
        (
            "strings",
            lambda r: r.fit(np.full((10, 4), "a", dtype=object)),
            ValueError,
            r"could not convert string to float: 'a'",
        ),
        (
            "width-changed",
            lambda r: r.fit(_num_X()).transform(_num_X(d=3)),
            ValueError,
            r"X has 3 features, but \w+ is expecting 4 features",
        ),
        (
            "too-many-components",
            lambda r: r.set_params(n_components=5).fit(_num_X()),
            ValueError,
            r"n_components=5 must be at most min\(n_samples, n_features\)=4",
        ),
        (
            "output-overflows-float32",
            lambda r: r.fit(_num_X(dtype=np.float32)).transform(np.full((2, 4), 3e38, np.float32)),
            ValueError,
            r"the output overflows float32 \(first at row 0\)",
        ),
    ]
    if _name != "CommonComponentRemoval":  # CCR's singular values fit: see the test below
        _rows += [
            (
                "one-sample",
                lambda r: r.fit(_num_X(n=1)),
                ValueError,
                r"Found array with 1 sample\(s\) .*minimum of 2 is required",
            ),
            (
                "variances-overflow-float64",
                lambda r: r.fit(_num_X() * 1e200),
                ValueError,
                r"the variances of X overflow float64 \(the largest magnitude in X is .*e\+200\)",
            ),
            (
                "variances-overflow-float32",
                lambda r: r.fit(_num_X(dtype=np.float32) * 1e20),
                ValueError,
                r"the variances of X overflow float32 .*rescale X",
            ),
        ]
    for _what, _call, _exc, _match in _rows:
        case(
            f"{_name}-{_what}",
            lambda env, n=_name, c=_call: c(_num_refiner(n)),
            _exc,
            rf"^{_name}: {_match}",
        )
    case(
        f"{_name}-zero-components",
        lambda env, n=_name: _num_refiner(n, n_components=0).fit(_num_X()),
        ValueError,  # InvalidParameterError
        rf"'n_components' parameter of {_name} must be an int in the range \[1, inf\)",
    )
for _name, _param in [("AllButTheTop", "center"), ("CommonComponentRemoval", "weighted")]:
    case(
        f"{_name}-{_param}-not-bool",
        lambda env, n=_name, p=_param: _num_refiner(n, **{p: "yes"}).fit(_num_X()),
        ValueError,  # InvalidParameterError
        rf"'{_param}' parameter of {_name} must be an instance of 'bool'",
    )
case(
    "Whitening-unknown-method",
    lambda env: _num_refiner("Whitening", method="cholesky").fit(_num_X()),
    ValueError,
    r"'method' parameter of Whitening must be a str among .* Got 'cholesky'",
)


def _num_pair_embedder():
    """Embeds each text by its length and word count, pairs row-major like a text pipeline."""
    from sklearn.preprocessing import FunctionTransformer

    def embed(X):
        texts = np.asarray(X, dtype=object).reshape(-1)
        return np.array([[len(t), len(t.split()) + 1.0] for t in texts])

    return FunctionTransformer(embed).fit(None)


_NUM_PAIRS = np.array(
    [["a b", "a b c"], ["one", "two words"], ["x y z", "x"], ["p", "q r s t"]], dtype=object
)


def _num_score(y, X=_NUM_PAIRS, **params):
    from sklearn_sentemb.metrics import make_sts_scorer

    return make_sts_scorer(**params)(_num_pair_embedder(), X, y)


def _num_sts(gold=(1.0, 2.0, 3.0), a=None, b=None, **params):
    from sklearn_sentemb.metrics import sts_score

    a = _num_X(n=3, d=2) if a is None else a
    b = _num_X(n=3, d=2, seed=1) if b is None else b
    return sts_score(a, b, gold, **params)


def _num_metric(name, *args, **kwargs):
    from sklearn_sentemb import metrics

    return getattr(metrics, name)(*args, **kwargs)


IN_FOLD = r"position {} of the {} pairs given to the scorer \(.*test fold.*check_gold\(y\).*\)"
for _name, _call, _exc, _match in [
    (
        "sts-nan-gold",
        lambda: _num_sts([1.0, np.nan, 3.0]),
        ValueError,
        r"^sts_score: gold contains NaN \(first at index 1: nan\)",
    ),
    (
        "sts-inf-gold",
        lambda: _num_sts([1.0, 2.0, -np.inf]),
        ValueError,
        r"^sts_score: gold contains infinity \(first at index 2: -inf\)",
    ),
    (
        "sts-text-gold",
        lambda: _num_sts([1.0, "high", 3.0]),
        TypeError,
        r"^sts_score: gold must contain numbers; the item at index 1 is 'high'",
    ),
    (
        "sts-gold-length",
        lambda: _num_sts([1.0, 2.0]),
        ValueError,
        r"^sts_score: gold has 2 scores but there are 3 pairs",
    ),
    (
        "sts-constant-gold",
        lambda: _num_sts([2.0, 2.0, 2.0]),
        ValueError,
        r"^sts_score: gold is constant \(every score is 2.0\)",
    ),
    (
        "sts-one-pair",
        lambda: _num_sts([1.0], a=np.ones((1, 2)), b=np.ones((1, 2))),
        ValueError,
        r"^sts_score: needs at least 2 pairs; got 1",
    ),
    (
        "sts-nan-embedding",
        lambda: _num_sts(b=_num_with_x(np.nan, 1, 0, n=3, d=2)),
        ValueError,
        r"^sts_score: emb_b contains NaN or infinity \(first at row 1\)",
    ),
    (
        "sts-complex-embedding",
        lambda: _num_sts(a=_num_X(n=3, d=2) * 1j),
        TypeError,
        r"^sts_score: emb_a must be real",
    ),
    (
        "sts-shapes",
        lambda: _num_sts(b=_num_X(n=3, d=3)),
        ValueError,
        r"^sts_score: emb_a and emb_b must have the same shape; got \(3, 2\) and \(3, 3\)",
    ),
    (
        "sts-unknown-similarity",
        lambda: _num_sts(similarity="jaccard"),
        ValueError,
        r"^sts_score: similarity must be one of 'cosine'",
    ),
    (
        "sts-dot-overflows",
        lambda: _num_sts(a=_num_X(n=3, d=2) * 1e200, b=_num_X(n=3, d=2) * 1e200, similarity="dot"),
        ValueError,
        r"^sts_score: the dot similarity of pair 0 overflows float64",
    ),
    (
        "scorer-nan-y",
        lambda: _num_score([1.0, np.nan, 2.0, 3.0]),
        ValueError,
        r"^make_sts_scorer: y contains NaN \(first at " + IN_FOLD.format(1, 4) + r": nan\)",
    ),
    (
        "scorer-text-y",
        lambda: _num_score(np.array([1.0, 2.0, 3.0, "x"], dtype=object)),
        TypeError,
        r"^make_sts_scorer: y must contain numbers; the item at "
        + IN_FOLD.format(3, 4)
        + " is 'x'",
    ),
    (
        "scorer-y-length",
        lambda: _num_score([1.0, 2.0, 3.0]),
        ValueError,
        r"^make_sts_scorer: X has 4 pairs but y has 3 gold scores",
    ),
    (
        "scorer-scalar-y",
        lambda: _num_score(2.0),
        ValueError,
        r"^make_sts_scorer: y must be 1-D with one score per pair; got shape \(\)",
    ),
    (
        "scorer-constant-y",
        lambda: _num_score([4.0] * 4),
        ValueError,
        r"^make_sts_scorer: y is constant \(all 4 scores given to the scorer are 4.0; .*fold",
    ),
    (
        "scorer-x-not-pairs",
        lambda: _num_score([1.0, 2.0], X=np.array(["a", "b"])),
        ValueError,
        r"^make_sts_scorer: the STS scorer expects X of shape \(n_pairs, 2\).*got shape \(2,\)",
    ),
    (
        "scorer-one-pair",
        lambda: _num_score([1.0], X=_NUM_PAIRS[:1]),
        ValueError,
        r"^make_sts_scorer: needs at least 2 pairs; got 1",
    ),
    (
        "scorer-unknown-correlation",
        lambda: _num_score([1, 2, 3, 4], correlation="kendall"),
        ValueError,
        r"^make_sts_scorer: correlation must be one of 'spearman', 'pearson'",
    ),
    (
        "check-gold-nan",
        lambda: _num_metric("check_gold", [0.0, 1.0, np.nan]),
        ValueError,
        r"^check_gold: gold contains NaN \(first at index 2: nan\)",
    ),
    (
        "check-gold-length",
        lambda: _num_metric("check_gold", [0.0, 1.0], n_pairs=3),
        ValueError,
        r"^check_gold: gold has 2 scores but there are 3 pairs",
    ),
    (
        "pair-similarity-shapes",
        lambda: _num_metric("pair_similarity", np.ones((2, 2)), np.ones((3, 2))),
        ValueError,
        r"^pair_similarity: emb_a and emb_b must have the same shape",
    ),
    (
        "average-cosine-one-row",
        lambda: _num_metric("average_cosine_similarity", np.ones((1, 2))),
        ValueError,
        r"^average_cosine_similarity: X needs at least 2 rows",
    ),
    (
        "top-component-constant",
        lambda: _num_metric("top_component_variance_ratio", np.ones((4, 2))),
        ValueError,
        r"^top_component_variance_ratio: X has zero variance",
    ),
    (
        "isotropy-inf",
        lambda: _num_metric("isotropy_ratio", _num_with_x(np.inf, 4, 1)),
        ValueError,
        r"^isotropy_ratio: X contains NaN or infinity \(first at row 4\)",
    ),
    (
        "isoscore-one-column",
        lambda: _num_metric("isoscore", _num_X(d=1)),
        ValueError,
        r"^isoscore: X needs at least 2 columns; got shape \(10, 1\)",
    ),
    (
        "isoscore-constant",
        lambda: _num_metric("isoscore", np.ones((4, 3))),
        ValueError,
        r"^isoscore: X has zero variance",
    ),
    (
        "isoscore-nan",
        lambda: _num_metric("isoscore", _num_with_x(np.nan, 3, 1)),
        ValueError,
        r"^isoscore: X contains NaN or infinity \(first at row 3\)",
    ),
    (
        "alignment-shapes",
        lambda: _num_metric("alignment", _num_X(n=3), _num_X(n=4)),
        ValueError,
        r"^alignment: emb_a and emb_b must have the same shape; got \(3, 4\) and \(4, 4\)",
    ),
    (
        "alignment-alpha-zero",
        lambda: _num_metric("alignment", _num_X(), _num_X(), alpha=0),
        ValueError,
        r"^alignment: alpha must be a positive number; got 0",
    ),
    (
        "uniformity-one-row",
        lambda: _num_metric("uniformity", _num_X(n=1)),
        ValueError,
        r"^uniformity: X needs at least 2 rows",
    ),
    (
        "uniformity-negative-t",
        lambda: _num_metric("uniformity", _num_X(), t=-1),
        ValueError,
        r"^uniformity: t must be a positive number; got -1",
    ),
    (
        "self-similarity-label-length",
        lambda: _num_metric("self_similarity", _num_X(), [1, 2]),
        ValueError,
        r"^self_similarity: X has 10 rows but labels has shape \(2,\)",
    ),
    (
        "self-similarity-no-repeat",
        lambda: _num_metric("self_similarity", _num_X(n=3), [1, 2, 3]),
        ValueError,
        r"^self_similarity: no label occurs twice",
    ),
    (
        "clustering-label-length",
        lambda: _num_metric("evaluate_clustering", _num_X(), [0, 1] * 4),
        ValueError,
        r"^evaluate_clustering: X has 10 rows but labels has 8 entries",
    ),
    (
        "clustering-accuracy-lengths",
        lambda: _num_metric("clustering_accuracy", [0, 1], [0]),
        ValueError,
        r"^clustering_accuracy: labels_true and labels_pred must have the same length",
    ),
]:
    case(_name, lambda env, c=_call: c(), _exc, _match)


def _num_fit_on(**params):
    from sklearn_sentemb import FitOn

    return FitOn(["first", "second", "third"], **params)


for _value, _shown in [(-1, "-1"), (0, "0"), (2.5, "2.5"), ("2", "'2'")]:
    case(  # -1 used to drop the last corpus text silently
        f"fit-on-max-texts-{_shown}",
        lambda env, v=_value: _num_fit_on(max_texts=v).fit_transform(["task text"]),
        ValueError,  # InvalidParameterError
        rf"'max_texts' parameter of FitOn must be an int in the range \[1, inf\) or None. "
        rf"Got {re.escape(_shown)} instead",
    )
case(
    "fit-on-max-texts-without-corpus",
    lambda env: _num_fit_on(max_texts=-1).set_params(corpus=None).fit(["task text"]),
    ValueError,
    r"'max_texts' parameter of FitOn",
)
case(
    "fit-on-empty-corpus",
    lambda env: _num_fit_on().set_params(corpus=[]).fit_transform(["task text"]),
    ValueError,
    r"^FitOn: the corpus has no texts",
)


def test_fit_on_max_texts_keeps_the_first_texts():
    corpus = ["first", "second", "third"]
    for max_texts, expected in [(1, 1), (np.int64(2), 2), (3, 3), (10, 3), (None, 3)]:
        step = _num_fit_on(max_texts=max_texts)
        assert step.fit_transform(["task text"]) == corpus[:expected], max_texts
        assert step.n_fit_texts_ == expected
        assert step.transform(["task text"]) == ["task text"]


@pytest.mark.parametrize("method", ["mean", "max", "cls", "first", "last", "mask"])
def test_pooling_an_empty_batch_or_zero_width_vectors(method):
    empty = _num_tokens()[[]]
    out = _num_pooler(method).fit_transform(empty)
    assert out.shape == (0, 3) and out.dtype == np.float32
    if method != "mask":  # these texts have no mask token
        narrow = _num_tokens(np.zeros((8, 0), np.float32))
        assert _num_pooler(method).fit_transform(narrow).shape == (2, 0)


@pytest.mark.parametrize("name", REFINER_NAMES)
@pytest.mark.parametrize("dtype", [np.float16, np.int64])
def test_refiners_compute_float16_and_int_input_in_float64(name, dtype):
    X = (_num_X(n=20) * 8).astype(dtype)
    Z = _num_refiner(name).fit_transform(X)
    assert Z.dtype == np.float64  # scikit-learn's conversion of other dtypes
    expected = _num_refiner(name).fit_transform(X.astype(np.float64))
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)  # same data, same steps


def test_refiners_leave_constant_columns_at_zero():
    X = _num_X(n=30)
    X[:, 1] = 7.0  # a constant column: no variance to whiten or remove
    for refiner in (_num_refiner("Whitening", method="zca"), _num_refiner("AllButTheTop")):
        Z = refiner.fit_transform(X)
        assert np.isfinite(Z).all()
        np.testing.assert_allclose(Z[:, 1], 0.0, atol=1e-9)
    Z = _num_refiner("Whitening", epsilon=1e-12).fit_transform(X)
    # Three directions with variance, whitened; the fourth (the constant column) is zero.
    np.testing.assert_allclose(Z.T @ Z / len(Z), np.diag([1.0, 1.0, 1.0, 0.0]), atol=1e-6)


def test_common_component_removal_of_one_sample_and_of_huge_values():
    x = _num_X(n=1)
    ccr = _num_refiner("CommonComponentRemoval").fit(x)
    # The only singular direction of one row is the row itself.
    u = x[0] / np.linalg.norm(x[0])
    other = _num_X(n=3, seed=1)
    np.testing.assert_allclose(ccr.transform(other), other - np.outer(other @ u, u), atol=1e-12)
    np.testing.assert_allclose(ccr.transform(x), 0.0, atol=1e-12)
    # 1e200: its singular values still fit float64, so it is computed, not rejected.
    X = _num_X(n=20)
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    Z = _num_refiner("CommonComponentRemoval").fit_transform(X * 1e200)
    np.testing.assert_allclose(Z / 1e200, X - np.outer(X @ vt[0], vt[0]), atol=1e-9)


def test_a_fold_with_a_nan_gold_score_scores_nan_under_grid_search_defaults():
    from sklearn.model_selection import KFold, cross_val_score

    from sklearn_sentemb.metrics import make_sts_scorer

    X = np.tile(_NUM_PAIRS, (3, 1))
    y = np.array([1.0, 4.0, 2.0, 3.0] * 3)
    y[5] = np.nan  # in the second of three folds
    with pytest.warns(
        UserWarning, match=r"(?s)Scoring failed.*y contains NaN \(first at position 1"
    ):
        scores = cross_val_score(_num_pair_embedder(), X, y, cv=KFold(3), scoring=make_sts_scorer())
    assert np.isnan(scores[1]) and np.isfinite(scores[[0, 2]]).all()


# -- the search heatmap --------------------------------------------------------------------


def _heatmap(env, table=None, **params):
    from sklearn_sentemb.search import plot_heatmap

    rows = [dict(rank=1, tokens__layers="-1", refine="none", dev_spearman=0.8, dev_std=0.0)]
    plot_heatmap(rows if table is None else table, env.tmp_path / "h.png", **params)


case("heatmap-empty-table", lambda env: _heatmap(env, []), ValueError, r"^plot_heatmap: table")
for _name, _value, _low in [("n_pairs", 0, 1), ("n_pairs", 2.5, 1), ("cv", 1, 2), ("cv", True, 2)]:
    case(
        f"heatmap-{_name}-{_value!r}",
        lambda env, _n=_name, _v=_value: _heatmap(env, **{_n: _v}),
        ValueError,
        rf"^plot_heatmap: {_name} must be an integer >= {_low} or None, got {_value!r}",
    )


# -- loaders and the command line -------------------------------------------------------------


def _release(env, files):
    """Write release files (``{"stsb/sts-dev.csv": b"..."}``) under ``env.tmp_path``."""
    for relative, data in files.items():
        path = env.tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return env.tmp_path


def _datasets():
    from sklearn_sentemb import datasets

    return datasets


def _stsb(env, data):
    home = _release(env, {"stsb/sts-dev.csv": data})
    return _datasets().load_sts("stsb", split="dev", data_home=home)


def _sts12(env, inputs, gold):
    home = _release(env, {"sts12/STS.input.MSRpar.txt": inputs, "sts12/STS.gs.MSRpar.txt": gold})
    return _datasets().load_sts("sts12", subset="MSRpar", data_home=home)


def _sick(env, data, name="sickr"):
    home = _release(env, {"sick/SICK_trial.txt": data})
    load = _datasets().load_sts if name == "sickr" else _datasets().load_classification
    return load(name, split="trial", data_home=home)


def _classification(env, name, files, **kwargs):
    home = _release(env, {f"{name}/{file}": data for file, data in files.items()})
    return _datasets().load_classification(name, data_home=home, **kwargs)


def _tweet(env, data):
    return _datasets().load_clustering("tweet", data_home=_release(env, {"tweet/tweet.tsv": data}))


def _wiki(env, data):
    home = _release(env, {"wikitext103/wiki.valid.tokens": data})
    return _datasets().load_corpus(split="valid", data_home=home)


STSB_LINE = b"main-captions\tMSRvid\t2012test\t0001\t5.000\tA plane takes off.\tA jet takes off.\n"
SICK_HEADER = b"pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
MRPC_HEADER = b"\xef\xbb\xbfQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
CUT = "the last line has no line break"
MR_POS = {"rt-polarity.pos": b"good .\n"}

# (name, call, what the ValueError must say: the file, the line and the fault)
BAD_RELEASE_FILES = [
    (
        "stsb-empty",
        lambda env: _stsb(env, b""),
        r"sts-dev\.csv: no sentence pairs \(the file is empty\)",
    ),
    (
        "stsb-blank-lines-only",
        lambda env: _stsb(env, b"\n\r\n"),
        r"sts-dev\.csv: no sentence pairs \(none in its 2 line",
    ),
    (
        "stsb-cut-mid-line",
        lambda env: _stsb(env, STSB_LINE + STSB_LINE[:-12]),
        rf"sts-dev\.csv, line 2: {CUT}",
    ),
    (
        "stsb-six-fields",
        lambda env: _stsb(env, STSB_LINE + b"genre\tf\t2012\t2\t1.0\tOne.\n"),
        r"sts-dev\.csv, line 2: expected .*\(7 tab-separated fields\), found 6",
    ),
    (
        "stsb-score-not-a-number",
        lambda env: _stsb(env, STSB_LINE.replace(b"5.000", b"high")),
        r"sts-dev\.csv, line 1: gold score 'high' is not a number",
    ),
    (
        "stsb-score-off-the-scale",
        lambda env: _stsb(env, STSB_LINE.replace(b"5.000", b"50.0")),
        r"sts-dev\.csv, line 1: gold score '50\.0' is outside the scale \[0, 5\]",
    ),
    (
        "stsb-empty-sentence",
        lambda env: _stsb(env, STSB_LINE.replace(b"A jet takes off.", b" ")),
        r"sts-dev\.csv, line 1: s2 is empty",
    ),
    (
        "stsb-gzip-under-its-name",
        lambda env: _stsb(env, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"),
        r"sts-dev\.csv, line 1: NUL byte; this is not a UTF-8 text file",
    ),
    (
        "sts12-empty-files",
        lambda env: _sts12(env, b"", b""),
        r"STS\.input\.MSRpar\.txt: no sentence pairs \(the file is empty\)",
    ),
    (
        "sts12-no-gold-score",
        lambda env: _sts12(env, b"A.\tB.\nC.\tD.\n", b"\n\n"),
        r"STS\.gs\.MSRpar\.txt: no gold scores \(none in its 2 line",
    ),
    (
        "sts12-input-cut-mid-line",
        lambda env: _sts12(env, b"A.\tB.\nC.\tD", b"1\n2\n"),
        rf"STS\.input\.MSRpar\.txt, line 2: {CUT}",
    ),
    (
        "sts12-gold-cut-mid-line",
        lambda env: _sts12(env, b"A.\tB.\nC.\tD.\n", b"1\n2."),
        rf"STS\.gs\.MSRpar\.txt, line 2: {CUT}",
    ),
    (
        "sts12-one-sentence",
        lambda env: _sts12(env, b"A.\tB.\nC.\n", b"1\n2\n"),
        r"STS\.input\.MSRpar\.txt, line 2: expected two sentences",
    ),
    (
        "sts12-empty-sentence",
        lambda env: _sts12(env, b"A.\t\n", b"1\n"),
        r"STS\.input\.MSRpar\.txt, line 1: the second sentence is empty",
    ),
    (
        "sts12-gold-off-the-scale",
        lambda env: _sts12(env, b"A.\tB.\n", b"-1\n"),
        r"STS\.gs\.MSRpar\.txt, line 1: gold score '-1' is outside the scale",
    ),
    (
        "sickr-empty",
        lambda env: _sick(env, b""),
        r"SICK_trial\.txt: no sentence pairs \(the file is empty\)",
    ),
    (
        "sickr-header-only",
        lambda env: _sick(env, SICK_HEADER),
        r"SICK_trial\.txt: no sentence pairs \(none in its 1 line",
    ),
    (
        "sickr-cut-mid-line",
        lambda env: _sick(env, SICK_HEADER + b"1\tA b.\tC d.\t4.5\tNEUTR"),
        rf"SICK_trial\.txt, line 2: {CUT}",
    ),
    (
        "sickr-score-off-the-scale",
        lambda env: _sick(env, SICK_HEADER + b"1\tA.\tB.\t0.5\tNEUTRAL\n"),
        r"SICK_trial\.txt, line 2: gold score '0\.5' is outside the scale \[1, 5\]",
    ),
    (
        "sicke-empty-sentence",
        lambda env: _sick(env, SICK_HEADER + b"1\t \tB.\t4\tNEUTRAL\n", "sicke"),
        r"SICK_trial\.txt, line 2: sentence_A is empty",
    ),
    (
        "mr-empty-file",
        lambda env: _classification(env, "mr", {**MR_POS, "rt-polarity.neg": b""}),
        r"rt-polarity\.neg: no texts \(the file is empty\)",
    ),
    (
        "mr-cut-mid-line",
        lambda env: _classification(env, "mr", {**MR_POS, "rt-polarity.neg": b"bad .\nwor"}),
        rf"rt-polarity\.neg, line 2: {CUT}",
    ),
    (
        "cr-blank-lines-kept",
        lambda env: _classification(
            env, "cr", {"custrev.pos": b"\n\n", "custrev.neg": b"bad\n"}, keep_empty=True
        ),
        r"custrev\.pos: no texts \(none in its 2 line",
    ),
    (
        "sst2-empty",
        lambda env: _classification(env, "sst2", {"sentiment-dev": b""}, split="dev"),
        r"sentiment-dev: no examples \(the file is empty\)",
    ),
    (
        "sst2-empty-text",
        lambda env: _classification(
            env, "sst2", {"sentiment-dev": b"good .\t1\n \t0\n"}, split="dev"
        ),
        r"sentiment-dev, line 2: the text is empty",
    ),
    (
        "trec-empty",
        lambda env: _classification(env, "trec", {"TREC_10.label": b""}, split="test"),
        r"TREC_10\.label: no questions \(the file is empty\)",
    ),
    (
        "trec-empty-question",
        lambda env: _classification(env, "trec", {"TREC_10.label": b"NUM:dist \n"}, split="test"),
        r"TREC_10\.label, line 1: the question is empty",
    ),
    (
        "mrpc-empty",
        lambda env: _classification(env, "mrpc", {"msr_paraphrase_test.txt": b""}, split="test"),
        r"msr_paraphrase_test\.txt: no sentence pairs \(the file is empty\)",
    ),
    (
        "mrpc-header-only",
        lambda env: _classification(
            env, "mrpc", {"msr_paraphrase_test.txt": MRPC_HEADER}, split="test"
        ),
        r"msr_paraphrase_test\.txt: no sentence pairs \(none in its 1 line",
    ),
    (
        "tweet-empty",
        lambda env: _tweet(env, b""),
        r"tweet\.tsv: no labelled texts \(the file is empty\)",
    ),
    (
        "tweet-cut-mid-line",
        lambda env: _tweet(env, b"3\tfirst tweet\r\n7\tsecond tw"),
        rf"tweet\.tsv, line 2: {CUT}",
    ),
    (
        "tweet-empty-text",
        lambda env: _tweet(env, b"3\tfirst tweet\r\n7\t\r\n"),
        r"tweet\.tsv, line 2: the text is empty",
    ),
    (
        "clustering-file-in-utf16",
        lambda env: _datasets().load_clustering(
            _release(env, {"mine.tsv": "a\tone\n".encode("utf-16")}) / "mine.tsv"
        ),
        r"mine\.tsv, line 1: NUL byte",
    ),
    (
        "wikitext-empty",
        lambda env: _wiki(env, b""),
        r"wiki\.valid\.tokens: no paragraphs \(the file is empty\)",
    ),
    (
        "wikitext-headings-only",
        lambda env: _wiki(env, b" \n = Title = \n \n"),
        r"wiki\.valid\.tokens: no paragraphs \(none in its 3 line",
    ),
    (
        "wikitext-cut-mid-line",
        lambda env: _wiki(env, b" = Title = \n Some text that was cu"),
        rf"wiki\.valid\.tokens, line 2: {CUT}",
    ),
    (
        "corpus-file-cut-mid-line",
        lambda env: _datasets().load_corpus(_release(env, {"c.txt": b"one\ntw"}) / "c.txt"),
        rf"c\.txt, line 2: {CUT}",
    ),
    (
        "load_corpus-bool-max_sentences",
        lambda env: _datasets().load_corpus(max_sentences=True),
        r"^load_corpus: max_sentences must be None or a non-negative int, got True",
    ),
    (
        "get_data_home-empty-string",
        lambda env: _datasets().get_data_home(""),
        r"^get_data_home: data_home is an empty string",
    ),
]
for _name, _call, _match in BAD_RELEASE_FILES:
    case(f"loader-{_name}", _call, ValueError, _match)
case(
    "loader-stsb-bundled-has-no-train",
    lambda env: _datasets().load_sts("stsb", split="train", data_home="bundled"),
    FileNotFoundError,
    r"'sts-train\.csv' not found.*data_home='bundled' holds only STS-B dev and test",
)


class SentembFailed(Exception):
    """``sentemb`` exited non-zero; the message is ``exit CODE: <its one stderr line>``."""


def _messages(stderr):
    """The lines of ``stderr`` without progress bars (tqdm's '[00:00, ?task/s]' updates)."""
    bar = re.compile(r"\[\d+:\d+[^\]]*\]")  # "[elapsed<remaining, rate]"
    return [x for x in re.split(r"[\r\n]", stderr) if x and not bar.search(x)]


def _sentemb(*argv, stdin=None):
    """Run ``sentemb argv`` in-process; on failure raise SentembFailed with its stderr line.

    Asserts that a failure prints exactly one line on stderr (progress bars aside) and no
    traceback.
    """
    import contextlib
    import io
    import sys
    from unittest import mock

    from sklearn_sentemb.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        if stdin is not None:
            fake = io.TextIOWrapper(io.BytesIO(stdin))
            stack.enter_context(mock.patch.object(sys, "stdin", fake))
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    lines = _messages(err.getvalue())
    if code != 0:
        assert len(lines) == 1 and "Traceback" not in lines[0], err.getvalue()
        raise SentembFailed(f"exit {code}: {lines[0]}")
    return out.getvalue(), lines


def _fitted_pipeline(env, steps=("tokens", "pool")):
    """A fitted tiny-BERT mean-pooling pipeline (or its featurizer alone), saved with joblib."""
    from sklearn.pipeline import Pipeline

    from sklearn_sentemb import TokenPooler, TransformerFeaturizer

    parts = {"tokens": TransformerFeaturizer(env.tiny_bert, cache=False), "pool": TokenPooler()}
    pipeline = Pipeline([(s, parts[s]) for s in steps]).fit(["a text to fit on"])
    return _dump(env, pipeline, f"{'-'.join(steps)}.joblib")


def _dump(env, obj, name):
    import joblib

    joblib.dump(obj, env.tmp_path / name)
    return env.tmp_path / name


def _embed(env, data, *, name="in.txt", output="out.npy"):
    """``sentemb embed`` of ``data``, written to ``name`` (``None``: given on stdin)."""
    source = "-" if name is None else _release(env, {name: data}) / name
    stdin = data if name is None else None
    return _sentemb(
        "embed", _fitted_pipeline(env), source, "-o", env.tmp_path / output, stdin=stdin
    )


def _folder(env, name):
    (env.tmp_path / name).mkdir()
    return env.tmp_path / name


def _config_only(env):
    """A model folder holding only the tiny BERT's config.json: no weights, no tokenizer."""
    import shutil

    folder = _folder(env, "config-only")
    shutil.copy(f"{env.tiny_bert}/config.json", folder)
    return folder


def _search(env, *args):
    out = env.tmp_path / "out"
    return _sentemb("search", "--model", env.tiny_bert, "--output-dir", out, "--quiet", *args)


def _grid(env, text):
    return _release(env, {"grid.json": text.encode()}) / "grid.json"


def _embed_with(env, *options, pipeline=None):
    """``sentemb embed`` of one text on stdin with extra ``options``."""
    pipeline = pipeline or _fitted_pipeline(env)
    return _sentemb(
        "embed", pipeline, "-", "-o", env.tmp_path / "o.npy", *options, stdin=b"a text\n"
    )


def _static_pipeline(env):
    """A fitted pipeline that runs no transformer: random token vectors, mean pooling."""
    from sklearn.pipeline import Pipeline

    from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler

    steps = [("tokens", RandomTokenEmbeddings(env.tiny_bert, dim=8)), ("pool", TokenPooler())]
    return _dump(env, Pipeline(steps).fit(["a text"]), "static.joblib")


def _stsb_line(score, i):
    return f"main-captions\tMSRvid\t2012test\t{i:04d}\t{score}\tA man {i}.\tA woman {i}.\n"


# STS-B whose dev scores are all 2.5 (the release's own range, so the loader takes them).
CONSTANT_STSB = {
    "stsb/sts-dev.csv": "".join(_stsb_line("2.500", i) for i in range(8)).encode(),
    "stsb/sts-test.csv": "".join(_stsb_line(f"{i % 5}.000", i) for i in range(8)).encode(),
}
EMPTY_SICK = {"sick/SICK_trial.txt": b"", "sick/SICK_test_annotated.txt": b""}
ERROR = r"^exit 2: sentemb {}: error: "

# (name, call, what the one stderr line must say after "exit CODE: sentemb COMMAND: error: ")
BAD_COMMANDS = [
    (
        "embed-missing-input",
        lambda env: _sentemb(
            "embed", _fitted_pipeline(env), env.tmp_path / "nope.txt", "-o", env.tmp_path / "o.npy"
        ),
        ERROR.format("embed") + r"input file \S*nope\.txt does not exist",
    ),
    (
        "embed-empty-input",
        lambda env: _embed(env, b""),
        ERROR.format("embed") + r"input file \S*in\.txt is empty",
    ),
    (
        "embed-empty-stdin",
        lambda env: _embed(env, b"", name=None),
        ERROR.format("embed") + r"stdin is empty",
    ),
    (
        "embed-binary-input",
        lambda env: _embed(env, b"text\n\x89PNG\r\n\x1a\n\x00\x00"),
        ERROR.format("embed") + r"input file \S*in\.txt, line 4: NUL byte",
    ),
    (
        "embed-not-utf8",
        lambda env: _embed(env, b"first\ncaf\xe9 au lait\n"),
        ERROR.format("embed") + r"input file \S*in\.txt, line 2: not UTF-8 text",
    ),
    (
        "embed-not-utf8-stdin",
        lambda env: _embed(env, b"\xff\xfe", name=None),
        ERROR.format("embed") + r"stdin, line 1: not UTF-8 text",
    ),
    (
        "embed-empty-line",
        lambda env: _embed(env, b"first\n  \nthird\n"),
        ERROR.format("embed") + r"input file \S*in\.txt, line 2 is empty",
    ),
    (
        "embed-output-folder-missing",
        lambda env: _embed(env, b"a\n", output="no/o.npy"),
        ERROR.format("embed") + r"--output \S*no/o\.npy: the folder \S*no does not exist",
    ),
    (
        "embed-output-is-a-folder",
        lambda env: _embed(env, b"a\n", output=_folder(env, "d.npy")),
        ERROR.format("embed") + r"--output \S*d\.npy is a folder",
    ),
    (
        "embed-joblib-not-an-estimator",
        lambda env: _sentemb(
            "embed", _dump(env, {"a": 1}, "d.joblib"), "-", "-o", env.tmp_path / "o.npy"
        ),
        ERROR.format("embed")
        + r"pipeline file \S*d\.joblib holds a dict, not an estimator with transform\(\)",
    ),
    (
        "embed-file-not-joblib",
        lambda env: _sentemb(
            "embed",
            _release(env, {"p.joblib": b"\x89PNG\r\n"}) / "p.joblib",
            "-",
            "-o",
            env.tmp_path / "o.npy",
        ),
        ERROR.format("embed") + r"pipeline file \S*p\.joblib cannot be read with joblib",
    ),
    (
        "embed-featurizer-without-pooler",
        lambda env: _sentemb(
            "embed",
            _fitted_pipeline(env, steps=("tokens",)),
            _release(env, {"in.txt": b"a text\n"}) / "in.txt",
            "-o",
            env.tmp_path / "o.npy",
        ),
        ERROR.format("embed")
        + r"pipeline \S*tokens\.joblib gives TokenEmbeddings for 1 texts, not one row of numbers per text",
    ),
    (
        "evaluate-joblib-not-an-estimator",
        lambda env: _sentemb(
            "evaluate", _dump(env, [1, 2], "l.joblib"), "--tasks", "stsb", "--data-home", "bundled"
        ),
        ERROR.format("evaluate") + r"pipeline file \S*l\.joblib holds a list",
    ),
    (
        "evaluate-output-folder-missing",
        lambda env: _sentemb(
            "evaluate",
            _fitted_pipeline(env),
            "--tasks",
            "stsb",
            "--data-home",
            "bundled",
            "--output",
            env.tmp_path / "no" / "r.csv",
        ),
        ERROR.format("evaluate") + r"--output \S*r\.csv: the folder",
    ),
    (
        "evaluate-recipe-model-without-weights",
        lambda env: _sentemb(
            "evaluate",
            "--recipe",
            "mean-last",
            "--model",
            _config_only(env),
            "--tasks",
            "stsb",
            "--data-home",
            "bundled",
        ),
        r"^exit [12]: sentemb evaluate: error: .*config-only",
    ),
    (
        "search-model-without-weights",
        lambda env: _sentemb(
            "search",
            "--model",
            _config_only(env),
            "--grid",
            "quick",
            "--max-pairs",
            10,
            "--output-dir",
            env.tmp_path / "out",
        ),
        ERROR.format("search") + r"cannot load --model \S*config-only: ",
    ),
    (
        "similarity-model-without-weights",
        lambda env: _sentemb("similarity", "--model", _config_only(env), "a cat", "a dog"),
        ERROR.format("similarity") + r"cannot load --model \S*config-only: ",
    ),
    (
        "similarity-empty-sentence",
        lambda env: _sentemb("similarity", "--model", env.tiny_bert, "a cat", " "),
        ERROR.format("similarity") + r"sentence 2 is empty",
    ),
    (
        "search-grid-invalid-json",
        lambda env: _search(env, "--grid", _grid(env, "{'a': [1]}")),
        ERROR.format("search") + r"grid file \S*grid\.json is not valid JSON",
    ),
    (
        "search-grid-not-an-object",
        lambda env: _search(env, "--grid", _grid(env, "[1, 2]")),
        ERROR.format("search") + r"grid file \S*grid\.json must hold a JSON object",
    ),
    (
        "search-grid-unknown-parameter",
        lambda env: _search(env, "--grid", _grid(env, '{"tokens__layer": [1, 2]}')),
        ERROR.format("search")
        + r"grid \S*grid\.json: unknown parameter 'tokens__layer'; did you mean 'tokens__layers'\?$",
    ),
    (
        "search-grid-unknown-step",
        lambda env: _search(env, "--grid", _grid(env, '{"whiten__n_components": [8]}')),
        ERROR.format("search")
        + r"grid \S*grid\.json: unknown parameter 'whiten__n_components'; a key is a step",
    ),
    (
        "search-output-dir-is-a-file",
        lambda env: _search(env, "--output-dir", _release(env, {"taken": b"x"}) / "taken"),
        ERROR.format("search") + r"--output-dir \S*taken is a file, not a folder",
    ),
    (
        "search-cache-is-a-file",
        lambda env: _search(env, "--cache", _release(env, {"taken": b"x"}) / "taken"),
        ERROR.format("search") + r"--cache \S*taken is a file, not a folder",
    ),
    (
        "search-cv-one",
        lambda env: _search(env, "--cv", 1),
        ERROR.format("search") + r"argument --cv: '1' is not an integer >= 2",
    ),
    (
        "search-max-pairs-negative",
        lambda env: _search(env, "--max-pairs", -5),
        ERROR.format("search") + r"argument --max-pairs: '-5' is not an integer >= 1",
    ),
    (
        "search-n-jobs-zero",
        lambda env: _search(env, "--n-jobs", 0),
        ERROR.format("search") + r"argument --n-jobs: 0 jobs: give a positive number",
    ),
    (
        "search-empty-sick-file",
        lambda env: _search(env, "--task", "sickr", "--data-home", _release(env, EMPTY_SICK)),
        ERROR.format("search") + r"\S*SICK_trial\.txt: no sentence pairs",
    ),
    (
        "default-command-takes-search-options",
        lambda env: _sentemb("--task", "sts12"),
        ERROR.format("search") + r"--task must have a dev split",
    ),
    (
        "unknown-command",
        lambda env: _sentemb("frobnicate"),
        r"^exit 2: sentemb: error: argument COMMAND: invalid choice: 'frobnicate'",
    ),
    (
        "similarity-layers-as-a-comma-list",
        lambda env: _sentemb("similarity", "--model", env.tiny_bert, "--layers", "1,-1", "a", "b"),
        ERROR.format("similarity")
        + r"argument --layers: '1,-1' is not a layer number .*: --layers 1 --layers -1 \(",
    ),
    (
        "similarity-layer-out-of-range",
        lambda env: _sentemb("similarity", "--model", env.tiny_bert, "--layers", 9, "a", "b"),
        ERROR.format("similarity")
        + r"TransformerFeaturizer: layer 9 is out of range for a model with 4 layers",
    ),
    (
        "similarity-batch-size-zero",
        lambda env: _sentemb("similarity", "--model", env.tiny_bert, "--batch-size", 0, "a"),
        ERROR.format("similarity") + r"argument --batch-size: '0' is not an integer >= 1",
    ),
    (
        "embed-dtype-unknown",
        lambda env: _embed_with(env, "--dtype", "float64"),
        ERROR.format("embed") + r"argument --dtype: invalid choice: 'float64'",
    ),
    (
        "embed-device-unknown",
        lambda env: _embed_with(env, "--device", "gpu0"),
        ERROR.format("embed") + r"TransformerFeaturizer: device='gpu0' is not a torch device",
    ),
    (
        "embed-device-for-a-pipeline-without-a-model",
        lambda env: _embed_with(env, "--device", "cpu", pipeline=_static_pipeline(env)),
        ERROR.format("embed")
        + r"--device: pipeline file \S*static\.joblib runs no transformer model",
    ),
    (
        "search-constant-dev-gold",
        lambda env: _search(env, "--data-home", _release(env, CONSTANT_STSB), "--grid", "quick"),
        ERROR.format("search") + r"search_sts: dev_gold is constant \(every score is 2\.5\)",
    ),
]
for _name, _call, _match in BAD_COMMANDS:
    case(f"cli-{_name}", _call, SentembFailed, _match)


def test_release_quirks_still_load(tmp_path):
    """CRLF ends, trailing tabs, extra STS-B fields and kept empty texts are the releases' own."""
    datasets = _datasets()
    files = {
        "stsb/sts-dev.csv": STSB_LINE.replace(b"\n", b"\tsource-a\tsource-b\n"),
        "sick/SICK_trial.txt": SICK_HEADER.replace(b"\n", b"\r\n")
        + b"1\tA b.\tC d.\t4.5\tNEUTRAL\r\n",
        "stackoverflow/stackoverflow.tsv": b"18\tHow do I fill a DataSet?\t\r\n\r\n3\tA\tB\t\r\n",
        "cr/custrev.pos": b"good\n\nfine\n",
        "cr/custrev.neg": b"bad\n",
        "sts15/STS.input.images.txt": b"A.\tB.\nC.\tD.\nE.\tF.\n",
        "sts15/STS.gs.images.txt": b"\n2.5\n\n\n\n",
        "wikitext103/wiki.valid.tokens": b" \n = Title = \n \n First paragraph .\n",
    }
    home = _release(SimpleNamespace(tmp_path=tmp_path), files)
    stsb = datasets.load_sts("stsb", split="dev", data_home=home)
    assert stsb.data.tolist() == [["A plane takes off.", "A jet takes off."]]
    assert stsb.target.tolist() == [5.0]
    sick = datasets.load_sts("sickr", split="trial", data_home=home)
    assert sick.data.tolist() == [["A b.", "C d."]] and sick.target.tolist() == [4.5]
    so = datasets.load_clustering("stackoverflow", data_home=home)
    assert so.data.tolist() == ["How do I fill a DataSet?", "A\tB"]
    assert so.target_names[so.target].tolist() == ["18", "3"]
    kept = datasets.load_classification("cr", data_home=home, keep_empty=True)
    assert kept.data.tolist() == ["good", "", "fine", "bad"]
    assert kept.target.tolist() == [1, 1, 1, 0]
    dropped = datasets.load_classification("cr", data_home=home)
    assert dropped.data.tolist() == ["good", "fine", "bad"]
    sts15 = datasets.load_sts("sts15", subset="images", data_home=home)
    assert sts15.data.tolist() == [["C.", "D."]] and sts15.target.tolist() == [2.5]
    assert datasets.load_corpus(split="valid", data_home=home) == ["First paragraph ."]


def test_cli_evaluate_with_every_task_missing_fails(env, capsys):
    """Skipping each task leaves nothing evaluated: an error after one warning per task."""
    from sklearn_sentemb.cli import main

    pipeline = _fitted_pipeline(env)
    empty = _folder(env, "no-data")
    argv = ["evaluate", str(pipeline), "--tasks", "sts12", "sts13", "--data-home", str(empty)]
    assert main(argv) == 2
    lines = _messages(capsys.readouterr().err)
    assert len(lines) == 3 and "Traceback" not in "".join(lines), lines
    assert [x[:58] for x in lines[:2]] == [
        "sentemb evaluate: warning: evaluate: skipping task 'sts12'",
        "sentemb evaluate: warning: evaluate: skipping task 'sts13'",
    ]
    assert lines[2] == (
        "sentemb evaluate: error: nothing evaluated: the data of sts12, sts13 is missing "
        "(see --data-home)."
    )


def test_cli_embed_writes_the_file_it_names(env):
    """CRLF ends and a last line without a line break are fine; '.npy' is added as numpy does."""
    import joblib

    _, stderr = _embed(env, b"first text\r\nsecond text", output="vectors")
    path = env.tmp_path / "vectors.npy"
    assert stderr == [f"Wrote 2 x 32 embeddings to {path}"]
    pipeline = joblib.load(env.tmp_path / "tokens-pool.joblib")
    expected = pipeline.transform(["first text", "second text"])
    np.testing.assert_allclose(np.load(path), expected, atol=1e-6)


def test_cli_embed_one_huge_line_is_cut_with_one_warning_line(env, capsys):
    """A line longer than the model allows is embedded from its first tokens, warned once."""
    import joblib

    from sklearn_sentemb.cli import main

    text = "word " * 100_000 + "end"
    source = _release(env, {"huge.txt": text.encode()}) / "huge.txt"
    pipeline = _fitted_pipeline(env)
    assert main(["embed", str(pipeline), str(source), "-o", str(env.tmp_path / "o.npy")]) == 0
    stderr = capsys.readouterr().err.splitlines()
    assert len(stderr) == 2, stderr
    assert re.match(r"sentemb embed: warning: TransformerFeaturizer: 1 text\(s\) exceed", stderr[0])
    assert stderr[1].startswith("Wrote 1 x 32 embeddings")
    with pytest.warns(UserWarning, match="exceed max_length"):
        expected = joblib.load(pipeline).transform([text])
    np.testing.assert_allclose(np.load(env.tmp_path / "o.npy"), expected, atol=1e-6)


# -- export ------------------------------------------------------------------------------


def _export(name, steps):
    """``name`` of sklearn_sentemb.export applied to a fitted pipeline of ``steps(env)``."""

    def call(env):
        from sklearn.pipeline import make_pipeline

        from sklearn_sentemb import export

        pipe = make_pipeline(*steps(env)).fit(["A man plays.", "A dog runs.", "Hi there."])
        return getattr(export, name)(pipe, env.tmp_path / "out")

    return call


def _tokens_pool(env, **pool):
    from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler

    return [RandomTokenEmbeddings(env.tiny_bert, dim=8), TokenPooler(**pool)]


case(
    "to_model2vec-not-a-pipeline",
    lambda env: __import__("sklearn_sentemb.export").export.to_model2vec("model", env.tmp_path),
    TypeError,
    r"to_model2vec: expects a fitted sklearn Pipeline.*got str",
)
case(
    "to_model2vec-max-pooling",
    _export("to_model2vec", lambda env: _tokens_pool(env, method="max")),
    ValueError,
    r"to_model2vec: cannot fold TokenPooler\(method='max'\)",
)
case(
    "to_sentence_transformers-quantile",
    _export(
        "to_sentence_transformers",
        lambda env: [
            *_tokens_pool(env),
            __import__("sklearn.preprocessing").preprocessing.QuantileTransformer(n_quantiles=3),
        ],
    ),
    ValueError,
    "to_sentence_transformers: cannot fold the refiner QuantileTransformer",
)
case(
    "to_model2vec-special-tokens-kept",
    _export("to_model2vec", lambda env: _tokens_pool(env, exclude=())),
    ValueError,
    r"to_model2vec: the TokenPooler keeps the special tokens",
)


def _model_pooling(env, mode):
    """A copy of the tiny BERT whose sentence-transformers configuration pools with ``mode``."""
    import json
    import shutil

    folder = env.tmp_path / f"pooling-{mode}"
    shutil.copytree(env.tiny_bert, folder)
    kinds = ["Transformer", "Pooling"]
    modules = [
        {"idx": i, "name": str(i), "path": ["", "1_Pooling"][i], "type": f"x.{kind}"}
        for i, kind in enumerate(kinds)
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": mode}))
    return folder


case(
    "make_recipe-model-default-unknown-pooling",
    lambda env: __import__("sklearn_sentemb.recipes").recipes.make_recipe(
        "model-default", _model_pooling(env, "mean_sqrt_len_tokens")
    ),
    ValueError,
    r"make_recipe\('model-default'\): the model pools with \['mean_sqrt_len_tokens'\]",
)


@pytest.fixture
def env(tiny_bert, tmp_path):
    """What the rows may use: the tiny BERT's folder and a fresh temporary folder."""
    return SimpleNamespace(tiny_bert=tiny_bert, tmp_path=tmp_path)


@pytest.mark.parametrize(("call", "exc", "match"), CASES)
def test_bad_input_raises(env, call, exc, match):
    with pytest.raises(exc) as info:
        call(env)
    assert re.search(match, str(info.value)), str(info.value)
