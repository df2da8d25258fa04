"""Backends of TransformerFeaturizer: ONNX Runtime (fp32, int8), dtype="auto", cache keys."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.pipeline import make_pipeline
from transformers import AutoModel, AutoTokenizer

from sklearn_sentemb import (
    DiskCache,
    TokenPooler,
    TransformerFeaturizer,
    _models,
    _onnx,
    clear_memory_cache,
)
from sklearn_sentemb._models import _cpuinfo_has_bf16, _cpuinfo_has_fast_bf16

from conftest import read_stsb


@pytest.fixture(autouse=True)
def onnx_folder(tmp_path_factory, monkeypatch):
    """Exported graphs go to one folder of this test session, never to the user's cache."""
    folder = tmp_path_factory.getbasetemp() / "onnx-graphs"
    monkeypatch.setenv(_onnx.ONNX_CACHE_ENV, str(folder))
    return folder


def transformers_hidden_states(path, texts):
    """Per text, the hidden states of its real tokens, from one padded transformers batch."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    encoded = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        states = model(**encoded, output_hidden_states=True).hidden_states
    lengths = encoded["attention_mask"].sum(1).tolist()
    return [[h[i, :n].numpy() for h in states] for i, n in enumerate(lengths)]


@pytest.mark.parametrize(
    ("layers", "combination", "expected"),
    [
        (-1, "mean", lambda hs: hs[6]),
        (2, "mean", lambda hs: hs[2]),
        ([1, -1], "mean", lambda hs: (hs[1] + hs[6]) / 2),
        ([0, 3], "concat", lambda hs: np.concatenate([hs[0], hs[3]], axis=1)),
    ],
)
def test_onnx_fp32_equals_transformers_on_real_sentences(
    minilm_path, stsb_sentences, layers, combination, expected
):
    texts = stsb_sentences[:48]
    tokens = TransformerFeaturizer(
        minilm_path, layers=layers, layer_combination=combination, backend="onnx", batch_size=16
    ).fit_transform(texts)
    reference = transformers_hidden_states(minilm_path, texts)
    for i, hidden in enumerate(reference):
        rows = tokens.values[tokens.offsets[i] : tokens.offsets[i + 1]]
        np.testing.assert_allclose(rows, expected(hidden), atol=1e-4, rtol=0)


def test_onnx_graph_stops_at_the_deepest_layer_and_is_reused_from_disk(
    tiny_bert, onnx_folder, monkeypatch
):
    import onnx

    texts = ["A man is playing a guitar.", "The cat sat."]
    shallow = TransformerFeaturizer(tiny_bert, layers=[0, 1], backend="onnx", cache=False)
    first = shallow.fit_transform(texts).values
    fingerprint = _models.load_model(tiny_bert, "cpu").fingerprint
    (folder,) = [f for f in onnx_folder.iterdir() if f.name.startswith(fingerprint)]
    graph = onnx.load(str(folder / "model.onnx"))
    assert [o.name for o in graph.graph.output] == ["hidden_state_0", "hidden_state_1"]
    # Layers 2..4 are never run: the graph holds the embeddings' and one layer's weights.
    model = AutoModel.from_pretrained(tiny_bert)
    embeddings = sum(p.numel() for p in model.embeddings.parameters())
    layer = sum(p.numel() for p in model.encoder.layer[0].parameters())
    n_weights = sum(int(np.prod(init.dims)) for init in graph.graph.initializer)
    assert embeddings < n_weights < embeddings + 2 * layer

    _onnx.clear_sessions()
    monkeypatch.setattr(torch.onnx, "export", _refuse)
    again = TransformerFeaturizer(tiny_bert, layers=[0, 1], backend="onnx", cache=False)
    np.testing.assert_array_equal(again.fit_transform(texts).values, first)
    with pytest.raises(AssertionError, match="exported again"):  # another depth: a new graph
        TransformerFeaturizer(tiny_bert, layers=2, backend="onnx", cache=False).transform(texts)


def _refuse(*args, **kwargs):
    raise AssertionError("exported again")


@pytest.mark.slow
def test_int8_stsb_test_within_half_a_point_of_fp32(minilm_path):
    pairs, gold = read_stsb("test")

    def stsb_score(**params):
        featurizer = TransformerFeaturizer(minilm_path, cache=False, **params)
        X = make_pipeline(featurizer, TokenPooler("mean")).fit_transform(pairs)
        a, b = X[0::2], X[1::2]
        cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        return 100 * spearmanr(cosine, gold).statistic

    fp32 = stsb_score(backend="onnx")  # equal to torch's float32 to 1e-4 (tested above)
    int8 = stsb_score(backend="onnx", quantize="int8")
    assert abs(int8 - fp32) <= 0.5, (fp32, int8)
    assert fp32 > 80  # the real model: all-MiniLM-L6-v2 scores about 82 on STS-B test


CONFIGURATIONS = {
    "torch-float32": {},
    "torch-bfloat16": {"dtype": "bfloat16"},
    "onnx-float32": {"backend": "onnx"},
    "onnx-int8": {"backend": "onnx", "quantize": "int8"},
}


@pytest.mark.parametrize("where", ["memory", "disk"])
def test_cache_never_returns_vectors_of_another_backend_dtype_or_quantisation(
    tiny_bert, tmp_path, where
):
    texts = ["A man is playing a guitar.", "The cat sat.", "Someone plays music."]
    own = {
        name: TransformerFeaturizer(tiny_bert, layers=[1, -1], cache=False, **params)
        .fit_transform(texts)
        .values
        for name, params in CONFIGURATIONS.items()
    }
    for a in own:  # the configurations really give different vectors
        for b in own:
            assert a == b or not np.array_equal(own[a], own[b]), (a, b)
    cache = DiskCache(tmp_path) if where == "disk" else None
    clear_memory_cache()
    for _ in range(2):  # the second round reads every configuration from the cache
        for name, params in CONFIGURATIONS.items():
            if where == "disk":
                clear_memory_cache()
            featurizer = TransformerFeaturizer(tiny_bert, layers=[1, -1], cache=cache, **params)
            np.testing.assert_array_equal(featurizer.fit_transform(texts).values, own[name])
    if where == "disk":
        assert len(cache) == len(CONFIGURATIONS) * len(texts)


def test_auto_dtype_is_bf16_only_on_a_cpu_with_fast_bf16(tiny_bert, monkeypatch):
    monkeypatch.setattr(_models, "cpu_has_native_bf16", lambda: True)  # not enough on its own
    for fast, expected in [(False, torch.float32), (True, torch.bfloat16)]:
        monkeypatch.setattr(_models, "cpu_has_fast_bf16", lambda fast=fast: fast)
        loaded = TransformerFeaturizer(tiny_bert, dtype="auto", device="cpu")._load_model()
        assert loaded.model.dtype == expected
    # The ONNX backend runs float32 whatever the CPU.
    onnx = TransformerFeaturizer(tiny_bert, dtype="auto", backend="onnx")._load_model()
    assert onnx.model.dtype == torch.float32


INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\n"
AMD = "processor\t: 0\nvendor_id\t: AuthenticAMD\n"


@pytest.mark.parametrize(
    ("info", "native", "fast"),
    [
        ("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512bw\n", False, False),
        (f"{INTEL}flags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n", True, False),
        (f"{INTEL}flags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile\n", True, True),
        (f"{AMD}flags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n", True, True),
        (f"{AMD}flags\t\t: fpu sse avx2 fma\n", False, False),
        ("processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n", True, False),
        ("processor\t: 0\nFeatures\t: fp asimd evtstrm crc32\n", False, False),
        ("model name\t: a bf16 lookalike in the name\n", False, False),
    ],
)
def test_cpu_flags_of_native_and_fast_bf16(info, native, fast):
    assert _cpuinfo_has_bf16(info) is native
    assert _cpuinfo_has_fast_bf16(info) is fast
