"""A model's own sentence-transformers configuration, read from its folder (no import of
sentence-transformers): ``modules.json``, the pooling config, ``max_seq_length``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ._models import resolve_model

#: The legacy boolean keys of a pooling config and the mode each turns on.
_LEGACY_MODES = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


@dataclass
class SentenceTransformerConfig:
    """What ``SentenceTransformer(model).encode`` does after the transformer."""

    pooling_modes: list[str]
    include_prompt: bool
    normalize: bool
    max_seq_length: int | None
    other_modules: list[str]  # module types besides Transformer, Pooling and Normalize


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _pooling_modes(config: dict) -> list[str]:
    mode = config.get("pooling_mode")
    if mode is not None:
        return [mode] if isinstance(mode, str) else list(mode)
    return [name for key, name in _LEGACY_MODES.items() if config.get(key)]


def read_sentence_transformers_config(model, step: str) -> SentenceTransformerConfig:
    """The sentence-transformers configuration of ``model`` (hub id or folder). A folder
    without ``modules.json`` gets what sentence-transformers gives it: a mean of every token,
    no normalisation, the model's own length limit."""
    folder = resolve_model(model, step=step)
    modules_path = os.path.join(folder, "modules.json")
    if not os.path.isfile(modules_path):
        return SentenceTransformerConfig(["mean"], True, False, None, [])
    pooling, normalize, others = {}, False, []
    for module in _read_json(modules_path):
        kind = module["type"].rsplit(".", 1)[-1]
        if kind == "Pooling":
            pooling = _read_json(os.path.join(folder, module["path"], "config.json"))
        elif kind == "Normalize":
            normalize = True
        elif kind != "Transformer":
            others.append(module["type"])
    max_seq_length = None
    bert_config = os.path.join(folder, "sentence_bert_config.json")
    if os.path.isfile(bert_config):
        max_seq_length = _read_json(bert_config).get("max_seq_length")
    return SentenceTransformerConfig(
        _pooling_modes(pooling) or ["mean"],
        bool(pooling.get("include_prompt", True)),
        normalize,
        max_seq_length,
        others,
    )
