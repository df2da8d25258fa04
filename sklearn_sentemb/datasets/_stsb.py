"""STS Benchmark (STS-B): sentence pairs with gold similarity scores, train/dev/test."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import _fields, _load_split_pairs, _no_examples, _parse_float, _read_lines, _text


def _load_stsb(
    split: str | Sequence[str] | None, data_home: str | os.PathLike[str] | None, download: bool
) -> Bunch:
    """The pairs of the chosen splits, with their ``genre``."""
    return _load_split_pairs("stsb", _read_stsb, split, data_home, download)


def _read_stsb(path: Path) -> dict[str, list]:
    out: dict[str, list] = {"first": [], "second": [], "target": [], "genre": []}
    lines = _read_lines(path)
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = _fields(line, 7, path, lineno, "genre, file, year, id, score, s1, s2")
        out["target"].append(_parse_float(fields[4].strip(), path, lineno, 0, 5))
        out["first"].append(_text(fields[5], path, lineno, "s1"))
        out["second"].append(_text(fields[6], path, lineno, "s2"))
        out["genre"].append(fields[0].strip())
    if not out["target"]:
        raise _no_examples(path, len(lines), "sentence pairs")
    out["target"] = np.asarray(out["target"], dtype=np.float64)
    return out
