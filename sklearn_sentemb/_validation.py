"""Validation of text input shared by the text-level steps."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set

import numpy as np

__all__ = ["check_texts", "valid_names"]


def check_texts(X, step: str) -> list[str]:
    """Return the texts of ``X`` as a flat list of str.

    ``X`` is a sequence of strings (list, tuple, 1-D array, pandas Series) or a
    2-D array-like of shape ``(n, 2)`` of text pairs (or ``(n, 1)``), which is
    flattened row-major: row ``2 * i`` is ``X[i, 0]``, row ``2 * i + 1`` is
    ``X[i, 1]``. This is how a pipeline embeds the sentences of STS pairs.

    A one-shot iterable (a generator) is read once, here.

    Raises
    ------
    TypeError
        If ``X`` is a single string, has no order (a set, a dict) or an item is
        not a str (None, a number, bytes); the message names ``step`` and the
        first offending item.
    ValueError
        If ``X`` has more than two dimensions or more than two columns, or a
        text is not valid Unicode (a lone surrogate such as ``"\\ud800"``).
    """
    _check_ordered(X, step)
    if hasattr(X, "to_numpy"):  # pandas Series / DataFrame
        X = X.to_numpy()
    texts = _array_items(X, step) if isinstance(X, np.ndarray) else _iterable_items(X, step)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"{step}: every item must be a str, but item {i} is "
                f"{type(text).__name__} ({text!r:.60})."
            )
    _check_unicode(texts, step)
    return texts


def _check_ordered(X, step: str) -> None:
    """Reject a single text and containers whose order is not the rows' order."""
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{step}: expected a sequence of texts, got a single {type(X).__name__}; "
            "wrap it in a list."
        )
    if isinstance(X, (Mapping, Set)):
        raise TypeError(
            f"{step}: expected an ordered sequence of texts, got a {type(X).__name__}, whose "
            "order is not the one rows come back in; pass a list (e.g. list(texts))."
        )


def _array_items(X: np.ndarray, step: str) -> list:
    """The items of a 1-D array, or of an (n, 2) or (n, 1) array read row-major."""
    if X.ndim == 2:
        if X.shape[1] not in (1, 2):
            raise ValueError(
                f"{step}: a 2-D input must have shape (n, 2) (text pairs) or (n, 1), "
                f"got shape {X.shape}."
            )
        X = X.reshape(-1)
    elif X.ndim != 1:
        raise ValueError(f"{step}: expected 1-D texts or (n, 2) pairs, got shape {X.shape}.")
    return X.tolist()


def _iterable_items(X, step: str) -> list:
    """The items of any other iterable, read once; rows (lists, tuples) as an array's."""
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"{step}: expected a sequence of texts, got {type(X).__name__}.") from None
    if items and isinstance(items[0], (list, tuple, np.ndarray)):
        return _array_items(_as_object_array(items, step), step)
    return items


def valid_names(value, valid) -> list[str] | None:
    """``value``, one name or a sequence of names, as a list; None when it is empty or has a
    name not in ``valid`` (the caller's error says which are)."""
    names = [value] if isinstance(value, str) else list(value)
    return names if names and all(name in valid for name in names) else None


def is_one_shot(X) -> bool:
    """Whether ``X`` is an iterator, which a first pass over it would exhaust."""
    return isinstance(X, Iterator)


def _check_unicode(texts: list[str], step: str) -> None:
    """Reject lone surrogates (from JSON escapes, say), which no tokenizer can encode."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError as exc:
        ends = np.cumsum([len(t) for t in texts])
        item = int(np.searchsorted(ends, exc.start, side="right"))
        position = exc.start - (int(ends[item - 1]) if item else 0)
        raise ValueError(
            f"{step}: item {item} is not valid Unicode: a lone surrogate "
            f"{texts[item][position]!r} at character {position} ({texts[item]!r:.60}); "
            "decode it properly or drop it, e.g. text.encode('utf-8', 'replace').decode()."
        ) from None


def _as_object_array(rows, step) -> np.ndarray:
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise ValueError(f"{step}: text pairs must all have the same length, got {sorted(widths)}.")
    arr = np.empty((len(rows), widths.pop()), dtype=object)
    arr[:] = rows
    return arr
