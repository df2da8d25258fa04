"""Write a folded token table as a model2vec folder or a sentence-transformers
`StaticEmbedding` folder."""

from __future__ import annotations

import os

from ._fold import FoldedTable


def _model2vec():
    try:
        import model2vec
    except ImportError as exc:
        raise ImportError(
            "to_model2vec needs model2vec: pip install 'sklearn-sentemb[export]'"
        ) from exc
    return model2vec


def save_model2vec(folded: FoldedTable, path, base_model: str | None) -> None:
    """``folded`` as a folder that ``model2vec.StaticModel.from_pretrained`` loads."""
    model2vec = _model2vec()
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "hidden_dim": int(folded.table.shape[1]),
        "exported_by": "sklearn-sentemb",
    }
    model = model2vec.StaticModel(
        folded.table,
        folded.tokenizer,
        config=config,
        normalize=folded.normalize,
        base_model_name=base_model,
        max_length=folded.max_length,
    )
    model.save_pretrained(os.fspath(path))


def save_static_sentence_transformers(folded: FoldedTable, path) -> None:
    """``folded`` as a sentence-transformers folder: `StaticEmbedding`, then `Normalize`."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(folded.tokenizer.to_str())
    if folded.max_length is not None:  # kept in tokenizer.json, which StaticEmbedding reads
        tokenizer.enable_truncation(folded.max_length)
    modules = [StaticEmbedding(tokenizer, embedding_weights=folded.table)]
    if folded.normalize:
        modules.append(Normalize())
    SentenceTransformer(modules=modules, device="cpu").save(os.fspath(path))
