"""A fitted pipeline as an MTEB encoder (mteb's ``EncoderProtocol``)."""

from __future__ import annotations

import numpy as np


class MTEBEncoder:
    """Wrap a fitted pipeline so that ``mteb.evaluate`` runs it.

    ``encode`` embeds the ``text`` of every batch of mteb's data loader with
    ``pipeline.transform``; similarities are cosine. Build it with `to_mteb`.

    Parameters
    ----------
    pipeline : estimator
        Fitted: ``transform(texts)`` gives one vector per text.
    name : str
        The model name in mteb's results (``organisation/name``).
    revision : str
        The revision in mteb's results.
    """

    def __init__(self, pipeline, name: str, revision: str):
        from mteb.models.model_meta import ModelMeta

        self.pipeline = pipeline
        self.mteb_model_meta = ModelMeta(
            loader=None,
            name=name,
            revision=revision,
            model_type=["dense"],
            similarity_fn_name="cosine",
            languages=None,
            open_weights=True,
            release_date=None,
            n_parameters=None,
            n_embedding_parameters=None,
            memory_usage_mb=None,
            license=None,
            max_tokens=None,
            embed_dim=None,
            reference=None,
            framework=["NumPy"],
            use_instructions=False,
            public_training_code=None,
            public_training_data=None,
            training_datasets=None,
            modalities=["text"],
        )

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs):
        """Embeddings of every text of ``inputs``, in order, shape (n_texts, dim) float32."""
        texts = [text for batch in inputs for text in batch["text"]]
        return np.asarray(self.pipeline.transform(texts), dtype=np.float32)

    def similarity(self, embeddings1, embeddings2):
        """Cosine similarity of every row of ``embeddings1`` with every row of ``embeddings2``."""
        from mteb.similarity_functions import cos_sim

        return cos_sim(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1, embeddings2):
        """Cosine similarity of each pair of rows."""
        from mteb.similarity_functions import pairwise_cos_sim

        return pairwise_cos_sim(embeddings1, embeddings2)


def to_mteb(pipeline, name: str = "sklearn-sentemb/pipeline", revision: str = "1") -> MTEBEncoder:
    """A fitted pipeline as an encoder for ``mteb.evaluate``.

    Parameters
    ----------
    pipeline : estimator
        Fitted: ``transform(texts)`` gives one vector per text.
    name : str, default="sklearn-sentemb/pipeline"
        The model name in mteb's results (``organisation/name``).
    revision : str, default="1"
        The revision in mteb's results.

    Returns
    -------
    MTEBEncoder
    """
    return MTEBEncoder(pipeline, name, revision)
