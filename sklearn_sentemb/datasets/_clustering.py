"""Short-text clustering sets: AgNews, SearchSnippets, StackOverflow, Tweet, Biomedical,
GoogleNews."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    _check_name,
    _descr,
    _no_examples,
    _read_lines,
    _resolve_files,
    _text,
    _text_array,
)
from ._tasks import CLUSTERING_TASKS, TASKS

__all__ = ["load_clustering"]


def load_clustering(
    name: str | os.PathLike[str],
    data_home: str | os.PathLike[str] | None = None,
    return_X_y: bool = False,
    download: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load a short-text clustering data set (``label<TAB>text`` per line).

    Parameters
    ----------
    name : str or path-like
        One of ``"agnews_8000"``, ``"searchsnippets"``, ``"stackoverflow"``, ``"tweet"``,
        ``"biomedical"``, ``"googlenews_ts"``, ``"googlenews_t"``, ``"googlenews_s"``, read
        from ``data_home/<name>/<name>.tsv``; or the path of any file in the same
        ``label<TAB>text`` form. A trailing tab (StackOverflow) and Windows line ends are
        accepted; empty lines are skipped.
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    download : bool, default=False
        Download the release into ``data_home`` if the file is missing (agnews_8000,
        searchsnippets, stackoverflow, tweet).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: object array of str; ``target``: int64 indices into ``target_names``,
        which holds the file's labels (sorted numerically when they are all integers);
        ``filename``; ``DESCR``.
    (data, target) : tuple
        With ``return_X_y=True``.
    """
    if isinstance(name, str) and name in CLUSTERING_TASKS:
        folder = TASKS[name].folder
        (path,) = _resolve_files(folder, TASKS[name].files[None], data_home, download)
    else:
        path = Path(os.fspath(name)).expanduser()
        looks_like_path = not isinstance(name, str) or any(c in name for c in "/\\.")
        if not looks_like_path:
            _check_name(os.fspath(name), CLUSTERING_TASKS, "load_clustering")
        if not path.is_file():
            raise FileNotFoundError(
                f"load_clustering: {os.fspath(name)!r} is neither a known data set "
                f"({list(CLUSTERING_TASKS)}) nor an existing file."
            )
        folder = None
    texts, labels = _read_labelled_texts(path)
    target_names = sorted(set(labels), key=_label_sort_key(labels))
    index = {label: i for i, label in enumerate(target_names)}
    loaded = f"{len(texts)} texts, {len(target_names)} labels from {path.name}"
    if folder is None:
        descr = f"Short texts with labels read from {path}\n\nLoaded: {loaded}\n"
    else:
        descr = _descr(folder, loaded)
    bunch = Bunch(
        data=_text_array(texts),
        target=np.asarray([index[label] for label in labels], dtype=np.int64),
        target_names=np.asarray(target_names),
        filename=str(path),
        DESCR=descr,
    )
    if return_X_y:
        return bunch.data, bunch.target
    return bunch


def _read_labelled_texts(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    lines = _read_lines(path)
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or not label.strip():
            raise ValueError(
                f"{path}, line {lineno}: expected 'label<TAB>text', found {line[:80]!r}"
            )
        labels.append(label.strip())
        texts.append(_text(text, path, lineno, "the text"))
    if not texts:
        raise _no_examples(path, len(lines), "labelled texts")
    return texts, labels


def _label_sort_key(labels: Sequence[str]):
    if all(re.fullmatch(r"[+-]?\d+", label) for label in labels):
        return int
    return str
