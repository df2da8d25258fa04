"""Process-wide state: everything the package keeps between calls, in one list.

Each entry names its owner module, what it holds, how it is bounded and how to clear it. The
owners keep the objects (next to the code that fills them); this module is where they are all
listed, so that nothing is kept that is not here. :func:`clear_caches` empties them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ProcessState", "clear_caches", "process_state"]


@dataclass(frozen=True)
class ProcessState:
    """One piece of process-wide state.

    Parameters
    ----------
    name : str
        What the state is, e.g. ``"hidden states"``.
    owner : str
        The module that keeps it.
    holds : str
        What one entry holds.
    bound : str
        How its size is bounded.
    clear : callable
        Empties it.
    """

    name: str
    owner: str
    holds: str
    bound: str
    clear: Callable[[], None]


def process_state() -> list[ProcessState]:
    """Every piece of state the package keeps between calls in this process.

    Examples
    --------
    >>> from sklearn_sentemb import process_state
    >>> [state.name for state in process_state()][:3]
    ['models', 'tokenizers', 'hidden states']
    """
    from . import _cache, _fit_on, _memo, _models, _onnx, _pooling, _static

    return [
        ProcessState(
            "models",
            "_models",
            "loaded tokenizers and encoders, by path, device, dtype and loading options",
            "one per distinct model configuration used",
            _models.clear_registry,
        ),
        ProcessState(
            "tokenizers",
            "_models",
            "tokenizers loaded without their model (static steps)",
            "one per distinct tokenizer used; cleared with the models",
            _models.clear_registry,
        ),
        ProcessState(
            "hidden states",
            "_cache",
            "per-layer hidden states of each text (an LRU)",
            "2 GiB by default: set_memory_cache_limit, SKLEARN_SENTEMB_MEMORY_CACHE_BYTES",
            _cache.memory_cache.clear,
        ),
        ProcessState(
            "recent outputs",
            "_cache",
            "whole TransformerFeaturizer outputs of recent calls, and per layer choice the "
            "block of every distinct text seen (grid candidates reuse them)",
            "half the hidden-state bound",
            _cache.recent_outputs.clear,
        ),
        ProcessState(
            "disk cache connections",
            "_cache",
            "open SQLite connections to DiskCache shards",
            "one per shard used",
            _cache.close_disk_caches,
        ),
        ProcessState(
            "shared disk cache",
            "_cache",
            "hidden states that worker processes share by default, in a temporary folder "
            "named in SKLEARN_SENTEMB_SHARED_CACHE (workers write it, the first process reads it)",
            "4 GiB on disk; removed when the first process exits",
            _cache.clear_shared_disk_cache,
        ),
        ProcessState(
            "refiner fits",
            "_memo",
            "learned attributes of refiners, by class, parameters and a digest of the data",
            "256 MiB (an LRU)",
            _memo.fit_memo.clear,
        ),
        ProcessState(
            "PCA decompositions",
            "_memo",
            "full PCA of the data Whitening and AllButTheTop fitted, by a digest of the data",
            "256 MiB (an LRU)",
            _memo.pca_memo.clear,
        ),
        ProcessState(
            "onnx sessions",
            "_onnx",
            "ONNX Runtime sessions of exported encoders (the graphs stay on disk)",
            "one per model, depth, output layers, quantisation and thread count used",
            _onnx.clear_sessions,
        ),
        ProcessState(
            "vocabulary flags",
            "_pooling",
            "punctuation and sub-word flags of each vocabulary seen by TokenPooler",
            "16 vocabularies",
            _pooling._FLAGS_CACHE.clear,
        ),
        ProcessState(
            "random tables",
            "_static",
            "RandomTokenEmbeddings tables, by vocabulary size, dim, distribution and seed",
            "4 tables (an LRU)",
            _static._cached_random_table.cache_clear,
        ),
        ProcessState(
            "named corpora",
            "_fit_on",
            "texts of corpora named in FitOn (e.g. 'wikitext103')",
            "4 corpora (an LRU)",
            _fit_on._named_corpus.cache_clear,
        ),
    ]


def clear_caches(*, models: bool = False) -> None:
    """Empty every cache of this process; with ``models=True`` also free the loaded models.

    Models are reloaded lazily when next needed; the disk caches' files are kept (use
    :meth:`DiskCache.clear` to remove entries).

    Parameters
    ----------
    models : bool, default=False
        Also free the loaded models and tokenizers.
    """
    for state in process_state():
        if models or state.owner != "_models":
            state.clear()
