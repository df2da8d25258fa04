"""Tokenisation shared by the contextual and static featurizers.

A sequence is laid out as ``special head, template prefix, text, template
suffix, special tail``; only the text is ever cut to fit ``max_length``. The
result is flat numpy arrays (ids, roles, offsets), built without a Python loop
per token.
"""

from __future__ import annotations

import itertools
import warnings
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
    """
    head, tail = _special_parts(tokenizer) if add_special_tokens else ([], [])
    prefix, suffix = _template_parts(tokenizer, resolve_template(template))
    before, after = head + prefix, suffix + tail
    roles_before = [TokenRole.SPECIAL] * len(head) + _template_roles(tokenizer, prefix)
    roles_after = _template_roles(tokenizer, suffix) + [TokenRole.SPECIAL] * len(tail)

    n = len(texts)
    filled = texts
    if isinstance(template, str) and template in PROMPTBERT_PRESETS:
        filled = [promptbert_sentence(text) for text in texts]
    encoded = _encode(tokenizer, filled) if n else []
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    flat = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.int64, count=lengths.sum())

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
            message = (
                f"{step}: {too_long.size} text(s) exceed max_length={max_length} tokens and are "
                f"cut, the first being item {too_long[0]}: {texts[too_long[0]]!r:.80}."
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


def _encode(tokenizer, texts) -> list[list[int]]:
    """Token ids of each text, without special tokens."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and backend.truncation is None and backend.padding is None:
        # The Rust tokenizer directly: the Python wrapper's per-text conversion costs more
        # than the tokenisation itself.
        return [e.ids for e in backend.encode_batch(list(texts), add_special_tokens=False)]
    return tokenizer(list(texts), add_special_tokens=False, return_attention_mask=False)[
        "input_ids"
    ]


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
