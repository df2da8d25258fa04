"""Cache of per-layer hidden states, in memory and optionally on disk.

An entry holds the hidden states of one text under one model configuration,
one array ``(n_tokens, dim)`` per layer. The key of a configuration is a hash of
the model's fingerprint (its files on disk and loading options), the template, ``max_length`` and
the dtype, so changing any of them never returns stale vectors.

On disk an entry is one file, written to a temporary name and renamed into
place (readers never see half a file, several processes may share the folder),
and it starts with a digest of its content: a damaged file is detected, removed
and recomputed.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
import warnings
from collections import OrderedDict

import numpy as np

__all__ = ["HiddenStateCache", "memory_cache", "set_memory_cache_limit", "clear_memory_cache"]

_MAGIC = b"SENTEMB2"
_DIGEST = 16
DEFAULT_MEMORY_LIMIT = 2 * 1024**3


def _hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST).digest()


class _MemoryStore:
    """Process-wide LRU bounded in bytes; ``size(value)`` gives a value's bytes."""

    def __init__(self, max_bytes: int, size=lambda layers: sum(a.nbytes for a in layers.values())):
        self.max_bytes = max_bytes
        self.n_bytes = 0
        self._size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, value, merge=None):
        """Store ``value``; ``merge(old, value)`` combines it with an existing entry."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.n_bytes -= self._size(old)
                if merge is not None:
                    value = merge(old, value)
            size = self._size(value)
            if size > self.max_bytes:
                return
            self._entries[key] = value
            self.n_bytes += size
            self._evict()

    def resize(self, max_bytes: int):
        with self._lock:
            self.max_bytes = max_bytes
            self._evict()

    def _evict(self):
        while self.n_bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self.n_bytes -= self._size(evicted)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self.n_bytes = 0

    def __len__(self):
        return len(self._entries)


memory_cache = _MemoryStore(
    int(os.environ.get("SKLEARN_SENTEMB_MEMORY_CACHE_BYTES", DEFAULT_MEMORY_LIMIT))
)
# Whole featurizer outputs of recent calls: a grid search transforms the same fold texts
# with the same layers once per pooler and refiner candidate.
recent_outputs = _MemoryStore(
    DEFAULT_MEMORY_LIMIT // 2, size=lambda tokens: tokens.values.nbytes + 9 * len(tokens.token_ids)
)


def _merge_layers(old, new):
    return {**old, **new}


def set_memory_cache_limit(n_bytes: int) -> None:
    """Bound the in-memory hidden-state cache of this process (default 2 GiB).

    The environment variable ``SKLEARN_SENTEMB_MEMORY_CACHE_BYTES`` sets the
    bound at import. Least recently used entries are dropped first; ``0``
    disables the in-memory cache. Half of the bound again holds the
    outputs of the most recent featurizer calls (a grid search repeats them
    for each pooler and refiner candidate).
    """
    memory_cache.resize(int(n_bytes))
    recent_outputs.resize(int(n_bytes) // 2)


def clear_memory_cache() -> None:
    """Drop every hidden state held in memory by this process."""
    memory_cache.clear()
    recent_outputs.clear()


class _DiskStore:
    def __init__(self, location):
        self.root = os.path.join(os.path.expanduser(os.fspath(location)), "sentemb_hidden_states")

    def _path(self, config_key: str, text: str) -> str:
        name = hashlib.blake2b(_text_bytes(text), digest_size=16).hexdigest()
        return os.path.join(self.root, config_key, name[:2], name + ".npz")

    def get(self, config_key, text):
        path = self._path(config_key, text)
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except FileNotFoundError:
            return None
        head = len(_MAGIC) + _DIGEST
        payload = blob[head:]
        try:
            if blob[: len(_MAGIC)] != _MAGIC or blob[len(_MAGIC) : head] != _hash(payload):
                raise ValueError("digest mismatch")
            with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
                if npz["text"].tobytes() != _text_bytes(text):
                    raise ValueError("text mismatch")
                return {int(k[6:]): npz[k] for k in npz.files if k.startswith("layer_")}
        except Exception:
            warnings.warn(
                f"Hidden-state cache: damaged entry {path} removed; it will be recomputed.",
                RuntimeWarning,
                stacklevel=4,
            )
            _remove(path)
            return None

    def contains(self, config_key, text) -> bool:
        return os.path.isfile(self._path(config_key, text))

    def put(self, config_key, text, layers):
        path = self._path(config_key, text)
        existing = self.get(config_key, text) or {}
        if set(layers) <= set(existing):
            return
        layers = {**existing, **layers}
        buf = io.BytesIO()
        # The text as UTF-8 bytes: a numpy str array would drop trailing NULs.
        text_array = np.frombuffer(_text_bytes(text), dtype=np.uint8)
        np.savez(buf, text=text_array, **{f"layer_{k}": v for k, v in layers.items()})
        blob = _MAGIC + _hash(buf.getvalue()) + buf.getvalue()
        for attempt in range(2):
            try:
                _write_atomically(path, blob)
                return
            except FileNotFoundError:
                if attempt == 0:  # the folder was removed meanwhile: make it again
                    continue
                error = "its folder keeps disappearing"
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"
            warnings.warn(
                f"Hidden-state cache: could not write {path} ({error}); this text's hidden "
                "states are used without being cached.",
                RuntimeWarning,
                stacklevel=4,
            )
            return


def _text_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _write_atomically(path: str, blob: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


class HiddenStateCache:
    """Hidden states per (configuration, text, layer): memory first, then disk.

    Parameters
    ----------
    location : str, path or None
        Folder of the disk cache; None keeps entries in memory only.
    use_memory : bool
        Whether to use the process-wide in-memory cache.
    """

    def __init__(self, location=None, use_memory=True):
        self.disk = _DiskStore(location) if location is not None else None
        self.use_memory = use_memory

    @property
    def location(self) -> str | None:
        """Folder of the disk cache, or None."""
        return self.disk.root if self.disk is not None else None

    def get(self, config_key: str, text: str, layers) -> dict[int, np.ndarray] | None:
        """The arrays of ``layers`` for ``text``, or None unless all are cached."""
        key = (config_key, text)
        if self.use_memory:
            entry = memory_cache.get(key)
            if entry is not None and all(layer in entry for layer in layers):
                if self.disk is not None and not self.disk.contains(config_key, text):
                    self.disk.put(config_key, text, entry)  # the folder given must hold it
                return entry
        if self.disk is not None:
            entry = self.disk.get(config_key, text)
            if entry is not None and all(layer in entry for layer in layers):
                if self.use_memory:
                    memory_cache.put(key, entry, merge=_merge_layers)
                return entry
        return None

    def put(self, config_key: str, text: str, layers: dict[int, np.ndarray]) -> None:
        """Store ``layers`` (layer index -> array) of ``text``, merged with any stored."""
        if self.use_memory:
            memory_cache.put((config_key, text), layers, merge=_merge_layers)
        if self.disk is not None:
            self.disk.put(config_key, text, layers)
