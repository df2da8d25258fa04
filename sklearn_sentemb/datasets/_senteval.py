"""SentEval's classification sets: MR, CR, SUBJ, MPQA, SST-2/5, TREC, MRPC (and SICK-E)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    _check_name,
    _descr,
    _fields,
    _no_examples,
    _pair_array,
    _read_lines,
    _relative,
    _resolve_files,
    _split_paths,
    _text,
    _text_array,
)
from ._sick import _load_sicke
from ._tasks import CLASSIFICATION_TASKS, TASKS

__all__ = ["load_classification"]

# Names of the labels of the sets without an official split; the table lists the file of
# SentEval's label 1 first, the file of label 0 second.
_ONE_PER_LINE = {
    "mr": ("negative", "positive"),
    "cr": ("negative", "positive"),
    "subj": ("subjective", "objective"),
    "mpqa": ("negative", "positive"),
}
_SST_NAMES = {
    "sst2": ("negative", "positive"),
    "sst5": ("very negative", "negative", "neutral", "positive", "very positive"),
}
_TREC_CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
_MRPC_HEADER = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]


def load_classification(
    name: str,
    split: str | Sequence[str] | None = None,
    data_home: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    download: bool = False,
    *,
    keep_empty: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load a SentEval classification data set.

    Parameters
    ----------
    name : {"mr", "cr", "subj", "mpqa", "sst2", "sst5", "trec", "mrpc", "sicke"}
        The data set:

        - ``"mr"``, ``"cr"``, ``"subj"``, ``"mpqa"``: one text per line, the label given by
          the file (``rt-polarity.{pos,neg}``, ``custrev.{pos,neg}``,
          ``subj.{objective,subjective}``, ``mpqa.{pos,neg}``); no official split.
        - ``"sst2"``, ``"sst5"``: ``sentiment-{train,dev,test}``, each line
          ``text<TAB>label`` (SentEval's layout for both, and the original
          ``label text`` layout of the fine-grained release, are read).
        - ``"trec"``: ``COARSE:fine text`` lines (latin-1), label = the coarse class;
          ``train_5500.label`` (train) and ``TREC_10.label`` (test).
        - ``"mrpc"``: tab-separated with a header line (UTF-8 BOM): Quality, #1 ID, #2 ID,
          #1 String, #2 String; ``data`` holds the pairs.
        - ``"sicke"``: the entailment_judgment column of the SICK files; ``data`` holds the
          pairs. Splits ``train``, ``trial``, ``test``.
    split : str or list of str, default=None
        One or more official splits; ``None`` loads all of them (train, dev, test order) and
        the Bunch's ``split`` says which split each example is from. Must be ``None`` for
        the sets without an official split (mr, cr, subj, mpqa).
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    download : bool, default=False
        Download the official release into ``data_home`` if a file is missing.
    keep_empty : bool, default=False
        Empty lines of the one-text-per-line files (4 in CR, 3 in MPQA) are dropped by
        default, giving the counts of the data README (CR 3771, MPQA 10603): an empty text
        carries no signal and the embedding steps reject empty strings. ``True`` keeps them
        as empty-string examples, as SentEval does (CR 3775, MPQA 10606).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: object array of str, shape ``(n,)``, or ``(n, 2)`` for mrpc and sicke;
        ``target``: int64 indices into ``target_names``; ``split`` where the set has
        official splits; ``fine_label`` for trec (e.g. ``"NUM:dist"``); ``ids`` (pair ids)
        for mrpc; ``filenames``; ``DESCR``.
    (data, target) : tuple
        With ``return_X_y=True``.

    Notes
    -----
    Labels follow SentEval: 1 for positive (mr, cr, mpqa) and for objective (subj);
    TREC classes in alphabetical order; SICK-E CONTRADICTION 0, NEUTRAL 1, ENTAILMENT 2.
    """
    _check_name(name, CLASSIFICATION_TASKS, "load_classification")
    if name in _ONE_PER_LINE:
        if split is not None:
            raise ValueError(f"{name!r} has no official split; use split=None.")
        bunch = _load_one_per_line(name, data_home, download, keep_empty)
    elif name == "sicke":
        bunch = _load_sicke(split, data_home, download)
    else:
        bunch = _load_split_texts(name, split, data_home, download)
    if return_X_y:
        return bunch.data, bunch.target
    return bunch


def _load_one_per_line(
    name: str, data_home: str | os.PathLike[str] | None, download: bool, keep_empty: bool
) -> Bunch:
    task, target_names = TASKS[name], _ONE_PER_LINE[name]
    paths = _resolve_files(task.folder, task.files[None], data_home, download)
    texts: list[str] = []
    labels: list[int] = []
    for path, label in zip(paths, (1, 0)):
        lines = [line.strip() for line in _read_lines(path)]
        if not any(lines):
            raise _no_examples(path, len(lines), "texts")
        if not keep_empty:
            lines = [line for line in lines if line]
        texts += lines
        labels += [label] * len(lines)
    counts = ", ".join(
        f"{target_names[label]} {labels.count(label)}" for label in sorted(set(labels))
    )
    return Bunch(
        data=_text_array(texts),
        target=np.asarray(labels, dtype=np.int64),
        target_names=np.asarray(target_names),
        filenames=[str(p) for p in paths],
        DESCR=_descr(task.folder, f"{len(texts)} texts ({counts}) from {_relative(paths)}"),
    )


def _load_split_texts(
    name: str,
    split: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> Bunch:
    if name in _SST_NAMES:
        reader, target_names = _read_sst, _SST_NAMES[name]
    elif name == "trec":
        reader, target_names = _read_trec, _TREC_CLASSES
    else:
        reader, target_names = _read_mrpc, ("not_equivalent", "equivalent")
    splits, paths = _split_paths(name, split, data_home, download)
    parts = [reader(path, len(target_names)) for path in paths]
    out = {key: [v for part in parts for v in part[key]] for key in parts[0]}
    target = np.asarray(out.pop("target"), dtype=np.int64)
    if "second" in out:
        data = _pair_array(out.pop("first"), out.pop("second"))
    else:
        data = _text_array(out.pop("first"))
    loaded = ", ".join(f"{s} {len(p['target'])}" for s, p in zip(splits, parts))
    bunch = Bunch(
        data=data,
        target=target,
        target_names=np.asarray(target_names),
        split=_text_array([s for s, p in zip(splits, parts) for _ in p["target"]]),
        filenames=[str(p) for p in paths],
        DESCR=_descr(TASKS[name].folder, f"{loaded} examples from {_relative(paths)}"),
    )
    if "ids" in out:
        bunch.ids = _pair_array([a for a, _ in out["ids"]], [b for _, b in out["ids"]])
    if "fine_label" in out:
        bunch.fine_label = _text_array(out["fine_label"])
    return bunch


def _int_label(value: str, n_classes: int, path: Path, lineno: int) -> int:
    try:
        label = int(value)
    except ValueError:
        label = -1
    if not 0 <= label < n_classes:
        raise ValueError(
            f"{path}, line {lineno}: label {value!r} is not an integer in [0, {n_classes})."
        )
    return label


def _read_sst(path: Path, n_classes: int) -> dict[str, list]:
    out: dict[str, list] = {"first": [], "target": []}
    lines = _read_lines(path)
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if "\t" in line:  # SentEval: text<TAB>label
            text, _, label = line.rpartition("\t")
        else:  # the fine-grained release: label text
            label, _, text = line.strip().partition(" ")
        out["target"].append(_int_label(label.strip(), n_classes, path, lineno))
        out["first"].append(_text(text, path, lineno, "the text"))
    if not out["target"]:
        raise _no_examples(path, len(lines), "examples")
    return out


def _read_trec(path: Path, n_classes: int) -> dict[str, list]:
    out: dict[str, list] = {"first": [], "target": [], "fine_label": []}
    lines = _read_lines(path, encoding="latin-1")
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        head, _, text = line.partition(" ")
        coarse, sep, _ = head.partition(":")
        if not sep or coarse not in _TREC_CLASSES:
            raise ValueError(
                f"{path}, line {lineno}: expected 'COARSE:fine text' with COARSE in "
                f"{list(_TREC_CLASSES)}, found {line[:80]!r}"
            )
        out["target"].append(_TREC_CLASSES.index(coarse))
        out["fine_label"].append(head)
        out["first"].append(_text(text, path, lineno, "the question"))
    if not out["target"]:
        raise _no_examples(path, len(lines), "questions")
    return out


def _read_mrpc(path: Path, n_classes: int) -> dict[str, list]:
    out: dict[str, list] = {"first": [], "second": [], "target": [], "ids": []}
    lines = _read_lines(path)
    if not lines:
        raise _no_examples(path, 0, "sentence pairs")
    header = [h.strip() for h in lines[0].split("\t")]
    if header != _MRPC_HEADER:
        raise ValueError(f"{path}: expected the header {_MRPC_HEADER}, found {header}.")
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = _fields(line, 5, path, lineno, "Quality, #1 ID, #2 ID, #1 String, #2 String")
        out["target"].append(_int_label(fields[0].strip(), n_classes, path, lineno))
        out["ids"].append((fields[1].strip(), fields[2].strip()))
        out["first"].append(_text(fields[3], path, lineno, "#1 String"))
        out["second"].append(_text(fields[4], path, lineno, "#2 String"))
    if not out["target"]:
        raise _no_examples(path, len(lines), "sentence pairs")
    return out
