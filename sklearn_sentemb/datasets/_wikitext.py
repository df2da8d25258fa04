"""WikiText-103, the unlabelled corpus the learned steps can be fitted on."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ._base import _no_examples, _read_lines, _resolve_files, _select

__all__ = ["load_corpus"]

#: The release file of each split.
_WIKITEXT_FILES = {split: f"wiki.{split}.tokens" for split in ("train", "valid", "test")}

_SENTENCE_END = re.compile(r"(?<=\s[.!?])\s+(?=\S)")


def _is_count(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def _is_heading(line: str) -> bool:
    """WikiText section headings look like ' = Title = ' or ' = = Section = = '."""
    return line.startswith("= ") and line.endswith(" =")


def load_corpus(
    name: str | os.PathLike[str] = "wikitext103",
    split: str | Sequence[str] = ("valid", "test"),
    data_home: str | os.PathLike[str] | None = None,
    sentence_split: bool = False,
    max_sentences: int | None = None,
    min_tokens: int = 1,
    download: bool = False,
) -> list[str]:
    """Load an unlabelled text corpus (WikiText-103) as a list of strings.

    Used to fit corpus statistics (averaged token vectors, idf weights, whitening).

    Parameters
    ----------
    name : "wikitext103" or path-like, default="wikitext103"
        WikiText-103 (files ``wikitext103/wiki.<split>.tokens``), or the path of any text
        file with one paragraph per line, read the same way.
    split : str or sequence of str, default=("valid", "test")
        WikiText-103 splits, from ``"train"``, ``"valid"``, ``"test"``, concatenated in the
        given order. Ignored for a path.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    sentence_split : bool, default=False
        Split each paragraph into sentences after every whitespace-separated ``.``, ``!``
        or ``?`` (the text is tokenised, so a sentence ends in `` . ``; abbreviations such
        as ``H. americanus`` stay whole). Otherwise each paragraph line is one item.
    max_sentences : int, default=None
        Keep only the first ``max_sentences`` items, in file order.
    min_tokens : int, default=1
        Drop items with fewer whitespace-separated tokens.
    download : bool, default=False
        Download WikiText-103 into ``data_home`` if a file is missing.

    Returns
    -------
    texts : list of str
        Paragraphs (or sentences), stripped of surrounding whitespace, without the empty
        lines and the `` = Heading = `` lines. The tokenisation of the release (``@-@``,
        ``<unk>``) is kept as it is.
    """
    if max_sentences is not None and not _is_count(max_sentences):
        raise ValueError(
            f"load_corpus: max_sentences must be None or a non-negative int, got {max_sentences!r}."
        )
    if not _is_count(min_tokens):
        raise ValueError(f"load_corpus: min_tokens must be a non-negative int, got {min_tokens!r}.")
    texts: list[str] = []
    for unit in _units(_corpus_paths(name, split, data_home, download), sentence_split):
        if max_sentences is not None and len(texts) >= max_sentences:
            break
        if len(unit.split()) >= min_tokens:
            texts.append(unit)
    return texts


def _corpus_paths(name, split, data_home, download) -> list[Path]:
    """The files of WikiText-103's splits, or the one file ``name``."""
    if isinstance(name, str) and name == "wikitext103":
        splits = _select(split, list(_WIKITEXT_FILES), "split", name)
        return _resolve_files(
            "wikitext103", [_WIKITEXT_FILES[s] for s in splits], data_home, download
        )
    path = Path(os.fspath(name)).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"load_corpus: {os.fspath(name)!r} is neither 'wikitext103' nor an existing file."
        )
    return [path]


def _units(paths, sentence_split: bool) -> Iterator[str]:
    """The paragraphs (or sentences) of each file in turn, read when the previous ones are
    used up; a file without any paragraph raises."""
    for path in paths:
        lines = _read_lines(path)
        paragraphs = [line for line in map(str.strip, lines) if line and not _is_heading(line)]
        if not paragraphs:
            raise _no_examples(path, len(lines), "paragraphs")
        for line in paragraphs:
            yield from _SENTENCE_END.split(line) if sentence_split else [line]
