"""What every loader shares: the data home, the release files' strict reading, the Bunch."""

from __future__ import annotations

import codecs
import math
import os
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._validation import valid_names
from ._tasks import TASKS, card

#: Value of ``data_home`` that selects the copy of STS-B dev/test shipped with the package.
BUNDLED = "bundled"

_DATA_HOME_ENV = "SKLEARN_SENTEMB_DATA"
_DEFAULT_DATA_HOME = os.path.join("~", "sentemb_data")


def _descr(folder: str, loaded: str) -> str:
    """The ``DESCR`` of a Bunch: the release's data set card, then what was loaded."""
    return f"{card(folder)}\nLoaded: {loaded}\n"


def _card_title_and_source(folder: str) -> tuple[str, str]:
    lines = card(folder).splitlines()
    source = next(line for line in lines if line.startswith("Source: "))
    return lines[0], source.removeprefix("Source: ")


# --------------------------------------------------------------------------------------
# Locating files
# --------------------------------------------------------------------------------------


def _bundled_dir() -> Path:
    return Path(str(resources.files("sklearn_sentemb").joinpath("data")))


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> str:
    """Return the folder the loaders read data sets from.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. ``None`` means the environment variable ``SKLEARN_SENTEMB_DATA``
        if it is set and not empty, else ``~/sentemb_data``. ``"bundled"`` means the data
        shipped inside the package (STS-B dev and test). ``~`` is expanded.

    Returns
    -------
    data_home : str
        Absolute path of the folder. It is not created: the loaders only read, and a
        download creates it.
    """
    if data_home is None:
        data_home = os.environ.get(_DATA_HOME_ENV) or _DEFAULT_DATA_HOME
    if not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(
            f"get_data_home: data_home must be None, a str or a path, got "
            f"{type(data_home).__name__}."
        )
    if os.fspath(data_home) == "":
        raise ValueError(
            "get_data_home: data_home is an empty string; pass None for the default folder."
        )
    if os.fspath(data_home) == BUNDLED:
        return str(_bundled_dir())
    return os.path.abspath(os.path.expanduser(os.fspath(data_home)))


def _data_home_origin(data_home: str | os.PathLike[str] | None) -> str:
    if data_home is not None:
        return "from the data_home parameter"
    if os.environ.get(_DATA_HOME_ENV):
        return f"from the {_DATA_HOME_ENV} environment variable"
    return f"the default; set data_home or {_DATA_HOME_ENV} to change it"


def _resolve_files(
    folder: str,
    names: Sequence[str],
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> list[Path]:
    """Paths of ``folder/name`` for each name, downloading or falling back as documented."""
    from ._download import DOWNLOADS, fetch_dataset  # _download imports this module

    root = Path(get_data_home(data_home))
    paths = [root / folder / name for name in names]
    if download and not all(p.is_file() for p in paths):
        if _is_bundled(data_home):
            raise ValueError("download=True cannot write into data_home='bundled'.")
        if folder in DOWNLOADS:
            fetch_dataset(folder, data_home=data_home)
    bundled = _bundled_dir() / folder
    resolved = []
    for name, path in zip(names, paths):
        if path.is_file():
            resolved.append(path)
        elif (bundled / name).is_file():
            resolved.append(bundled / name)
        else:
            raise _missing_file_error(folder, path, root, data_home, download)
    return resolved


def _is_bundled(data_home: str | os.PathLike[str] | None) -> bool:
    if data_home is None:
        data_home = os.environ.get(_DATA_HOME_ENV)
    return data_home is not None and os.fspath(data_home) == BUNDLED


def _missing_file_error(
    folder: str,
    path: Path,
    root: Path,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> FileNotFoundError:
    from ._download import DOWNLOADS

    title, source = _card_title_and_source(folder)
    msg = (
        f"{title}: file {path.name!r} not found. Expected it at {path} "
        f"(data_home {root}, {_data_home_origin(data_home)}). The official release is "
        f"published at {source}. "
    )
    if _is_bundled(data_home):
        return FileNotFoundError(
            msg + "data_home='bundled' holds only STS-B dev and test; point data_home at a "
            "folder holding the release's files."
        )
    if folder not in DOWNLOADS:
        msg += (
            f"Automatic download is not available for this data set: put the release's "
            f"file(s) into {root / folder}."
        )
    elif download:
        msg += "The download finished without providing this file."
    else:
        urls = ", ".join(sorted({r.url for r in DOWNLOADS[folder]}))
        msg += (
            f"Pass download=True to fetch it from {urls} into {root}, or put the release's "
            f"files into {root / folder}."
        )
    if folder == "stsb":
        msg += " STS-B dev and test also ship with the package: data_home='bundled'."
    return FileNotFoundError(msg)


# --------------------------------------------------------------------------------------
# Reading text
# --------------------------------------------------------------------------------------


def _read_lines(path: Path, encoding: str | None = None) -> list[str]:
    r"""Lines of a text file, split on "\n" only, without line ends ("\r\n" too) or BOM.

    ``encoding=None`` reads UTF-8 and decodes a line that is not valid UTF-8 as cp1252
    (undefined bytes become U+FFFD), so that a stray byte costs one character, not the
    file. Splitting on "\n" alone keeps characters such as U+0085 or form feeds, which
    ``str.splitlines`` would treat as line ends, inside their line.

    Every release file ends its last line with a line break, so a file that does not was
    cut short (an interrupted copy): its last line would be a cut sentence, and is refused
    with a ``ValueError``, as is a NUL byte (a binary or UTF-16 file under a release name).
    """
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    nul = raw.find(b"\x00")
    if nul >= 0:
        lineno = raw.count(b"\n", 0, nul) + 1
        raise ValueError(
            f"{path}, line {lineno}: NUL byte; this is not a UTF-8 "
            "text file (a compressed, binary or UTF-16 file under the release's name?)."
        )
    if raw and not raw.endswith(b"\n"):
        lineno = raw.count(b"\n") + 1
        raise ValueError(
            f"{path}, line {lineno}: the last line has no line break, so the "
            "file looks cut short (an interrupted download or copy). Fetch the file again, "
            "or end the line with a line break if the file is complete."
        )
    parts = raw.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    if encoding is not None:
        lines = [part.decode(encoding) for part in parts]
    else:
        try:
            lines = raw.decode("utf-8").split("\n")
            if lines[-1] == "":
                lines.pop()
        except UnicodeDecodeError:
            lines = [_decode_line(part) for part in parts]
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _decode_line(part: bytes) -> str:
    try:
        return part.decode("utf-8")
    except UnicodeDecodeError:
        return part.decode("cp1252", errors="replace")


def _text_array(texts: Sequence[str]) -> np.ndarray:
    out = np.empty(len(texts), dtype=object)
    out[:] = list(texts)
    return out


def _pair_array(first: Sequence[str], second: Sequence[str]) -> np.ndarray:
    out = np.empty((len(first), 2), dtype=object)
    out[:, 0] = list(first)
    out[:, 1] = list(second)
    return out


def _parse_float(value: str, path: Path, lineno: int, low: float, high: float) -> float:
    """A gold score, which must lie in the release's documented range ``[low, high]``."""
    try:
        score = float(value)
    except ValueError:
        raise ValueError(f"{path}, line {lineno}: gold score {value!r} is not a number.") from None
    if not math.isfinite(score):
        raise ValueError(f"{path}, line {lineno}: gold score {value!r} is not finite.")
    if not low <= score <= high:
        raise ValueError(
            f"{path}, line {lineno}: gold score {value!r} is outside the scale [{low:g}, {high:g}]."
        )
    return score


def _text(value: str, path: Path, lineno: int, what: str) -> str:
    """A stripped text field, which must not be empty."""
    text = value.strip()
    if not text:
        raise ValueError(f"{path}, line {lineno}: {what} is empty.")
    return text


def _no_examples(path: Path, n_lines: int, what: str) -> ValueError:
    found = "the file is empty" if n_lines == 0 else f"none in its {n_lines} line(s)"
    return ValueError(
        f"{path}: no {what} ({found}); the file is damaged or was not fully written, so "
        "fetch it again."
    )


def _fields(line: str, n: int, path: Path, lineno: int, what: str) -> list[str]:
    fields = line.split("\t")
    if len(fields) < n:
        raise ValueError(
            f"{path}, line {lineno}: expected {what} ({n} tab-separated fields), "
            f"found {len(fields)} field(s): {line[:80]!r}"
        )
    return fields


def _select(
    value: str | Iterable[str] | None, valid: Sequence[str], what: str, dataset: str
) -> list[str]:
    """Normalise a split/subset argument to a list of valid names (None = all)."""
    if value is None:
        return list(valid)
    chosen = valid_names(value, valid)
    if chosen is None:
        raise ValueError(
            f"{what}={value!r} is not valid for {dataset!r}; choose from {list(valid)} "
            f"(or None for all)."
        )
    return chosen


def _check_name(name: str, valid: Iterable[str], loader: str) -> None:
    valid = list(valid)
    if name not in valid:
        raise ValueError(f"{loader}: unknown data set {name!r}; choose from {valid}.")


def _relative(paths: Sequence[Path]) -> str:
    return ", ".join(p.name for p in paths)


def _split_paths(
    name: str,
    split: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> tuple[list[str], list[Path]]:
    """The chosen official splits of a task with one file per split, and their files."""
    task = TASKS[name]
    splits = _select(split, task.splits, "split", name)
    names = [file for s in splits for file in task.files[s]]
    return splits, _resolve_files(task.folder, names, data_home, download)


def _load_split_pairs(
    name: str,
    reader: Callable[[Path], dict[str, list]],
    split: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> Bunch:
    """Pairs of the chosen splits of STS-B or SICK, concatenated in the official order."""
    splits, paths = _split_paths(name, split, data_home, download)
    parts = [reader(path) for path in paths]
    out = {key: [v for part in parts for v in part[key]] for key in parts[0]}
    split_labels = [s for s, part in zip(splits, parts) for _ in part["target"]]
    loaded = ", ".join(f"{s} {len(p['target'])}" for s, p in zip(splits, parts))
    bunch = Bunch(
        data=_pair_array(out.pop("first"), out.pop("second")),
        target=np.asarray(out.pop("target")),
        split=_text_array(split_labels),
        filenames=[str(p) for p in paths],
        DESCR=_descr(TASKS[name].folder, f"{loaded} pairs from {_relative(paths)}"),
    )
    for key, values in out.items():
        bunch[key] = _text_array(values)
    return bunch
