"""sentence-transformers modules for exported contextual pipelines.

A folder written by `to_sentence_transformers` names these classes in its ``modules.json``,
so loading it needs this package installed. Each module reads what the previous one wrote
into the features dict, as sentence-transformers' own modules do.
"""

from __future__ import annotations

import os

import torch
from safetensors.torch import load_file, save_file
from sentence_transformers.base.modules import Module

__all__ = ["LayerCombination", "TokenPooling"]


class LayerCombination(Module):
    """``token_embeddings`` from chosen hidden layers (0: the embedding layer), combined by
    mean, sum or concatenation, as `TransformerFeaturizer` does.

    Needs the transformer to output its hidden states (``all_layer_embeddings``).
    """

    config_keys = ["layers", "combination"]

    def __init__(self, layers: list[int], combination: str = "mean"):
        super().__init__()
        self.layers = [int(layer) for layer in layers]
        self.combination = combination

    def forward(self, features, **kwargs):
        hidden = features["all_layer_embeddings"]
        arrays = [hidden[layer] for layer in self.layers]
        if self.combination == "concat":
            combined = torch.cat(arrays, dim=-1)
        else:
            combined = torch.stack(arrays).sum(dim=0)
            if self.combination == "mean":
                combined = combined / len(arrays)
        features["token_embeddings"] = combined
        return features

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)


class TokenPooling(Module):
    """Pool ``token_embeddings`` into ``sentence_embedding`` as `TokenPooler` does.

    ``token_weights[id]`` is the weight of a token id in the mean (0: the id is excluded);
    the mean divides by the number of kept tokens. ``n_head``/``n_tail`` special tokens at
    each end of a sequence are left out unless ``keep_special``. ``method="cls"`` takes the
    first token, ``"max"`` the element-wise max over the kept tokens.
    """

    config_keys = ["method", "n_head", "n_tail", "keep_special"]

    def __init__(
        self,
        token_weights=None,
        *,
        method: str = "mean",
        n_head: int = 1,
        n_tail: int = 1,
        keep_special: bool = False,
        vocab_size: int | None = None,
    ):
        super().__init__()
        if token_weights is None:
            token_weights = torch.ones(vocab_size or 0)
        self.register_buffer("token_weights", torch.as_tensor(token_weights, dtype=torch.float32))
        self.method = method
        self.n_head = int(n_head)
        self.n_tail = int(n_tail)
        self.keep_special = bool(keep_special)

    def _kept(self, features) -> torch.Tensor:
        """Weight of each (text, position): 0 for padding and excluded tokens."""
        mask = features["attention_mask"].to(self.token_weights.dtype)
        weights = self.token_weights[features["input_ids"]] * mask
        if not self.keep_special:
            positions = torch.arange(mask.shape[1], device=mask.device)[None, :]
            lengths = mask.sum(dim=1, keepdim=True)
            text = (positions >= self.n_head) & (positions < lengths - self.n_tail)
            weights = weights * text
        return weights

    def forward(self, features, **kwargs):
        tokens = features["token_embeddings"]
        if self.method == "cls":
            features["sentence_embedding"] = tokens[:, 0]
            return features
        weights = self._kept(features).to(tokens.dtype)
        kept = weights > 0
        if self.method == "max":
            masked = tokens.masked_fill(~kept[..., None], float("-inf")).max(dim=1).values
            pooled = torch.where(kept.any(dim=1, keepdim=True), masked, torch.zeros_like(masked))
        else:
            counts = kept.sum(dim=1, keepdim=True).clamp(min=1).to(tokens.dtype)
            pooled = (tokens * weights[..., None]).sum(dim=1) / counts
        features["sentence_embedding"] = pooled
        return features

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)
        save_file(
            {"token_weights": self.token_weights.contiguous()},
            os.path.join(output_path, "model.safetensors"),
        )

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs):
        hub = {
            key: kwargs[key]
            for key in ("token", "cache_folder", "revision", "local_files_only")
            if key in kwargs
        }
        config = cls.load_config(model_name_or_path, subfolder=subfolder, **hub)
        path = cls.load_file_path(
            model_name_or_path, filename="model.safetensors", subfolder=subfolder, **hub
        )
        weights = load_file(path)["token_weights"]
        return cls(weights, **{key: config[key] for key in cls.config_keys})
