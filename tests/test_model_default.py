"""make_recipe("model-default"): the model's own sentence-transformers configuration,
checked against ``SentenceTransformer(model).encode``."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sklearn_sentemb.recipes import make_recipe


def test_model_default_reproduces_sentence_transformers(minilm_path, stsb_sentences):
    from sentence_transformers import SentenceTransformer

    texts = stsb_sentences[:60] + ["word " * 300]  # longer than the model's 256 tokens
    pipe = make_recipe("model-default", minilm_path)
    assert pipe.get_params()["tokens__max_length"] == 256
    with pytest.warns(UserWarning, match="exceed max_length=256"):
        got = pipe.fit_transform(texts)
    expected = SentenceTransformer(minilm_path, device="cpu").encode(texts)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_model_default_reads_cls_pooling_and_no_normalize(minilm_path, tmp_path):
    """A copy of the model with CLS pooling (new-style config) and no Normalize module."""
    from sentence_transformers import SentenceTransformer

    folder = tmp_path / "cls-model"
    shutil.copytree(minilm_path, folder)
    modules = json.loads((folder / "modules.json").read_text())
    (folder / "modules.json").write_text(json.dumps(modules[:2]))
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"embedding_dimension": 384, "pooling_mode": "cls"})
    )
    texts = ["A man is playing a guitar.", "Someone slices an onion.", "Dogs run in a park."]
    pipe = make_recipe("model-default", folder)
    assert pipe.named_steps["pool"].method == "cls"
    assert pipe.named_steps["refine"] == "passthrough"
    expected = SentenceTransformer(str(folder), device="cpu").encode(texts)
    np.testing.assert_allclose(pipe.fit_transform(texts), expected, atol=1e-5)


def test_model_default_of_a_plain_transformer_is_what_sentence_transformers_makes(tiny_bert):
    """A folder without modules.json: sentence-transformers pools the mean of every token."""
    from sentence_transformers import SentenceTransformer

    texts = ["A man is playing a guitar.", "Someone slices an onion.", "Dogs run in a park."]
    pipe = make_recipe("model-default", tiny_bert)
    expected = SentenceTransformer(tiny_bert, device="cpu").encode(texts)
    np.testing.assert_allclose(pipe.fit_transform(texts), expected, atol=1e-5)


def test_model_default_refuses_pooling_it_cannot_reproduce(tiny_bert, tmp_path):
    folder = tmp_path / "weighted"
    shutil.copytree(tiny_bert, folder)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "weightedmean"}))
    with pytest.raises(
        ValueError, match=r"model-default'\): the model pools with \['weightedmean'\]"
    ):
        make_recipe("model-default", folder)
