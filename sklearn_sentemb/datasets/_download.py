"""The official download of each release (:data:`DOWNLOADS`) and :func:`fetch_dataset`."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from ._base import _is_bundled, get_data_home
from ._tasks import TASKS
from ._wikitext import _WIKITEXT_FILES

_DOWNLOAD_URL_ENV = "SKLEARN_SENTEMB_DOWNLOAD_URL"
_CHUNK_SIZE = 1 << 16


class _Remote(NamedTuple):
    """One file to download: an archive (``.zip``, ``.tar.gz``) or a plain file.

    ``files`` maps the path of a member inside the archive (for a plain file: the file's own
    name) to its path relative to ``data_home``. ``checksum`` ("algorithm:hexdigest") checks
    the downloaded file, ``file_checksums`` (keyed by the target path) the extracted files.
    """

    url: str
    files: Mapping[str, str]
    checksum: str | None = None
    file_checksums: Mapping[str, str] | None = None


_IXA = "http://ixa2.si.ehu.es/stswiki/images"
_SICK = "http://alt.qcri.org/semeval2014/task1/data/uploads"
_SENTEVAL = "https://dl.fbaipublicfiles.com/senteval/senteval_data"
_TREC = "https://cogcomp.seas.upenn.edu/Data/QA/QC"
_SST2 = "https://raw.githubusercontent.com/PrincetonML/SIF/master/data"
_SST5 = "https://raw.githubusercontent.com/AcademiaSinicaNLPLab/sentiment_dataset/master/data"
_STC = (
    "https://raw.githubusercontent.com/rashadulrakib/short-text-clustering-enhancement/"
    "f363b66e6fd51f9dd1db679d2a9ce55538ab9868/data"
)
_WIKITEXT = "https://wikitext.smerity.com/wikitext-103-v1.zip"


def _basename(url: str) -> str:
    return urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def _plain(url: str, target: str, checksum: str | None = None) -> _Remote:
    return _Remote(url, {_basename(url): target}, checksum)


def _members(folder: str, names: Iterable[str], subdir: str = "") -> dict[str, str]:
    """Archive member -> path under data_home, for members named as the loaders name them."""
    return {(f"{subdir}/{name}" if subdir else name): f"{folder}/{name}" for name in names}


def _target(task: str, split: str | None = None) -> str:
    """Path under data_home of the one release file of ``task``'s ``split``."""
    (name,) = TASKS[task].files[split]
    return f"{TASKS[task].folder}/{name}"


def _sts_year(task: str, url: str, subdir: str) -> tuple[_Remote, ...]:
    return (_Remote(f"{_IXA}/{url}", _members(task, TASKS[task].filenames, subdir)),)


def _senteval(task: str, subdir: str) -> tuple[_Remote, ...]:
    url = f"{_SENTEVAL}/datasmall_NB_ACL12.zip"
    return (_Remote(url, _members(task, TASKS[task].filenames, f"data/{subdir}")),)


_SICK_FILES = TASKS["sickr"].files
_WIKITEXT_CHECKSUMS = {
    "train": "sha1:b7497e2dfe77e72cfef5e3dbc61b7b53712ac211",
    "valid": "sha1:c326ac59dc587676d58c422eb8a03e119582f92b",
    "test": "sha1:8a5befc548865cec54ed4273cf87dbbad60d1e47",
}

#: Official release of each data set: folder in ``data_home`` -> the files to download, each
#: a ``_Remote(url, {member inside the archive: path under data_home}, checksum,
#: file_checksums)``; the paths under data_home are the task table's file names. With a
#: mirror (``SKLEARN_SENTEMB_DOWNLOAD_URL``), a file is fetched from
#: ``<mirror>/<last component of url>``.
DOWNLOADS: dict[str, tuple[_Remote, ...]] = {
    "sts12": _sts_year("sts12", "4/40/STS2012-en-test.zip", "test-gold"),
    "sts13": _sts_year("sts13", "2/2f/STS2013-en-test.zip", "test-gs"),
    "sts14": _sts_year("sts14", "8/8c/STS2014-en-test.zip", "sts-en-test-gs-2014"),
    "sts15": _sts_year("sts15", "d/da/STS2015-en-test.zip", "test_evaluation_task2a"),
    "sts16": _sts_year("sts16", "9/98/STS2016-en-test.zip", "sts2016-english-with-gs-v1.0"),
    "stsb": (
        _Remote(
            f"{_IXA}/4/48/Stsbenchmark.tar.gz",
            _members(
                "stsb", (*TASKS["stsb"].filenames, "LICENSE.txt", "readme.txt"), "stsbenchmark"
            ),
            checksum="md5:4eb0065aba063ef77873d3a9c8088811",
        ),
    ),
    "sick": (
        _Remote(f"{_SICK}/sick_train.zip", _members("sick", (*_SICK_FILES["train"], "readme.txt"))),
        _Remote(f"{_SICK}/sick_trial.zip", _members("sick", _SICK_FILES["trial"])),
        _Remote(f"{_SICK}/sick_test_annotated.zip", _members("sick", _SICK_FILES["test"])),
    ),
    "mr": _senteval("mr", "rt10662"),
    "cr": _senteval("cr", "customerr"),
    "subj": _senteval("subj", "subj"),
    "mpqa": _senteval("mpqa", "mpqa"),
    "sst2": tuple(
        _plain(f"{_SST2}/sentiment-{s}", _target("sst2", s)) for s in ("train", "dev", "test")
    ),
    "sst5": tuple(
        _plain(f"{_SST5}/stsa.fine.{s}", _target("sst5", s)) for s in ("train", "dev", "test")
    ),
    "trec": (
        _plain(f"{_TREC}/train_5500.label", _target("trec", "train")),
        _plain(f"{_TREC}/TREC_10.label", _target("trec", "test")),
    ),
    "mrpc": (
        _plain(
            f"{_SENTEVAL}/msr_paraphrase_train.txt",
            _target("mrpc", "train"),
            "sha256:60a9b09084528f0673eedee2b69cb941920f0b8cd0eeccefc464a98768457f89",
        ),
        _plain(
            f"{_SENTEVAL}/msr_paraphrase_test.txt",
            _target("mrpc", "test"),
            "sha256:a04e271090879aaba6423d65b94950c089298587d9c084bf9cd7439bd785f784",
        ),
    ),
    "agnews_8000": (
        _plain(
            f"{_STC}/agnewsdataraw-8000",
            _target("agnews_8000"),
            "sha256:9a3ecfb3d5daef1cdef2fa1cc23d1f1c23784220116c39072d6d8422f5781c06",
        ),
    ),
    "searchsnippets": (
        _plain(
            f"{_STC}/search_snippets/search_snippets_true_text",
            _target("searchsnippets"),
            "sha256:e39dbcb5d956c2a34d1a68727c18b05646dfd4921857f7f61beccf6481e94787",
        ),
    ),
    "stackoverflow": (
        _plain(
            f"{_STC}/stackoverflow/stackoverflow_true_text",
            _target("stackoverflow"),
            "sha256:e683a764d1c05828ee13828695fb273c3d61991b853af716da383061356e9ff5",
        ),
    ),
    "tweet": (
        _plain(
            f"{_STC}/tweet-original-order.txt",
            _target("tweet"),
            "sha256:bd63058a56d4b2ff35eca50db6fdbdf51d4dbc222e16604cbcaad813c2831479",
        ),
    ),
    "wikitext103": (
        _Remote(
            _WIKITEXT,
            _members("wikitext103", _WIKITEXT_FILES.values(), "wikitext-103"),
            file_checksums={
                f"wikitext103/{_WIKITEXT_FILES[split]}": checksum
                for split, checksum in _WIKITEXT_CHECKSUMS.items()
            },
        ),
    ),
}


# --------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------


def _archive_kind(url: str) -> str | None:
    name = _basename(url).lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")):
        return "tar"
    return None


def _safe_relpath(path: str) -> str:
    """A relative POSIX path without '..', refusing anything that could leave its root."""
    path = _normalise_member(path)
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts or ":" in parts[0]:
        raise ValueError(f"Refusing unsafe path {path!r} (absolute or containing '..').")
    return path


def fetch_dataset(
    name: str,
    data_home: str | os.PathLike[str] | None = None,
    *,
    base_url: str | None = None,
    force: bool = False,
    timeout: float = 60.0,
) -> list[str]:
    """Download a data set's official release into ``data_home``.

    Each file of :data:`DOWNLOADS` whose targets are missing (all, with ``force=True``) is
    downloaded with a progress bar into a temporary folder inside ``data_home``, checked
    (not empty, as long as announced, checksum where one is known), extracted (only the
    listed members, never a path from the archive) and checked again (every expected file
    present, checksum where known). Only when every file of the data set passed are they
    renamed into place, so a failed or interrupted download leaves no partial file.

    Parameters
    ----------
    name : str
        A key of :data:`DOWNLOADS` (the folder inside ``data_home``); ``"sickr"`` and
        ``"sicke"`` mean ``"sick"``.
    data_home : str or path-like, default=None
        See :func:`get_data_home`. Created if needed.
    base_url : str, default=None
        A mirror to download from instead of the official hosts: file ``u`` is fetched from
        ``base_url + "/" + last component of u``. ``None`` means the environment variable
        ``SKLEARN_SENTEMB_DOWNLOAD_URL`` if set, else the official URLs.
    force : bool, default=False
        Download even if the files exist (they are replaced).
    timeout : float, default=60.0
        Socket timeout in seconds.

    Returns
    -------
    paths : list of str
        The files put into place.

    Raises
    ------
    OSError
        The download failed (HTTP error, truncated or empty file, checksum mismatch, member
        missing from the archive).
    """
    folder = {"sickr": "sick", "sicke": "sick"}.get(name, name)
    if folder not in DOWNLOADS:
        raise ValueError(
            f"fetch_dataset: no download for {name!r}; available: {sorted(DOWNLOADS)}."
        )
    if _is_bundled(data_home):
        raise ValueError("fetch_dataset cannot write into data_home='bundled'.")
    if base_url is None:
        base_url = os.environ.get(_DOWNLOAD_URL_ENV) or None
    root = Path(get_data_home(data_home))
    remotes = [
        r
        for r in DOWNLOADS[folder]
        if force or not all((root / _safe_relpath(t)).is_file() for t in r.files.values())
    ]
    if not remotes:
        return []
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    try:
        staged: dict[str, Path] = {}
        for i, remote in enumerate(remotes):
            url = remote.url
            if base_url:
                url = f"{base_url.rstrip('/')}/{_basename(remote.url)}"
            archive = staging / f"{i}-{_basename(remote.url)}"
            _download(url, archive, remote.checksum, timeout, desc=f"{folder}: {archive.name}")
            staged.update(_extract(archive, remote, staging / f"{i}-files"))
        placed = []
        for target, source in staged.items():
            dest = root / target
            if not force and dest.is_file():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, dest)
            placed.append(str(dest))
        return placed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _hasher(checksum: str | None):
    if checksum is None:
        return None, None
    algorithm, _, digest = checksum.partition(":")
    return hashlib.new(algorithm), digest.lower()


def _download(url: str, dest: Path, checksum: str | None, timeout: float, desc: str) -> None:
    hasher, expected = _hasher(checksum)
    request = urllib.request.Request(url, headers={"User-Agent": "sklearn-sentemb"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            size = 0
            with (
                open(dest, "wb") as out,
                tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=None) as bar,
            ):
                while chunk := response.read(_CHUNK_SIZE):
                    out.write(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        exc.close()
        raise OSError(f"Downloading {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except OSError as exc:  # URLError, socket errors and timeouts are OSErrors
        raise OSError(f"Downloading {url} failed: {exc}") from exc
    if size == 0:
        raise OSError(f"Downloading {url} failed: the server sent an empty file.")
    if total is not None and size != total:
        raise OSError(f"Downloading {url} failed: received {size} of {total} bytes (truncated).")
    if hasher is not None and hasher.hexdigest() != expected:
        raise OSError(
            f"Downloading {url} failed: {hasher.name} checksum {hasher.hexdigest()} does not "
            f"match the expected {expected}."
        )


def _extract(archive: Path, remote: _Remote, out_dir: Path) -> dict[str, Path]:
    """Staged files of ``remote``, as target path -> path inside ``out_dir``.

    Members are looked up by name and copied to numbered files; nothing in the archive
    chooses where a file is written, so links or '..' members cannot escape ``out_dir``.
    """
    out_dir.mkdir()
    kind = _archive_kind(remote.url)
    wanted = {
        _safe_relpath(member): _safe_relpath(target) for member, target in remote.files.items()
    }
    if kind is None:
        ((target),) = wanted.values()
        staged = {target: archive}
    else:
        staged = _copy_members(archive, kind, wanted, out_dir)
    for target, path in staged.items():
        checksum = (remote.file_checksums or {}).get(target)
        _check_file(path, checksum, f"{target} from {archive.name}")
    return staged


def _copy_members(archive: Path, kind: str, wanted: dict[str, str], out_dir: Path):
    """Copy each wanted member of a zip or tar archive to a numbered file of ``out_dir``."""
    if kind == "zip":
        errors, opener = (zipfile.BadZipFile, EOFError, zlib.error), zipfile.ZipFile
    else:
        errors, opener = (tarfile.TarError, EOFError, zlib.error), tarfile.open
    staged: dict[str, Path] = {}
    try:
        with opener(archive) as opened:
            members, open_member = _archive_members(opened)
            for k, (member, target) in enumerate(wanted.items()):
                dest = out_dir / str(k)
                info = _find_member(members, member, archive)
                with open_member(info) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                staged[target] = dest
    except errors as exc:
        raise OSError(f"{archive.name} is not a valid {kind} archive: {exc!r}") from exc
    return staged


def _archive_members(opened):
    """The regular files of an open zip or tar archive by normalised name, and the function
    that opens one for reading."""
    if isinstance(opened, zipfile.ZipFile):
        files = [i for i in opened.infolist() if not i.is_dir()]
        return {_normalise_member(i.filename): i for i in files}, opened.open
    files = [m for m in opened.getmembers() if m.isfile()]
    return {_normalise_member(m.name): m for m in files}, opened.extractfile


def _check_file(path: Path, checksum: str | None, what: str) -> None:
    """Raise an OSError naming ``what`` unless the file matches ``checksum`` (None: any)."""
    if checksum is None:
        return
    hasher, expected = _hasher(checksum)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK_SIZE), b""):
            hasher.update(chunk)
    if hasher.hexdigest() != expected:
        raise OSError(
            f"{what}: {hasher.name} checksum {hasher.hexdigest()} does not match the "
            f"expected {expected}."
        )


def _normalise_member(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


def _find_member(members: Mapping[str, object], member: str, archive: Path):
    try:
        return members[member]
    except KeyError:
        raise OSError(
            f"{archive.name} does not contain the expected file {member!r}; the release may "
            "have changed."
        ) from None
