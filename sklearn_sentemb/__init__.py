"""Sentence embeddings from pretrained transformer models as scikit-learn estimators.

Importing the package does not import torch: the model-backed steps load it lazily.
"""

from ._bert2static import BERT2Static
from ._cache import DiskCache, clear_memory_cache, get_memory_cache_limit, set_memory_cache_limit
from ._featurize import TransformerFeaturizer
from ._fit_on import FitOn
from ._mixer import TokenMixer
from ._pooling import TokenPooler
from ._refine import AllButTheTop, CommonComponentRemoval, Whitening
from ._state import ProcessState, clear_caches, process_state
from ._static import (
    AveragedTokenEmbeddings,
    InputTokenEmbeddings,
    RandomTokenEmbeddings,
    WordVectors,
    load_glove,
)
from ._tokenize import PROMPT_TEMPLATES
from ._tokens import TokenEmbeddings, TokenRole

__version__ = "0.1.0"

__all__ = [
    "AllButTheTop",
    "AveragedTokenEmbeddings",
    "BERT2Static",
    "CommonComponentRemoval",
    "DiskCache",
    "FitOn",
    "InputTokenEmbeddings",
    "PROMPT_TEMPLATES",
    "ProcessState",
    "RandomTokenEmbeddings",
    "TokenEmbeddings",
    "TokenMixer",
    "TokenPooler",
    "TokenRole",
    "TransformerFeaturizer",
    "Whitening",
    "WordVectors",
    "__version__",
    "clear_caches",
    "clear_memory_cache",
    "get_memory_cache_limit",
    "load_glove",
    "process_state",
    "set_memory_cache_limit",
]
