"""The yearly STS tasks (SemEval STS 2012-2016) and :func:`load_sts`, which also reads STS-B
and SICK-R."""

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
    _parse_float,
    _read_lines,
    _relative,
    _resolve_files,
    _select,
    _text,
    _text_array,
    get_data_home,
)
from ._sick import _load_sickr
from ._stsb import _load_stsb
from ._tasks import STS_TASKS, STS_YEARS, TASKS

__all__ = ["load_sts"]


def load_sts(
    name: str,
    split: str | Sequence[str] | None = None,
    subset: str | Sequence[str] | None = None,
    data_home: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    download: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load a semantic textual similarity data set: sentence pairs with gold scores.

    Parameters
    ----------
    name : {"sts12", "sts13", "sts14", "sts15", "sts16", "stsb", "sickr"}
        The data set. The yearly tasks are read from ``STS.input.<subset>.txt`` and
        ``STS.gs.<subset>.txt`` (STS 2016: ``STS2016.input.<subset>.txt``, or the ``STS.``
        names SentEval renames them to); ``"stsb"`` from ``stsb/sts-{train,dev,test}.csv``;
        ``"sickr"`` (SICK relatedness) from the SICK files in the folder ``sick``.
    split : str or list of str, default=None
        ``"train"``, ``"dev"``, ``"test"`` for STS-B; ``"train"``, ``"trial"``, ``"test"``
        for SICK; the yearly tasks have only ``"test"``. ``None`` loads every split, in
        that order.
    subset : str or list of str, default=None
        For the yearly tasks only: the subsets to load (e.g. ``"MSRpar"``); ``None`` loads
        them all, in the order SentEval uses.
    data_home : str or path-like, default=None
        See :func:`get_data_home`. STS-B dev and test fall back to the copy shipped with the
        package when the file is missing; ``"bundled"`` reads that copy only.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    download : bool, default=False
        Download the official release into ``data_home`` if a file is missing.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: ``(n_pairs, 2)`` object array of str; ``target``: float64 gold scores;
        ``subset`` (yearly tasks) or ``split`` (STS-B, SICK): the subset/split of each pair;
        ``genre`` (STS-B); ``filenames``; ``DESCR``.
    (data, target) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        A file is missing; the message names the file, the folder searched and where the
        release is published.

    Notes
    -----
    A pair whose gold line is empty has no gold score and is dropped (STS 2015 and 2016
    leave most input lines unscored). STS-B lines may carry extra tab-separated fields after
    the second sentence; they are ignored. Nothing is unquoted: quotes are part of the text.
    Sentences are stripped of surrounding whitespace.

    Examples
    --------
    >>> from sklearn_sentemb.datasets import load_sts
    >>> sts = load_sts("stsb", split="test", data_home="bundled")
    >>> sts.data.shape, sts.target.dtype
    ((1379, 2), dtype('float64'))
    """
    _check_name(name, STS_TASKS, "load_sts")
    if name in STS_YEARS:
        _select(split, TASKS[name].splits, "split", name)
        bunch = _load_sts_year(name, subset, data_home, download)
    else:
        if subset is not None:
            raise ValueError(f"subset is only for the yearly STS tasks, not {name!r}.")
        load = _load_stsb if name == "stsb" else _load_sickr
        bunch = load(split, data_home, download)
    if return_X_y:
        return bunch.data, bunch.target
    return bunch


def _load_sts_year(
    name: str,
    subset: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> Bunch:
    task = TASKS[name]
    subsets = _select(subset, task.subsets, "subset", name)
    files = task.files["test"]
    release = dict(zip(task.subsets, zip(files[::2], files[1::2])))
    root = Path(get_data_home(data_home)) / task.folder
    names = []
    for sub in subsets:
        pair = release[sub]
        # STS 2016 keeps its own file names; SentEval renames them to the STS. scheme.
        renamed = tuple("STS." + file.split(".", 1)[1] for file in pair)
        if not (root / pair[0]).is_file() and (root / renamed[0]).is_file():
            pair = renamed
        names += pair
    paths = _resolve_files(task.folder, names, data_home, download)
    first, second, gold, labels = [], [], [], []
    for sub, input_path, gs_path in zip(subsets, paths[::2], paths[1::2]):
        a, b, g = _read_sts_pairs(input_path, gs_path)
        first += a
        second += b
        gold += g
        labels += [sub] * len(g)
    loaded = f"{len(gold)} scored pairs from {_relative(paths)}"
    return Bunch(
        data=_pair_array(first, second),
        target=np.asarray(gold, dtype=np.float64),
        subset=_text_array(labels),
        filenames=[str(p) for p in paths],
        DESCR=_descr(name, loaded),
    )


def _read_sts_pairs(input_path: Path, gs_path: Path) -> tuple[list[str], list[str], list[float]]:
    """Pairs of one yearly subset: input line i is scored by gold line i (blank: no gold)."""
    inputs = _read_lines(input_path)
    gold = _read_lines(gs_path)
    if not inputs:
        raise _no_examples(input_path, 0, "sentence pairs")
    # Trailing blank gold lines past the input's end carry no information.
    while len(gold) > len(inputs) and not gold[-1].strip():
        gold.pop()
    if len(gold) != len(inputs):
        raise ValueError(
            f"{gs_path} has {len(gold)} lines but {input_path} has {len(inputs)}: the gold "
            "file must have one line (possibly empty) per input pair."
        )
    first, second, scores = [], [], []
    for lineno, (line, score) in enumerate(zip(inputs, gold), start=1):
        score = score.strip()
        if not score:
            continue
        fields = _fields(line, 2, input_path, lineno, "two sentences")
        scores.append(_parse_float(score.split()[0], gs_path, lineno, 0, 5))
        first.append(_text(fields[0], input_path, lineno, "the first sentence"))
        second.append(_text(fields[1], input_path, lineno, "the second sentence"))
    if not scores:
        raise _no_examples(gs_path, len(gold), "gold scores")
    return first, second, scores
