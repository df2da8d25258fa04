"""Tokenisation shared by the contextual and static featurizers.

A sequence is laid out as ``special head, template prefix, text, template
suffix, special tail``; only the text is ever cut to fit ``max_length``. The
result is flat numpy arrays (ids, roles, offsets), built without a Python loop
per token.
"""

from __future__ import annotations

import itertools
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ._tokens import TokenRole

__all__ = ["PROMPT_TEMPLATES", "Tokenized", "promptbert_sentence", "tokenize"]

#: Named prompt templates. ``[MASK]`` stands for the tokenizer's own mask token.
PROMPT_TEMPLATES = {
    # PromptBERT (Jiang et al., 2022), its two manual templates.
    "promptbert": 'This sentence : "{text}" means [MASK] .',
    "promptbert-of": 'This sentence of "{text}" means [MASK] .',
}
#: The presets whose texts pass through :func:`promptbert_sentence` first, as in PromptBERT's
#: evaluation code; a template given as a string is filled with the text unchanged.
PROMPTBERT_PRESETS = frozenset({"promptbert", "promptbert-of"})


def promptbert_sentence(text: str) -> str:
    """``text`` ended with "." unless it is empty or already ends in ``.``, ``?``, ``"`` or
    ``'`` (PromptBERT's ``evaluation.py``, before the template is filled)."""
    return text + "." if text and text[-1] not in ".?\"'" else text


def template_identity(template):
    """What a template contributes to a cache key: its text, and the sentence rule of the
    PromptBERT presets."""
    text = resolve_template(template)
    if template in PROMPTBERT_PRESETS:
        return [text, "promptbert_sentence"]
    return text


@dataclass
class Tokenized:
    """Token ids and roles of a batch of texts, CSR-like."""

    ids: np.ndarray  # (n_tokens,) int64
    roles: np.ndarray  # (n_tokens,) int8
    offsets: np.ndarray  # (n_texts + 1,) int64

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def sequence(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]


def resolve_template(template):
    """The template string of a preset name or a user template (checked)."""
    if template is None:
        return None
    text = PROMPT_TEMPLATES.get(template, template)
    if text.count("{text}") != 1:
        raise ValueError(
            "template must contain the placeholder {text} exactly once (or be one of "
            f"{sorted(PROMPT_TEMPLATES)}), got {template!r}."
        )
    return text


def tokenize(
    tokenizer,
    texts,
    *,
    template=None,
    max_length=None,
    truncation="warn",
    add_special_tokens=True,
    step="TransformerFeaturizer",
    items=None,
) -> Tokenized:
    """Tokenise ``texts`` with specials and template around each, cutting only the text.

    Parameters
    ----------
    tokenizer : transformers tokenizer
    texts : list of str
    template : str, optional
        A ``{text}`` template or preset name; ``[MASK]`` becomes the
        tokenizer's mask token. The PromptBERT presets end each text with
        "." first (:func:`promptbert_sentence`).
    max_length : int, optional
        Most tokens per sequence, everything included; None: no limit.
    truncation : {"warn", "error"}
        What to do when a text must be cut.
    add_special_tokens : bool
        Whether to add the tokenizer's special tokens ([CLS], [SEP], ...).
    step : str
        Name of the calling step, used in messages.
    items : array of int, optional
        The caller's item number of each text (for messages), when ``texts``
        are, e.g., the distinct ones of its input; default ``0..n-1``.
    """
    head, tail = _special_parts(tokenizer) if add_special_tokens else ([], [])
    prefix, suffix = _template_parts(tokenizer, resolve_template(template))
    before, after = head + prefix, suffix + tail
    roles_before = [TokenRole.SPECIAL] * len(head) + _template_roles(tokenizer, prefix)
    roles_after = _template_roles(tokenizer, suffix) + [TokenRole.SPECIAL] * len(tail)

    n = len(texts)
    if isinstance(template, str) and template in PROMPTBERT_PRESETS:
        texts = [promptbert_sentence(text) for text in texts]
    lengths, flat = _encode(tokenizer, texts)

    kept = lengths
    if max_length is not None:
        budget = max_length - len(before) - len(after)
        if budget < 0:
            raise ValueError(
                f"{step}: max_length={max_length} leaves no room for the text after the "
                f"{len(before) + len(after)} special and template tokens."
            )
        too_long = np.flatnonzero(lengths > budget)
        if too_long.size:
            item = too_long[0] if items is None else items[too_long[0]]
            message = (
                f"{step}: {too_long.size} text(s) exceed max_length={max_length} tokens and are "
                f"cut, the first being item {item}: {texts[too_long[0]]!r:.80}."
            )
            if truncation == "error":
                raise ValueError(message + " Set truncation='warn' to cut them.")
            warnings.warn(message, UserWarning, stacklevel=3)
            kept = np.minimum(lengths, budget)
            within = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            flat = flat[within < np.repeat(kept, lengths)]

    seq_lengths = kept + len(before) + len(after)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(seq_lengths, out=offsets[1:])
    ids = np.empty(offsets[-1], dtype=np.int64)
    roles = np.full(offsets[-1], TokenRole.TEXT, dtype=np.int8)
    starts = offsets[:-1]
    for k, (token, role) in enumerate(zip(before, roles_before)):
        ids[starts + k] = token
        roles[starts + k] = role
    ends = offsets[1:] - len(after)
    for k, (token, role) in enumerate(zip(after, roles_after)):
        ids[ends + k] = token
        roles[ends + k] = role
    text_positions = np.arange(len(flat)) + np.repeat(
        starts + len(before) - (np.cumsum(kept) - kept), kept
    )
    ids[text_positions] = flat
    return Tokenized(ids, roles, offsets)


#: Texts per tokenizer call when a long batch is split over threads.
_ENCODE_BLOCK = 1024
_PLAIN_BACKENDS: dict = {}


def _encode(tokenizer, texts) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of each text, without special tokens: (lengths, concatenated ids).

    The Rust tokenizer is called directly (the Python wrapper's per-text conversion costs
    more than the tokenisation itself), on blocks of texts in two threads, so that one
    block's conversion to numpy overlaps the tokenisation of the next.
    """
    backend = _plain_backend(tokenizer)
    if backend is None:
        ids = tokenizer(list(texts), add_special_tokens=False, return_attention_mask=False)
        return _flatten(ids["input_ids"])
    # ``encode_batch_fast`` skips the character offsets, which no role needs.
    encode = getattr(backend, "encode_batch_fast", backend.encode_batch)

    def block(chunk):
        return _flatten([e.ids for e in encode(chunk, add_special_tokens=False)])

    texts = list(texts)
    if len(texts) <= _ENCODE_BLOCK or (os.cpu_count() or 1) < 2:
        return block(texts)
    chunks = [texts[i : i + _ENCODE_BLOCK] for i in range(0, len(texts), _ENCODE_BLOCK)]
    with ThreadPoolExecutor(2) as pool:
        parts = list(pool.map(block, chunks))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _flatten(encoded) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    flat = itertools.chain.from_iterable(encoded)
    return lengths, np.fromiter(flat, dtype=np.int64, count=int(lengths.sum()))


def _plain_backend(tokenizer):
    """The tokenizer's Rust tokenizer without padding or truncation, or None (a slow one).

    A copy when the tokenizer has them set (its own is left alone, as other callers use
    it), made once per tokenizer and vocabulary size.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    if backend.truncation is None and backend.padding is None:
        return backend
    size = backend.get_vocab_size(with_added_tokens=True)
    cached = _PLAIN_BACKENDS.get(id(backend))
    if cached is not None and cached[0] is backend and cached[1] == size:
        return cached[2]
    from tokenizers import Tokenizer

    plain = Tokenizer.from_str(backend.to_str())
    plain.no_padding()
    plain.no_truncation()
    if len(_PLAIN_BACKENDS) > 16:
        _PLAIN_BACKENDS.clear()
    _PLAIN_BACKENDS[id(backend)] = (backend, size, plain)
    return plain


def _special_parts(tokenizer):
    """The special token ids the tokenizer puts before and after a single text."""
    probe = tokenizer("a", add_special_tokens=True, return_special_tokens_mask=True)
    ids, special = probe["input_ids"], probe["special_tokens_mask"]
    content = [i for i, flag in enumerate(special) if not flag]
    return list(ids[: content[0]]), list(ids[content[-1] + 1 :])


def _template_parts(tokenizer, template):
    if template is None:
        return [], []
    if tokenizer.mask_token is not None:
        template = template.replace("[MASK]", tokenizer.mask_token)
    prefix, suffix = template.split("{text}")
    parts = tokenizer(
        [prefix.rstrip(), suffix.lstrip()], add_special_tokens=False, return_attention_mask=False
    )["input_ids"]
    return list(parts[0]), list(parts[1])


def _template_roles(tokenizer, ids):
    mask_id = tokenizer.mask_token_id
    return [TokenRole.MASK if token == mask_id else TokenRole.TEMPLATE for token in ids]
