"""Cache of per-layer hidden states, in memory and optionally on disk.

An entry holds the hidden states of one text under one model configuration,
one array ``(n_tokens, dim)`` per layer. The key of a configuration is a hash of
the model's fingerprint (its files on disk and loading options), the template,
``max_length``, the dtype, the backend (torch or ONNX Runtime) and the quantisation, so
changing any of them never returns stale vectors.

On disk (:class:`DiskCache`) the entries are rows of a few SQLite databases (shards), one
per text and layer beside an index row per text naming its layers, written in transactions
(readers never see half an entry, several processes may share the folder), bounded in
size, and each starts with a digest of its content: a damaged entry or shard is detected,
removed and recomputed.

Worker processes (``GridSearchCV(n_jobs=2)``: joblib's processes, multiprocessing's) share
hidden states without a ``cache`` being given: the process that imports the package first
names a temporary folder in the environment, its worker processes inherit the name, write
what they compute there and read what the others computed (:func:`shared_disk_cache`); the
folder is removed when that first process exits.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import itertools
import math
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
import warnings
import zlib
from collections import OrderedDict
from numbers import Integral

import numpy as np

__all__ = [
    "DiskCache",
    "HiddenStateCache",
    "clear_memory_cache",
    "get_memory_cache_limit",
    "memory_cache",
    "set_memory_cache_limit",
]

_MAGIC = b"SENTEMB4"
#: Entries in an earlier layout: read as absent, without a warning, and overwritten.
_OLD_MAGICS = (b"SENTEMB2", b"SENTEMB3")
_DIGEST = 4
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
DEFAULT_DISK_LIMIT = 16 * 1024**3
#: Bound on the temporary folder worker processes share (see ``shared_disk_cache``).
SHARED_DISK_LIMIT = 4 * 1024**3
#: Environment variable naming the shared folder: ``"<pid of its owner>:<folder>"``.
SHARED_CACHE_ENV = "SKLEARN_SENTEMB_SHARED_CACHE"


def _hash(data: bytes) -> bytes:
    """CRC-32 of ``data``: it detects damage at a quarter of a cryptographic hash's cost."""
    return zlib.crc32(data).to_bytes(_DIGEST, "little")


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
recent_outputs = _MemoryStore(DEFAULT_MEMORY_LIMIT // 2, size=lambda tokens: tokens.nbytes)


def _merge_layers(old, new):
    return {**old, **new}


def set_memory_cache_limit(n_bytes: int) -> None:
    """Bound the in-memory hidden-state cache of this process (default 2 GiB).

    The environment variable ``SKLEARN_SENTEMB_MEMORY_CACHE_BYTES`` sets the
    bound at import. Least recently used entries are dropped first; ``0``
    disables the in-memory cache. Half of the bound again holds the
    outputs of the most recent featurizer calls (a grid search repeats them
    for each pooler and refiner candidate).

    Parameters
    ----------
    n_bytes : int
        The bound in bytes.
    """
    memory_cache.resize(int(n_bytes))
    recent_outputs.resize(int(n_bytes) // 2)


def get_memory_cache_limit() -> int:
    """The bound, in bytes, of this process's in-memory hidden-state cache."""
    return memory_cache.max_bytes


def clear_memory_cache() -> None:
    """Drop every hidden state held in memory by this process."""
    memory_cache.clear()
    recent_outputs.clear()


class DiskCache:
    """A folder of hidden states shared by processes: entries grouped in a few SQLite shards.

    Pass it (or just the folder) as ``TransformerFeaturizer(cache=...)``. Each text's hidden
    states are one entry of one of ``n_shards`` SQLite databases (through ``diskcache``): a row
    per layer, so that a call for one layer reads that layer alone. 10,000 texts take a few
    dozen files, a lookup is an index query, and several processes
    read and write the same folder safely (SQLite's transactions make every write atomic).
    Each entry starts with a digest of its content: a damaged entry, or a damaged shard, is
    detected, removed with a warning and recomputed.

    Parameters
    ----------
    location : str or path
        Folder of the cache (created when needed); the shards live in its
        ``sentemb_hidden_states`` subfolder.
    max_bytes : int, default=16 GiB
        Bound on the stored size; the least recently stored entries are evicted first.
    n_shards : int, default=8
        Number of SQLite databases the entries are spread over (more shards, fewer writers
        waiting on one another).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_sentemb import DiskCache, TransformerFeaturizer
    >>> cache = DiskCache(tempfile.mkdtemp(), max_bytes=2**30)
    >>> _ = TransformerFeaturizer(cache=cache).transform(["A man plays a guitar."])
    >>> len(cache)
    1
    >>> cache.clear(); len(cache)
    0
    """

    def __init__(self, location, *, max_bytes=DEFAULT_DISK_LIMIT, n_shards=8):
        if not isinstance(location, (str, os.PathLike)):
            raise TypeError(f"DiskCache: location must be a folder path, got {location!r:.60}.")
        if not (isinstance(max_bytes, Integral) and max_bytes > 0):
            raise ValueError(f"DiskCache: max_bytes must be a positive int, got {max_bytes!r}.")
        if not (isinstance(n_shards, Integral) and 1 <= n_shards <= 256):
            raise ValueError(f"DiskCache: n_shards must be an int in 1..256, got {n_shards!r}.")
        self.location = os.fspath(location)
        self.max_bytes = int(max_bytes)
        self.n_shards = int(n_shards)
        self._sqlite = {}  # diskcache's SQLite settings: a write-ahead log, synced (NORMAL)

    def __repr__(self):
        return f"DiskCache({self.location!r}, max_bytes={self.max_bytes}, n_shards={self.n_shards})"

    def __eq__(self, other):
        return isinstance(other, DiskCache) and self._identity() == other._identity()

    def __hash__(self):
        return hash(self._identity())

    def _identity(self):
        return (self.root, self.max_bytes, self.n_shards)

    @property
    def root(self) -> str:
        return os.path.join(os.path.expanduser(self.location), "sentemb_hidden_states")

    # -- whole cache -------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of texts stored (under all configurations)."""
        return sum(self._call(i, _count_texts) or 0 for i in range(self.n_shards))

    def volume(self) -> int:
        """Bytes the shards take on disk."""
        return sum(self._call(i, lambda shard: shard.volume()) or 0 for i in range(self.n_shards))

    def clear(self) -> None:
        """Remove every entry."""
        for i in range(self.n_shards):
            self._call(i, lambda shard: shard.clear(retry=True))

    # -- entries -----------------------------------------------------------------------
    # A text's entry is one row per layer (a reader of some layers reads only theirs) and an
    # index row naming the stored layers.
    def get(self, config_key: str, text: str, layers=None):
        """The layer arrays stored for ``text`` under ``config_key``: those of ``layers`` (all
        when None), or None unless every one of them is stored."""
        key, shard = self._key(config_key, text)

        def read(cache):
            index = self._read(cache, shard, key, text)
            if index is None:
                return None
            wanted = index[0] if layers is None else [int(k) for k in layers]
            if not set(wanted) <= set(index[0]):
                return None
            arrays = {}
            for k in wanted:
                row = self._read(cache, shard, _layer_key(key, k), text)
                if row is None or k not in row[1]:  # evicted apart from its index, or damaged
                    cache.delete(key, retry=True)  # the text reads as absent, is stored anew
                    return None
                arrays[k] = row[1][k]
            return arrays

        return self._call(shard, read)

    def contains(self, config_key: str, text: str) -> bool:
        key, shard = self._key(config_key, text)
        return bool(self._call(shard, lambda cache: self._read(cache, shard, key, text)))

    def put(self, config_key: str, text: str, layers: dict) -> None:
        """Store ``layers`` of ``text``, beside the layers already stored."""
        key, shard = self._key(config_key, text)

        def write(cache):
            with cache.transact(retry=True):
                index = self._read(cache, shard, key, text)
                # A layer row may have been evicted apart from its index.
                listed = index[0] if index is not None else []
                stored = {k for k in listed if _layer_key(key, k) in cache}
                new = {int(k): array for k, array in layers.items() if k not in stored}
                if not new:
                    return
                for k, array in new.items():
                    cache.set(_layer_key(key, k), _encode(text, [k], [array]), retry=True)
                cache.set(key, _encode(text, sorted(stored | set(new)), []), retry=True)

        self._call(shard, write)

    def _read(self, cache, shard: int, key: str, text: str):
        """The (keys, arrays) of row ``key``, or None: absent, of an earlier layout, or
        damaged (then removed, with a warning)."""
        blob = cache.get(key, retry=True)
        if blob is None or blob[: len(_MAGIC)] in _OLD_MAGICS:
            return None
        try:
            return _decode(blob, text)
        except Exception:
            warnings.warn(
                f"Hidden-state cache: damaged entry in {self._shard_dir(shard)} removed; it "
                "will be recomputed.",
                RuntimeWarning,
                stacklevel=5,
            )
            cache.delete(key, retry=True)
            return None

    # -- shards ------------------------------------------------------------------------
    def _key(self, config_key: str, text: str) -> tuple[str, int]:
        digest = hashlib.blake2b(_text_bytes(text), digest_size=16).hexdigest()
        return f"{config_key}/{digest}", int(digest[:8], 16) % self.n_shards

    def _shard_dir(self, i: int) -> str:
        return os.path.join(self.root, f"shard-{i:03d}")

    def _call(self, i: int, operation):
        """Run ``operation`` on shard ``i``; a damaged or vanished shard is made anew."""
        for attempt in range(2):
            try:
                return operation(self._shard(i))
            except (sqlite3.DatabaseError, OSError) as exc:
                _SHARDS.pop((os.getpid(), self._shard_dir(i)), None)
                if attempt == 0 and not os.path.isdir(self._shard_dir(i)):
                    continue  # the folder was removed meanwhile: make it again
                full = "full" in str(exc)  # "database or disk is full": not damage
                if attempt == 0 and isinstance(exc, sqlite3.DatabaseError) and not full:
                    warnings.warn(
                        f"Hidden-state cache: damaged shard {self._shard_dir(i)} ({exc}) "
                        "removed; its entries will be recomputed.",
                        RuntimeWarning,
                        stacklevel=5,
                    )
                    shutil.rmtree(self._shard_dir(i), ignore_errors=True)
                    continue
                warnings.warn(
                    f"Hidden-state cache: cannot use {self._shard_dir(i)} "
                    f"({type(exc).__name__}: {exc}); hidden states are used without caching.",
                    RuntimeWarning,
                    stacklevel=5,
                )
                return None
        return None

    def _shard(self, i: int):
        directory = self._shard_dir(i)
        key = (os.getpid(), directory)  # SQLite connections must not cross a fork
        shard = _SHARDS.get(key)
        if shard is not None and not os.path.exists(os.path.join(directory, "cache.db")):
            # The folder was removed or cleaned: writes through the old connection would land
            # in a deleted file and be lost.
            shard.close()
            shard = None
        if shard is None:
            import diskcache

            shard = diskcache.Cache(
                directory,
                size_limit=max(self.max_bytes // self.n_shards, 1),
                eviction_policy="least-recently-stored",
                disk_min_file_size=2**62,  # every entry inside the database, no file per text
                statistics=False,
                **self._sqlite,
            )
            _SHARDS[key] = shard
        return shard


#: Open shards of this process, by (pid, folder).
_SHARDS: dict = {}


def close_disk_caches() -> None:
    """Close this process's connections to every disk cache (they reopen when needed)."""
    while _SHARDS:
        _, shard = _SHARDS.popitem()
        shard.close()


def _layer_key(key: str, layer: int) -> str:
    return f"{key}#{layer}"


def _count_texts(cache) -> int:
    """Index rows of a shard: the texts it holds."""
    return sum("#" not in key.rpartition("/")[2] for key in cache.iterkeys())


def _encode(text: str, keys, arrays) -> bytes:
    """Magic, digest, then ``.npy`` arrays one after another: the text's UTF-8 bytes (a numpy
    str array would drop trailing NULs), the keys, and the arrays (none in an index row, one
    per key in a layer row), of any shape and dtype (plain ``.npy``, not archive members:
    several times faster to write and read).

    The arrays' bytes are copied once, into the entry, each starting a multiple of 64 bytes
    into it (the headers are padded for that), so that the views ``_decode`` hands out are
    aligned.
    """
    head = [np.frombuffer(_text_bytes(text), dtype=np.uint8), np.array(keys, dtype=np.int64)]
    parts = []
    offset = len(_MAGIC) + _DIGEST
    for array in head + [_c_ordered(a) for a in arrays]:
        header = _npy_header_bytes(array.dtype, array.shape, offset % _ALIGN)
        parts += [header, array.reshape(-1).view(np.uint8)]
        offset += len(header) + array.nbytes
    digest = 0
    for part in parts:
        digest = zlib.crc32(part, digest)
    return b"".join([_MAGIC, digest.to_bytes(_DIGEST, "little"), *parts])


def _decode(blob: bytes, text: str) -> tuple[list[int], dict]:
    """The keys of an entry and its arrays by key, read-only views of ``blob`` (no copy)."""
    head = len(_MAGIC) + _DIGEST
    view = memoryview(blob)
    if blob[: len(_MAGIC)] != _MAGIC or blob[len(_MAGIC) : head] != _hash(view[head:]):
        raise ValueError("digest mismatch")
    arrays = []
    offset = head
    while offset < len(blob):
        array, offset = _read_npy(view, offset)
        arrays.append(array)
    if len(arrays) < 2 or arrays[0].tobytes() != _text_bytes(text):
        raise ValueError("text mismatch")
    keys = [int(k) for k in arrays[1]]
    if len(arrays) > 2 and len(keys) != len(arrays) - 2:
        raise ValueError("keys and arrays differ in number")
    return keys, dict(zip(keys, arrays[2:]))


def _read_npy(view: memoryview, offset: int) -> tuple[np.ndarray, int]:
    """The ``.npy`` array at ``offset`` of ``view`` (a view of it) and where the next starts."""
    if bytes(view[offset : offset + 6]) != b"\x93NUMPY":
        raise ValueError("not an .npy array")
    major = view[offset + 6]
    size = 2 if major == 1 else 4
    length = int.from_bytes(view[offset + 8 : offset + 8 + size], "little")
    start = offset + 8 + size + length
    shape, fortran, dtype = _npy_header(major, bytes(view[offset + 8 : start]))
    count = math.prod(shape)
    array = np.frombuffer(view, dtype=dtype, count=count, offset=start)
    array = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
    return array, start + count * dtype.itemsize


#: Where in an entry each array's data starts: a multiple of this many bytes.
_ALIGN = 64


def _c_ordered(array) -> np.ndarray:
    array = np.asarray(array)
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


@functools.lru_cache(maxsize=4096)
def _npy_header_bytes(dtype: np.dtype, shape: tuple, at: int) -> bytes:
    """The ``.npy`` (version 1.0) header of a C-ordered array of ``dtype`` and ``shape``,
    padded with spaces (as the format allows) so that a header starting ``at`` bytes past a
    multiple of ``_ALIGN`` ends on one."""
    descr = np.lib.format.dtype_to_descr(dtype)
    text = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * ((-(at + 10 + len(text) + 1)) % _ALIGN) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


@functools.lru_cache(maxsize=4096)
def _npy_header(major: int, header: bytes) -> tuple:
    """(shape, fortran_order, dtype) of an ``.npy`` header (parsing one costs more than
    reading its array; entries of texts of the same length share theirs)."""
    if major == 1:
        return np.lib.format.read_array_header_1_0(io.BytesIO(header))
    return np.lib.format.read_array_header_2_0(io.BytesIO(header))


def _text_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _name_shared_folder() -> None:
    """Name the shared folder in the environment unless a parent process named it already.

    Only named here: the folder is made by the first worker that writes to it. Worker
    processes started later inherit the environment, hence the name.
    """
    if os.environ.get(SHARED_CACHE_ENV, "").partition(":")[2]:
        return
    folder = os.path.join(_shared_parent(), f"sklearn_sentemb-{os.getpid()}-{secrets.token_hex(4)}")
    os.environ[SHARED_CACHE_ENV] = f"{os.getpid()}:{folder}"
    atexit.register(_remove_shared_folder, os.getpid(), folder)


def _shared_parent() -> str:
    """Where the shared folder goes: the memory-backed /dev/shm when it has room for twice
    its bound (as joblib puts its memory-mapped arrays there), else the temporary folder.

    Worker processes write each text's hidden states there and the others read them: a
    7-layer MiniLM entry took 4 ms to write to a VM's disk, under 1.3 ms to /dev/shm.
    """
    try:
        if os.access(_SHM, os.W_OK) and shutil.disk_usage(_SHM).free >= 2 * SHARED_DISK_LIMIT:
            return _SHM
    except OSError:
        pass
    return tempfile.gettempdir()


_SHM = "/dev/shm"


def _remove_shared_folder(owner: int, folder: str) -> None:
    if os.getpid() == owner:  # not in a forked child that exits normally
        close_disk_caches()
        shutil.rmtree(folder, ignore_errors=True)


_name_shared_folder()


def shared_disk_cache() -> tuple[DiskCache | None, bool]:
    """The disk cache worker processes share by default, and whether this process writes to it.

    A worker process (any process but the one that named the folder) reads and writes it;
    the owner reads it only once it exists (after a parallel search, its refit finds the
    workers' hidden states), so that a serial run pays nothing for it. None when the folder
    is not named, or is absent in the owner.
    """
    owner, _, folder = os.environ.get(SHARED_CACHE_ENV, "").partition(":")
    if not folder:
        return None, False
    writes = owner != str(os.getpid())
    if not writes and not os.path.isdir(folder):
        return None, False
    if writes:
        _let_loky_worker_keep_caches()
    cache = DiskCache(folder, max_bytes=SHARED_DISK_LIMIT)
    # A temporary folder, often in memory: a rollback journal without syncs survives a
    # process that dies mid-write and costs half of SQLite's write-ahead log.
    cache._sqlite = {"sqlite_journal_mode": "delete", "sqlite_synchronous": 0}
    return cache, writes


def _let_loky_worker_keep_caches() -> None:
    """Keep a loky worker process (joblib's default) from restarting as it fills the caches.

    After each task a loky worker compares its memory with its size after the first task and,
    300 MB past it, takes the growth for a leak and restarts, losing the model and every
    cached hidden state, so that a grid search reloads and re-reads them again and again. The
    caches here grow by design and are bounded: that bound is added to the allowance.
    """
    executor = sys.modules.get("joblib.externals.loky.process_executor")
    allowance = getattr(executor, "_MAX_MEMORY_LEAK_SIZE", None)
    if not isinstance(allowance, int):
        return
    bound = _LOKY_LEAK_ALLOWANCE + memory_cache.max_bytes + recent_outputs.max_bytes
    if allowance < bound:
        executor._MAX_MEMORY_LEAK_SIZE = bound


#: loky's own allowance for memory growth in a worker (``_MAX_MEMORY_LEAK_SIZE``).
_LOKY_LEAK_ALLOWANCE = int(3e8)


def clear_shared_disk_cache() -> None:
    """Remove every entry of the shared disk cache, when this process may see it."""
    disk, _ = shared_disk_cache()
    if disk is not None and os.path.isdir(disk.root):
        disk.clear()


_worker_rank: list[int] = []


def worker_rank(folder: str) -> int:
    """This process's rank among the processes writing to ``folder`` (0, 1, 2, ... by arrival).

    Workers start their missing texts at different points (see ``start_fraction``), so that
    two workers that need the same texts compute different ones first.
    """
    if not _worker_rank or _worker_rank[0] != os.getpid():
        os.makedirs(folder, exist_ok=True)
        for rank in itertools.count():
            try:
                os.close(os.open(os.path.join(folder, f"worker-{rank}"), os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                continue
            _worker_rank[:] = [os.getpid(), rank]
            break
    return _worker_rank[1]


def start_fraction(rank: int) -> float:
    """Where worker ``rank`` starts in its list: 0, 1/2, 1/4, 3/4, ... (van der Corput)."""
    fraction, base = 0.0, 0.5
    while rank:
        fraction += base * (rank & 1)
        rank >>= 1
        base /= 2
    return fraction


class HiddenStateCache:
    """Hidden states per (configuration, text, layer): memory first, then disk.

    Parameters
    ----------
    location : str, path, DiskCache or None
        The disk cache (a folder: a ``DiskCache`` with the default bound); None keeps
        entries in memory only.
    use_memory : bool
        Whether to use the process-wide in-memory cache.
    writes_disk : bool
        Whether entries computed or found in memory are written to the disk cache (False: it
        is only read).
    shared : bool
        Whether the disk cache is the one worker processes share by default.
    """

    def __init__(self, location=None, use_memory=True, *, writes_disk=True, shared=False):
        if location is None or isinstance(location, DiskCache):
            self.disk = location
        else:
            self.disk = DiskCache(location)
        self.use_memory = use_memory
        self.writes_disk = writes_disk
        self.shared = shared

    @classmethod
    def default(cls) -> HiddenStateCache:
        """Memory, and the disk cache worker processes share (see ``shared_disk_cache``)."""
        disk, writes = shared_disk_cache()
        return cls(disk, writes_disk=writes, shared=disk is not None)

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
                if self._writes() and not self.disk.contains(config_key, text):
                    self.disk.put(config_key, text, entry)  # the folder given must hold it
                return entry
        if self.disk is not None:
            entry = self.disk.get(config_key, text, layers)
            if entry is not None:
                if self.use_memory:
                    memory_cache.put(key, entry, merge=_merge_layers)
                return entry
        return None

    def put(self, config_key: str, text: str, layers: dict[int, np.ndarray]) -> None:
        """Store ``layers`` (layer index -> array) of ``text``, merged with any stored."""
        if self.use_memory:
            memory_cache.put((config_key, text), layers, merge=_merge_layers)
        if self._writes():
            self.disk.put(config_key, text, layers)

    def on_disk(self, config_key: str, text: str) -> bool:
        """Whether the disk cache holds ``text`` (another process may have stored it)."""
        return self.disk is not None and self.disk.contains(config_key, text)

    def _writes(self) -> bool:
        return self.disk is not None and self.writes_disk
