"""A fitted contextual pipeline as a sentence-transformers folder: the transformer, this
package's `LayerCombination` and `TokenPooling`, a `Dense` for the affine refiners and
`Normalize`."""

from __future__ import annotations

import os

import numpy as np

from .._tokenize import _special_parts
from ._fold import refuse_token_norm, vocabulary_weights
from ._steps import Steps, refiners_affine

#: Pooling methods the exported `TokenPooling` computes.
_METHODS = ("mean", "max", "cls")


def _check_featurizer(featurizer, pooler, what: str) -> None:
    if featurizer.template is not None:
        raise ValueError(
            f"{what}: cannot export TransformerFeaturizer with a template; "
            "sentence-transformers embeds the text alone."
        )
    if pooler.method not in _METHODS:
        raise ValueError(
            f"{what}: cannot export TokenPooler(method={pooler.method!r}); the exported "
            f"pooling computes {', '.join(_METHODS)}."
        )
    if pooler.weighting is not None and pooler.method != "mean":
        raise ValueError(f"{what}: a weighting applies to method='mean' only.")
    refuse_token_norm(pooler, what)


def _dense(affine, width: int):
    """The affine map as a sentence-transformers `Dense` (identity activation)."""
    import torch
    from sentence_transformers.base.modules import Dense

    matrix = np.eye(width) if affine.matrix is None else affine.matrix
    bias = np.zeros(matrix.shape[1]) if affine.bias is None else affine.bias
    return Dense(
        matrix.shape[0],
        matrix.shape[1],
        activation_function=None,
        init_weight=torch.tensor(matrix.T, dtype=torch.float32),
        init_bias=torch.tensor(bias, dtype=torch.float32),
    )


def _modules(steps: Steps, what: str) -> list:
    from sentence_transformers.base.modules import Normalize, Transformer

    from .st_modules import LayerCombination, TokenPooling

    featurizer, pooler = steps.featurizer, steps.pooler
    _check_featurizer(featurizer, pooler, what)
    affine = refiners_affine(steps.refiners, what)
    loaded = featurizer._load_model(step=what)
    head, tail = _special_parts(loaded.tokenizer)
    weights, keep_special = vocabulary_weights(pooler, loaded.vocabulary, len(head) + len(tail))
    modules = [
        Transformer(
            loaded.path,
            max_seq_length=featurizer._resolved_max_length(loaded),
            config_kwargs={"output_hidden_states": True},
        ),
        LayerCombination(featurizer._layer_indices(loaded.n_layers), featurizer.layer_combination),
        TokenPooling(
            weights,
            method=pooler.method,
            n_head=len(head),
            n_tail=len(tail),
            keep_special=keep_special,
        ),
    ]
    if affine.matrix is not None or affine.bias is not None:
        modules.append(_dense(affine, getattr(pooler, "n_features_in_", None)))
    if affine.normalize:
        modules.append(Normalize())
    return modules


def save_contextual(steps: Steps, path, what: str) -> None:
    """Write the sentence-transformers folder of a contextual pipeline."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(modules=_modules(steps, what), device="cpu")
    model.save(os.fspath(path))
