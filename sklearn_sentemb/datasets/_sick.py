"""SICK (SemEval-2014 Task 1): relatedness scores (SICK-R) and entailment labels (SICK-E)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import _fields, _load_split_pairs, _no_examples, _parse_float, _read_lines, _text

# SentEval's label order for SICK-E.
_SICK_LABELS = ("CONTRADICTION", "NEUTRAL", "ENTAILMENT")


def _load_sickr(
    split: str | Sequence[str] | None, data_home: str | os.PathLike[str] | None, download: bool
) -> Bunch:
    """The pairs of the chosen splits with their relatedness score (1-5)."""
    return _load_split_pairs("sickr", _read_sick_relatedness, split, data_home, download)


def _load_sicke(
    split: str | Sequence[str] | None, data_home: str | os.PathLike[str] | None, download: bool
) -> Bunch:
    """The pairs of the chosen splits with their entailment label, as in SentEval."""
    bunch = _load_split_pairs("sicke", _read_sick_entailment, split, data_home, download)
    bunch.target = bunch.target.astype(np.int64)
    bunch.target_names = np.asarray(_SICK_LABELS)
    return bunch


def _sick_rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, fields)`` of each pair, both sentences checked and stripped."""
    rows = []
    lines = _read_lines(path)
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = _fields(line, 5, path, lineno, "pair_ID, sentence_A, sentence_B, score, label")
        if lineno == 1 and fields[0].strip() == "pair_ID":
            continue
        fields[1] = _text(fields[1], path, lineno, "sentence_A")
        fields[2] = _text(fields[2], path, lineno, "sentence_B")
        rows.append((lineno, fields))
    if not rows:
        raise _no_examples(path, len(lines), "sentence pairs")
    return rows


def _read_sick_relatedness(path: Path) -> dict[str, list]:
    rows = _sick_rows(path)
    return {
        "first": [f[1] for _, f in rows],
        "second": [f[2] for _, f in rows],
        "target": np.asarray(
            [_parse_float(f[3].strip(), path, n, 1, 5) for n, f in rows], dtype=np.float64
        ),
    }


def _read_sick_entailment(path: Path) -> dict[str, list]:
    rows = _sick_rows(path)
    target = []
    for lineno, fields in rows:
        label = fields[4].strip()
        if label not in _SICK_LABELS:
            raise ValueError(
                f"{path}, line {lineno}: entailment_judgment {label!r} is not one of "
                f"{list(_SICK_LABELS)}."
            )
        target.append(_SICK_LABELS.index(label))
    return {
        "first": [f[1] for _, f in rows],
        "second": [f[2] for _, f in rows],
        "target": np.asarray(target, dtype=np.int64),
    }
