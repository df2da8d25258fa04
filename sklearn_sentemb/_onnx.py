"""ONNX Runtime backend: the encoder exported up to a depth and run by onnxruntime.

A graph is exported once per model fingerprint, depth and output layers (TorchScript
exporter: it follows the same layer hooks as the torch path, so the graph stops after the
deepest requested layer), optionally quantised to int8 with onnxruntime's dynamic
quantisation, and kept on disk under :func:`onnx_cache_folder`; each process then holds one
session per graph.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

__all__ = ["ONNX_CACHE_ENV", "OnnxEncoder", "load_onnx_encoder", "onnx_cache_folder"]

#: Environment variable naming the folder of exported graphs.
ONNX_CACHE_ENV = "SKLEARN_SENTEMB_ONNX_CACHE"
# Part of every graph's key: a new exporter or graph layout never reuses an old file.
_FORMAT = 1
_OPSET = 17

_SESSIONS: dict[tuple, OnnxEncoder] = {}
_LOCK = threading.Lock()


def onnx_cache_folder() -> Path:
    """Folder of the exported graphs: ``$SKLEARN_SENTEMB_ONNX_CACHE``, else
    ``$XDG_CACHE_HOME/sklearn_sentemb/onnx`` (``~/.cache/sklearn_sentemb/onnx``)."""
    given = os.environ.get(ONNX_CACHE_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "sklearn_sentemb" / "onnx"


def import_onnxruntime(step: str):
    """onnxruntime, or an ImportError naming the extra that installs it."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            f"{step}: backend='onnx' needs onnxruntime and onnx; install them with "
            "pip install 'sklearn-sentemb[onnx]'."
        ) from exc
    return onnxruntime


class OnnxEncoder:
    """An onnxruntime session giving the hidden states ``layers`` of padded batches."""

    def __init__(self, session, layers):
        self.session = session
        self.layers = list(layers)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> list[np.ndarray]:
        """Hidden states of each of ``layers``, shape ``(batch, width, dim)``, float32."""
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        return [out.astype(np.float32, copy=False) for out in self.session.run(None, feeds)]


def load_onnx_encoder(loaded, depth: int, layers, quantize=None, step="TransformerFeaturizer"):
    """The session (one per process) running ``loaded``'s encoder up to layer ``depth``.

    Parameters
    ----------
    loaded : LoadedModel
        The torch model, on the CPU in float32: the source of the export.
    depth : int
        Deepest layer the graph runs.
    layers : list of int
        Hidden states the graph outputs, in this order.
    quantize : None or "int8"
        Dynamic int8 quantisation of the weights (onnxruntime's ``quantize_dynamic``).
    """
    ort = import_onnxruntime(step)
    import torch

    threads = torch.get_num_threads()
    key = (loaded.fingerprint, depth, tuple(layers), quantize, threads)
    with _LOCK:
        encoder = _SESSIONS.get(key)
        if encoder is None:
            path = exported_graph(loaded, depth, layers, quantize)
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.log_severity_level = 3  # errors only: no notes on fused or unused nodes
            session = ort.InferenceSession(
                os.fspath(path), options, providers=["CPUExecutionProvider"]
            )
            encoder = _SESSIONS[key] = OnnxEncoder(session, layers)
    return encoder


def graph_folder(loaded, depth: int, layers) -> Path:
    """Where the graph of ``loaded`` up to ``depth`` with outputs ``layers`` is kept."""
    import torch
    import transformers

    options = [_FORMAT, _OPSET, depth, list(layers), torch.__version__, transformers.__version__]
    digest = hashlib.blake2b(json.dumps(options).encode(), digest_size=8).hexdigest()
    return onnx_cache_folder() / f"{loaded.fingerprint}-{digest}"


def exported_graph(loaded, depth: int, layers, quantize=None) -> Path:
    """Path of the exported (and, with ``quantize="int8"``, quantised) graph, made if missing."""
    folder = graph_folder(loaded, depth, layers)
    graph = folder / "model.onnx"
    if not graph.is_file():
        _export(loaded, depth, layers, folder)
    if quantize is None:
        return graph
    quantized = folder / f"model-{quantize}.onnx"
    if not quantized.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = folder / f".model-{quantize}-{os.getpid()}.onnx"
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # its advice to pre-process goes to the root logger
        try:
            quantize_dynamic(graph, partial, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(previous)
        os.replace(partial, quantized)  # readers see the whole file or none
    return quantized


def _layers_module(loaded, depth, layers):
    """A module (for the exporter) returning the hidden states ``layers`` of ``loaded``."""
    import torch

    from ._featurize import _run_layers

    class Layers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = loaded.model

        def forward(self, input_ids, attention_mask):
            captured = _run_layers(loaded, input_ids, attention_mask, depth)
            return tuple(captured[k] for k in layers)

    return Layers().eval()  # the exporter restores this mode on the shared model afterwards


def _export(loaded, depth, layers, folder: Path) -> None:
    """Export into a fresh folder renamed to ``folder`` at the end (no half-written graph)."""
    import torch

    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    # A padded batch: traced masking code must see padding to keep the mask in the graph.
    input_ids = torch.full((2, 8), 100, dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 5:] = 0
    names = [f"hidden_state_{k}" for k in layers]
    axes = {name: {0: "batch", 1: "tokens"} for name in ["input_ids", "attention_mask", *names]}
    try:
        with loaded.lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shapes, the legacy exporter's notice
            torch.onnx.export(
                _layers_module(loaded, depth, layers),
                (input_ids, attention_mask),
                os.fspath(partial / "model.onnx"),
                # TorchScript tracing: torch.export cannot trace the exception that stops the
                # encoder after layer `depth`.
                dynamo=False,
                input_names=["input_ids", "attention_mask"],
                output_names=names,
                dynamic_axes=axes,
                opset_version=_OPSET,
            )
        loaded.model.eval()
        try:
            os.rename(partial, folder)
        except OSError:  # another process exported it meanwhile
            if not (folder / "model.onnx").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def clear_sessions() -> None:
    """Forget this process's onnxruntime sessions."""
    with _LOCK:
        _SESSIONS.clear()
