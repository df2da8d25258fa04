"""A copy of the data home with each task cut to the study's caps, in the releases' formats."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np

from sklearn_sentemb.datasets import CLASSIFICATION_TASKS, CLUSTERING_TASKS, TASKS

from .settings import STS_YEARS, StudySettings

__all__ = ["build_capped_data_home", "choose"]

# Release folder -> its files, from the package's task table (the layout its loaders read).
_STSB, _SICK = TASKS["stsb"], TASKS["sicke"]  # SICK-R reads the same files as SICK-E
_CLUSTERING = {TASKS[name].folder: TASKS[name].filenames for name in CLUSTERING_TASKS}
_ONE_PER_LINE = {  # one text per line, one file per label
    TASKS[name].folder: TASKS[name].files[None]
    for name in CLASSIFICATION_TASKS
    if not TASKS[name].splits
}
_SPLIT_FILES = {  # one file per split
    TASKS[name].folder: TASKS[name].filenames
    for name in CLASSIFICATION_TASKS
    if TASKS[name].splits and TASKS[name].folder != _SICK.folder
}


def choose(n_items: int, k: int | None, key: str, seed: int) -> np.ndarray:
    """Sorted indices of a seeded sample of ``k`` of ``n_items`` (all when k is None)."""
    if k is None or k >= n_items:
        return np.arange(n_items)
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    return np.sort(rng.choice(n_items, size=k, replace=False))


def _raw_lines(path: Path) -> list[bytes]:
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + (b"\n" if lines else b""))


def _proportional(sizes: list[int], total: int | None) -> list[int | None]:
    """Split a cap over parts in proportion to their sizes (None: no cap)."""
    if total is None or total >= sum(sizes):
        return [None] * len(sizes)
    return [max(1, round(total * n / sum(sizes))) for n in sizes]


def _cap_file(src: Path, dst: Path, cap: int | None, seed: int, header: int = 0) -> None:
    if cap is None:
        os.symlink(src, dst)
        return
    lines = _raw_lines(src)
    body = [line for line in lines[header:] if line.strip()]
    keep = choose(len(body), cap, f"{src.parent.name}/{src.name}", seed)
    _write_lines(dst, lines[:header] + [body[i] for i in keep])


def _cap_sts_year(src: Path, dst: Path, settings: StudySettings) -> None:
    """A yearly STS task: its pairs cap spread over the subsets in proportion."""
    seed = settings.seed
    inputs = sorted(src.glob("*.input.*.txt"))
    scored = {}
    for path in inputs:
        gold = _raw_lines(path.with_name(path.name.replace(".input.", ".gs.")))
        lines = _raw_lines(path)
        scored[path] = [i for i in range(min(len(lines), len(gold))) if gold[i].strip()]
    caps = _proportional([len(v) for v in scored.values()], settings.sts_pairs)
    for path, k in zip(inputs, caps):
        gs = path.with_name(path.name.replace(".input.", ".gs."))
        if k is None:
            os.symlink(path, dst / path.name)
            os.symlink(gs, dst / gs.name)
            continue
        rows = [scored[path][i] for i in choose(len(scored[path]), k, str(path.name), seed)]
        lines, gold = _raw_lines(path), _raw_lines(gs)
        _write_lines(dst / path.name, [lines[i] for i in rows])
        _write_lines(dst / gs.name, [gold[i] for i in rows])


def _cap_stsb(src: Path, dst: Path, settings: StudySettings) -> None:
    """STS-B: the test pairs capped, train and dev whole."""
    for path in src.iterdir():
        cap = settings.sts_pairs if path.name in _STSB.files["test"] else None
        _cap_file(path, dst / path.name, cap, settings.seed)


def _cap_sick(src: Path, dst: Path, settings: StudySettings) -> None:
    """SICK: test capped as STS pairs, the other splits as classification examples."""
    caps = {
        file: settings.sts_pairs if split == "test" else settings.classification_examples
        for split, files in _SICK.files.items()
        for file in files
    }
    for path in src.iterdir():
        header = 1 if path.name in caps else 0
        _cap_file(path, dst / path.name, caps.get(path.name), settings.seed, header)


def _cap_clustering(src: Path, dst: Path, settings: StudySettings) -> None:
    for path in src.iterdir():
        cap = settings.clustering_texts if path.name in _CLUSTERING[src.name] else None
        _cap_file(path, dst / path.name, cap, settings.seed)


def _cap_one_per_line(src: Path, dst: Path, settings: StudySettings) -> None:
    """A task with one file per label: the cap spread over the files in proportion."""
    files = [src / f for f in _ONE_PER_LINE[src.name] if (src / f).is_file()]
    sizes = [sum(1 for line in _raw_lines(p) if line.strip()) for p in files]
    caps = dict(zip(files, _proportional(sizes, settings.classification_examples)))
    for path in src.iterdir():
        _cap_file(path, dst / path.name, caps.get(path), settings.seed)


def _cap_split_files(src: Path, dst: Path, settings: StudySettings) -> None:
    """A task with one file per split: each split capped (MRPC's files keep their header)."""
    for path in src.iterdir():
        capped = path.name in _SPLIT_FILES[src.name]
        cap = settings.classification_examples if capped else None
        header = int(src.name == "mrpc" and capped)
        _cap_file(path, dst / path.name, cap, settings.seed, header=header)


def _capper(name: str):
    """How the release folder ``name`` is capped; None: it is linked as it is."""
    if name in STS_YEARS:
        return _cap_sts_year
    if name == _STSB.folder:
        return _cap_stsb
    if name == _SICK.folder:
        return _cap_sick
    if name in _CLUSTERING:
        return _cap_clustering
    if name in _ONE_PER_LINE:
        return _cap_one_per_line
    return _cap_split_files if name in _SPLIT_FILES else None


def build_capped_data_home(source, target, settings: StudySettings) -> None:
    """Write a copy of ``source`` with each task cut to the caps of ``settings``.

    Files that are not capped are symbolic links to the originals; capped files keep the
    release's format (and header line), holding a seeded sample of its lines in file
    order, so the package's loaders read them as they read the release.
    """
    source, target = Path(source), Path(target)
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        out = target / folder.name
        capper = _capper(folder.name)
        if capper is None:
            os.symlink(folder, out)
        else:
            out.mkdir()
            capper(folder, out, settings)
