"""Sentence embeddings from pretrained transformer models as scikit-learn estimators.

Importing the package does not import torch: the model-backed steps load it lazily.
"""

__version__ = "0.1.0"

__all__ = [
    "__version__",
]
