import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from transformers import AutoModel, AutoTokenizer

from sklearn_sentemb import TokenPooler, TokenRole, TransformerFeaturizer
from sklearn_sentemb._models import resolve_model

SENTENCES = [
    "A man is playing a guitar.",
    "Someone plays an instrument on the stage tonight.",
    "The cat sat.",
    "",
    "Unbelievably, tokenisation splits words!",
]


def reference_hidden_states(path, text):
    """Hidden states of one unpadded text straight from transformers."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    encoded = tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        out = model(**encoded, output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states], encoded["input_ids"][0].numpy()


def rows_of(tokens, i):
    return tokens.values[tokens.offsets[i] : tokens.offsets[i + 1]]


@pytest.mark.parametrize(
    ("layers", "combination", "expected"),
    [
        (0, "mean", lambda hs: hs[0]),
        (2, "mean", lambda hs: hs[2]),
        (-1, "mean", lambda hs: hs[4]),
        ([1, -1], "mean", lambda hs: (hs[1] + hs[4]) / 2),
        ([0, 3], "sum", lambda hs: hs[0] + hs[3]),
        ([3, 1], "concat", lambda hs: np.concatenate([hs[3], hs[1]], axis=1)),
    ],
)
def test_layers_match_output_hidden_states(tiny_bert, layers, combination, expected):
    featurizer = TransformerFeaturizer(
        tiny_bert, layers=layers, layer_combination=combination, batch_size=2, cache=False
    )
    tokens = featurizer.fit_transform(SENTENCES)
    assert len(tokens) == len(SENTENCES)
    for i, text in enumerate(SENTENCES):
        hidden, ids = reference_hidden_states(tiny_bert, text)
        np.testing.assert_array_equal(
            tokens.token_ids[tokens.offsets[i] : tokens.offsets[i + 1]], ids
        )
        np.testing.assert_allclose(rows_of(tokens, i), expected(hidden), atol=1e-5)


def test_encoder_stops_after_the_deepest_requested_layer(tiny_bert):
    featurizer = TransformerFeaturizer(tiny_bert, layers=[0, 1], cache=False)
    featurizer.transform(["warm up the registry"])
    from sklearn_sentemb._models import load_model

    layer_modules = load_model(tiny_bert).layer_steps
    calls = [0] * len(layer_modules)
    handles = [
        m.register_forward_hook(lambda *_, j=j: calls.__setitem__(j, calls[j] + 1))
        for j, m in enumerate(layer_modules)
    ]
    try:
        truncated = featurizer.transform(SENTENCES)
        assert calls == [1, 0, 0, 0]  # one batch, only the first encoder layer ran
        full = TransformerFeaturizer(
            tiny_bert, layers=[0, 1, -1], cache=False, layer_combination="concat"
        ).transform(SENTENCES)
        assert calls[3] == 1
    finally:
        for h in handles:
            h.remove()
    np.testing.assert_allclose(
        truncated.values, (full.values[:, :32] + full.values[:, 32:64]) / 2, atol=1e-6
    )


def test_roles_and_empty_string(tiny_bert):
    tokens = TransformerFeaturizer(tiny_bert).transform(["", "two words"])
    assert tokens.lengths[0] == 2  # [CLS] [SEP] only
    np.testing.assert_array_equal(tokens.roles[:2], [TokenRole.SPECIAL] * 2)
    roles = tokens.roles[tokens.offsets[1] : tokens.offsets[2]]
    assert roles[0] == TokenRole.SPECIAL and roles[-1] == TokenRole.SPECIAL
    assert (roles[1:-1] == TokenRole.TEXT).all()
    assert tokens.vocabulary[tokens.token_ids[0]] == "[CLS]"


def test_duplicates_and_order_and_batch_size_do_not_change_values(tiny_bert):
    texts = ["b c d e f g", "a", "b c d e f g", "a man", "a"]
    one_by_one = [
        TransformerFeaturizer(tiny_bert, batch_size=1, cache=False).transform([t]) for t in texts
    ]
    batched = TransformerFeaturizer(tiny_bert, batch_size=3, cache=False).transform(texts)
    for i, single in enumerate(one_by_one):
        np.testing.assert_allclose(rows_of(batched, i), single.values, atol=1e-5)


def test_empty_input_gives_empty_result_of_right_width(tiny_bert):
    pipe = make_pipeline(TransformerFeaturizer(tiny_bert), TokenPooler())
    out = pipe.fit_transform([])
    assert out.shape == (0, 32) and out.dtype == np.float32
    out = make_pipeline(
        TransformerFeaturizer(tiny_bert, layers=[1, 2], layer_combination="concat"), TokenPooler()
    ).fit_transform([])
    assert out.shape == (0, 64)


def test_pairs_are_flattened_row_major(tiny_bert):
    pairs = np.array([["a cat", "a dog"], ["red", "blue sky"]], dtype=object)
    pipe = make_pipeline(TransformerFeaturizer(tiny_bert), TokenPooler())
    np.testing.assert_allclose(
        pipe.fit_transform(pairs), pipe.transform(["a cat", "a dog", "red", "blue sky"]), atol=1e-6
    )


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (["fine", None], TypeError, r"TransformerFeaturizer: .*item 1 is NoneType"),
        (["fine", "ok", 3.5], TypeError, r"item 2 is float"),
        ([b"bytes"], TypeError, r"item 0 is bytes"),
        ("just a string", TypeError, r"single str"),
        (np.array([["a", "b", "c"]], dtype=object), ValueError, r"shape \(1, 3\)"),
        (np.zeros((2, 2, 2)), ValueError, r"shape \(2, 2, 2\)"),
    ],
)
def test_bad_input_names_step_and_item(tiny_bert, bad, error, match):
    with pytest.raises(error, match=match):
        TransformerFeaturizer(tiny_bert).transform(bad)


def test_long_texts_warn_and_truncate_or_raise(tiny_bert):
    long_text = "word " * 100  # the tiny model allows 64 positions
    with pytest.warns(UserWarning, match=r"1 text\(s\) exceed max_length=64"):
        tokens = TransformerFeaturizer(tiny_bert).transform(["short", long_text])
    assert tokens.lengths.tolist() == [3, 64]
    with pytest.raises(ValueError, match="exceed max_length=10"):
        TransformerFeaturizer(tiny_bert, max_length=10, truncation="error").transform([long_text])
    tokens = TransformerFeaturizer(tiny_bert, max_length=10).transform(["short"])
    assert tokens.lengths.tolist() == [3]


def test_invalid_layers_and_parameters(tiny_bert):
    with pytest.raises(ValueError, match="layer 5 is out of range for a model with 4 layers"):
        TransformerFeaturizer(tiny_bert, layers=5).transform(["x"])
    with pytest.raises(ValueError, match="layer -6 is out of range"):
        TransformerFeaturizer(tiny_bert, layers=[0, -6]).transform(["x"])
    with pytest.raises(ValueError, match="layer_combination"):
        TransformerFeaturizer(tiny_bert, layer_combination="median").fit(["x"])


def test_clone_pickle_and_params_never_copy_weights(tiny_bert):
    featurizer = TransformerFeaturizer(tiny_bert, layers=[1, 2], batch_size=4)
    before = featurizer.transform(SENTENCES)
    blob = pickle.dumps(featurizer)
    assert len(blob) < 100_000
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.transform(SENTENCES).values, before.values)
    copy = clone(featurizer)
    assert copy.get_params() == featurizer.get_params()
    copy.set_params(layers=0)
    assert copy.layers == 0 and featurizer.layers == [1, 2]


def test_unknown_model_gives_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        ValueError, match=r"'no-such-org/no-such-model' is neither a local directory"
    ):
        TransformerFeaturizer("no-such-org/no-such-model").transform(["x"])


def test_default_hub_id_resolves_to_offline_package(minilm_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert str(resolve_model("sentence-transformers/all-MiniLM-L6-v2")) == minilm_path
    assert str(resolve_model("all-MiniLM-L6-v2")) == minilm_path


def test_minilm_layers_match_transformers(minilm_path):
    texts = SENTENCES[:3]
    tokens = TransformerFeaturizer(minilm_path, layers=[0, 3], cache=False).transform(texts)
    for i, text in enumerate(texts):
        hidden, _ = reference_hidden_states(minilm_path, text)
        np.testing.assert_allclose(rows_of(tokens, i), (hidden[0] + hidden[3]) / 2, atol=1e-5)


def test_mean_pooling_matches_sentence_transformers(minilm_path, stsb_sentences):
    from sentence_transformers import SentenceTransformer

    sentences = stsb_sentences[:256]
    full = SentenceTransformer(minilm_path, device="cpu")
    # Transformer + Pooling(mean) only: the full stack also L2-normalises.
    reference = SentenceTransformer(modules=[full[0], full[1]], device="cpu").encode(
        sentences, batch_size=32
    )
    pipe = make_pipeline(
        TransformerFeaturizer("sentence-transformers/all-MiniLM-L6-v2", cache=False),
        TokenPooler("mean", exclude=()),
    )
    np.testing.assert_allclose(pipe.fit_transform(sentences), reference, atol=1e-5)


def test_memo_of_recent_outputs_keeps_truncation_behaviour(tiny_bert):
    long_text = "word " * 100
    with pytest.warns(UserWarning, match="exceed max_length=64"):
        first = TransformerFeaturizer(tiny_bert).transform([long_text])
    # Served from the memo of recent outputs: it must still raise, and still warn.
    with pytest.raises(ValueError, match="exceed max_length=64"):
        TransformerFeaturizer(tiny_bert, truncation="error").transform([long_text])
    with pytest.warns(UserWarning, match="exceed max_length=64"):
        again = TransformerFeaturizer(tiny_bert).transform([long_text])
    np.testing.assert_array_equal(again.values, first.values)


def test_truncation_message_names_the_callers_item_despite_duplicates(tiny_bert):
    texts = ["short", "short", "word " * 100]
    with pytest.raises(ValueError, match=r"the first being item 2:"):
        TransformerFeaturizer(tiny_bert, truncation="error").transform(texts)


FINGERPRINT = (
    "import sys; from sklearn_sentemb._models import load_model; "
    "print(load_model(sys.argv[1], 'cpu').fingerprint)"
)


def test_fingerprint_is_the_same_in_every_process_and_changes_with_the_files(tiny_bert, tmp_path):
    import subprocess
    import sys

    from transformers import BertModel

    # Saved without its pooler: transformers initialises one at random on every load.
    path = tmp_path / "no-pooler"
    BertModel.from_pretrained(tiny_bert, add_pooling_layer=False).save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(path)

    def fingerprint():
        run = subprocess.run(
            [sys.executable, "-c", FINGERPRINT, str(path)], capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    first = fingerprint()
    assert first and fingerprint() == first
    model = BertModel.from_pretrained(path, add_pooling_layer=False)
    with torch.no_grad():
        model.encoder.layer[0].output.dense.weight.mul_(2)
    model.save_pretrained(path)
    assert fingerprint() != first


def test_loading_options_reach_transformers_and_change_the_identity(tiny_bert, monkeypatch):
    import huggingface_hub

    from sklearn_sentemb._models import load_model

    seen = []

    def snapshot_download(repo_id, **kwargs):
        seen.append((repo_id, kwargs))
        return tiny_bert

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    options = {"revision": "v1", "token": "secret", "cache_dir": "/somewhere"}
    featurizer = TransformerFeaturizer(
        "org/tiny", **options, model_kwargs={"add_pooling_layer": False}
    )
    tokens = featurizer.transform(SENTENCES[:2])
    assert seen[-1][0] == "org/tiny"
    assert {k: seen[-1][1][k] for k in options} == options
    loaded = load_model("org/tiny", revision="v1", model_kwargs={"add_pooling_layer": False})
    assert loaded.model.pooler is None  # model_kwargs went to from_pretrained
    plain = load_model(tiny_bert)
    assert plain.model.pooler is not None
    assert load_model("org/tiny") is plain  # the same files and options: the same model
    revised = load_model("org/tiny", revision="v1")
    assert len({plain.fingerprint, revised.fingerprint, loaded.fingerprint}) == 3
    # Same weights: the same vectors, whatever the identity.
    reference = TransformerFeaturizer(tiny_bert, cache=False).transform(SENTENCES[:2])
    np.testing.assert_allclose(tokens.values, reference.values, atol=1e-6)
    assert clone(featurizer).get_params() == featurizer.get_params()


def test_pickled_pipeline_whose_model_folder_is_gone(tiny_bert, tmp_path):
    import shutil

    from sklearn_sentemb._models import clear_registry

    path = tmp_path / "model"
    shutil.copytree(tiny_bert, path)
    pipe = make_pipeline(TransformerFeaturizer(str(path)), TokenPooler()).fit(["a text"])
    blob = pickle.dumps(pipe)
    shutil.rmtree(path)
    clear_registry()
    with pytest.raises(ValueError, match=rf"TransformerFeaturizer: .*{path}.* does not exist"):
        pickle.loads(blob).transform(["a text"])


def test_threads_share_a_model_safely_and_models_have_their_own_lock(tiny_bert, minilm_path):
    from concurrent.futures import ThreadPoolExecutor

    from sklearn_sentemb._models import load_model

    assert load_model(tiny_bert).lock is not load_model(minilm_path).lock
    batches = [[f"text {i} of thread {t}" for i in range(20)] for t in range(4)]
    featurizer = TransformerFeaturizer(tiny_bert, layers=[1, -1], cache=False, batch_size=4)
    serial = [featurizer.transform(texts).values for texts in batches]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda texts: featurizer.transform(texts).values, batches))
    for a, b in zip(threaded, serial):
        np.testing.assert_array_equal(a, b)  # each pass captured its own hidden states
