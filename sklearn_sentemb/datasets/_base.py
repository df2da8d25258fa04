"""Loaders for the evaluation data sets, reading the files of their public releases.

Every loader reads the files exactly as the release publishes them and returns a
:class:`sklearn.utils.Bunch` (``data``, ``target``, ``DESCR`` and, where they apply,
``split``, ``subset`` and ``target_names``), or ``(data, target)`` with
``return_X_y=True``, like scikit-learn's own loaders.

Where the files live
--------------------
``data_home`` is the ``data_home`` parameter, else the environment variable
``SKLEARN_SENTEMB_DATA``, else ``~/sentemb_data`` (see :func:`get_data_home`). Inside it each
data set has one folder named like the release's folder in the table below, holding the
release's files under their original names, e.g. ``data_home/stsb/sts-test.csv`` or
``data_home/sts12/STS.input.MSRpar.txt``.

The package ships the STS Benchmark dev and test files (CC BY-SA 4.0, with their licence and
readme): ``load_sts("stsb", split="dev")`` and ``split="test"`` fall back to that copy when
the file is missing from ``data_home``, and ``data_home="bundled"`` reads the shipped copy
only.

Downloading
-----------
``download=True`` fetches a missing data set from its official release (the URLs are in
:data:`DOWNLOADS`) into ``data_home``: the archive goes to a temporary folder inside
``data_home``, is checked (non-empty, complete, checksum where one is known, every expected
file present) and only then are the files renamed into place, so an interrupted or failed
download never leaves a partial file behind. Set ``SKLEARN_SENTEMB_DOWNLOAD_URL`` (or pass
``base_url`` to :func:`fetch_dataset`) to download from a mirror that serves the release
files under their original file names.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.utils import Bunch
from tqdm import tqdm

__all__ = [
    "BUNDLED",
    "CLASSIFICATION_TASKS",
    "CLUSTERING_TASKS",
    "DOWNLOADS",
    "fetch_dataset",
    "get_data_home",
    "load_classification",
    "load_clustering",
    "load_corpus",
    "load_sts",
    "STS_TASKS",
]

#: Value of ``data_home`` that selects the copy of STS-B dev/test shipped with the package.
BUNDLED = "bundled"

_DATA_HOME_ENV = "SKLEARN_SENTEMB_DATA"
_DOWNLOAD_URL_ENV = "SKLEARN_SENTEMB_DOWNLOAD_URL"
_DEFAULT_DATA_HOME = os.path.join("~", "sentemb_data")
_CHUNK_SIZE = 1 << 16


# --------------------------------------------------------------------------------------
# Download table
# --------------------------------------------------------------------------------------


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

_STS_SUBSETS: dict[str, tuple[str, ...]] = {
    "sts12": ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"),
    "sts13": ("FNWN", "headlines", "OnWN"),
    "sts14": ("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"),
    "sts15": ("answers-forums", "answers-students", "belief", "headlines", "images"),
    "sts16": ("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
}
# File-name prefix of each year's files (STS 2016 renamed them).
_STS_PREFIX = {"sts12": "STS", "sts13": "STS", "sts14": "STS", "sts15": "STS", "sts16": "STS2016"}


def _sts_members(folder: str, subdir: str) -> dict[str, str]:
    prefix = _STS_PREFIX[folder]
    names = [
        f"{prefix}.{kind}.{subset}.txt"
        for subset in _STS_SUBSETS[folder]
        for kind in ("input", "gs")
    ]
    return {f"{subdir}/{name}": f"{folder}/{name}" for name in names}


def _basename(url: str) -> str:
    return urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def _plain(url: str, target: str, checksum: str | None = None) -> _Remote:
    return _Remote(url, {_basename(url): target}, checksum)


#: Official release of each data set: folder in ``data_home`` -> the files to download, each
#: a ``_Remote(url, {member inside the archive: path under data_home}, checksum,
#: file_checksums)``. With a mirror (``SKLEARN_SENTEMB_DOWNLOAD_URL``), a file is fetched from
#: ``<mirror>/<last component of url>``.
DOWNLOADS: dict[str, tuple[_Remote, ...]] = {
    "sts12": (_Remote(f"{_IXA}/4/40/STS2012-en-test.zip", _sts_members("sts12", "test-gold")),),
    "sts13": (_Remote(f"{_IXA}/2/2f/STS2013-en-test.zip", _sts_members("sts13", "test-gs")),),
    "sts14": (
        _Remote(f"{_IXA}/8/8c/STS2014-en-test.zip", _sts_members("sts14", "sts-en-test-gs-2014")),
    ),
    "sts15": (
        _Remote(
            f"{_IXA}/d/da/STS2015-en-test.zip", _sts_members("sts15", "test_evaluation_task2a")
        ),
    ),
    "sts16": (
        _Remote(
            f"{_IXA}/9/98/STS2016-en-test.zip",
            _sts_members("sts16", "sts2016-english-with-gs-v1.0"),
        ),
    ),
    "stsb": (
        _Remote(
            f"{_IXA}/4/48/Stsbenchmark.tar.gz",
            {
                f"stsbenchmark/{name}": f"stsb/{name}"
                for name in ("sts-train.csv", "sts-dev.csv", "sts-test.csv")
                + ("LICENSE.txt", "readme.txt")
            },
            checksum="md5:4eb0065aba063ef77873d3a9c8088811",
        ),
    ),
    "sick": (
        _Remote(
            f"{_SICK}/sick_train.zip",
            {"SICK_train.txt": "sick/SICK_train.txt", "readme.txt": "sick/readme.txt"},
        ),
        _Remote(f"{_SICK}/sick_trial.zip", {"SICK_trial.txt": "sick/SICK_trial.txt"}),
        _Remote(
            f"{_SICK}/sick_test_annotated.zip",
            {"SICK_test_annotated.txt": "sick/SICK_test_annotated.txt"},
        ),
    ),
    "mr": (
        _Remote(
            f"{_SENTEVAL}/datasmall_NB_ACL12.zip",
            {f"data/rt10662/rt-polarity.{s}": f"mr/rt-polarity.{s}" for s in ("pos", "neg")},
        ),
    ),
    "cr": (
        _Remote(
            f"{_SENTEVAL}/datasmall_NB_ACL12.zip",
            {f"data/customerr/custrev.{s}": f"cr/custrev.{s}" for s in ("pos", "neg")},
        ),
    ),
    "subj": (
        _Remote(
            f"{_SENTEVAL}/datasmall_NB_ACL12.zip",
            {f"data/subj/subj.{s}": f"subj/subj.{s}" for s in ("objective", "subjective")},
        ),
    ),
    "mpqa": (
        _Remote(
            f"{_SENTEVAL}/datasmall_NB_ACL12.zip",
            {f"data/mpqa/mpqa.{s}": f"mpqa/mpqa.{s}" for s in ("pos", "neg")},
        ),
    ),
    "sst2": tuple(
        _plain(f"{_SST2}/sentiment-{s}", f"sst2/sentiment-{s}") for s in ("train", "dev", "test")
    ),
    "sst5": tuple(
        _plain(f"{_SST5}/stsa.fine.{s}", f"sst5/sentiment-{s}") for s in ("train", "dev", "test")
    ),
    "trec": (
        _plain(f"{_TREC}/train_5500.label", "trec/train_5500.label"),
        _plain(f"{_TREC}/TREC_10.label", "trec/TREC_10.label"),
    ),
    "mrpc": (
        _plain(
            f"{_SENTEVAL}/msr_paraphrase_train.txt",
            "mrpc/msr_paraphrase_train.txt",
            "sha256:60a9b09084528f0673eedee2b69cb941920f0b8cd0eeccefc464a98768457f89",
        ),
        _plain(
            f"{_SENTEVAL}/msr_paraphrase_test.txt",
            "mrpc/msr_paraphrase_test.txt",
            "sha256:a04e271090879aaba6423d65b94950c089298587d9c084bf9cd7439bd785f784",
        ),
    ),
    "agnews_8000": (
        _plain(
            f"{_STC}/agnewsdataraw-8000",
            "agnews_8000/agnews_8000.tsv",
            "sha256:9a3ecfb3d5daef1cdef2fa1cc23d1f1c23784220116c39072d6d8422f5781c06",
        ),
    ),
    "searchsnippets": (
        _plain(
            f"{_STC}/search_snippets/search_snippets_true_text",
            "searchsnippets/searchsnippets.tsv",
            "sha256:e39dbcb5d956c2a34d1a68727c18b05646dfd4921857f7f61beccf6481e94787",
        ),
    ),
    "stackoverflow": (
        _plain(
            f"{_STC}/stackoverflow/stackoverflow_true_text",
            "stackoverflow/stackoverflow.tsv",
            "sha256:e683a764d1c05828ee13828695fb273c3d61991b853af716da383061356e9ff5",
        ),
    ),
    "tweet": (
        _plain(
            f"{_STC}/tweet-original-order.txt",
            "tweet/tweet.tsv",
            "sha256:bd63058a56d4b2ff35eca50db6fdbdf51d4dbc222e16604cbcaad813c2831479",
        ),
    ),
    "wikitext103": (
        _Remote(
            _WIKITEXT,
            {
                f"wikitext-103/wiki.{s}.tokens": f"wikitext103/wiki.{s}.tokens"
                for s in ("train", "valid", "test")
            },
            file_checksums={
                "wikitext103/wiki.train.tokens": "sha1:b7497e2dfe77e72cfef5e3dbc61b7b53712ac211",
                "wikitext103/wiki.valid.tokens": "sha1:c326ac59dc587676d58c422eb8a03e119582f92b",
                "wikitext103/wiki.test.tokens": "sha1:8a5befc548865cec54ed4273cf87dbbad60d1e47",
            },
        ),
    ),
}


# --------------------------------------------------------------------------------------
# Dataset cards (DESCR)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Card:
    title: str
    homepage: str
    size: str
    licence: str
    citation: str
    notes: str = ""


_STS_LICENCE = (
    "gold scores CC BY-SA; the text of each subset keeps the licence of its source "
    "(see the release's readme/LICENSE files)"
)

_CARDS: dict[str, _Card] = {
    "sts12": _Card(
        "SemEval-2012 Task 6: Semantic Textual Similarity (STS12)",
        "https://www.cs.york.ac.uk/semeval-2012/task6/",
        "3108 scored pairs in 5 subsets (MSRpar 750, MSRvid 750, SMTeuroparl 459, "
        "surprise.OnWN 750, surprise.SMTnews 399); gold 0-5",
        "the task's terms of use (see 00-readme.txt); MSRpar/MSRvid under Microsoft "
        "Research licences",
        "Agirre, Cer, Diab, Gonzalez-Agirre. SemEval-2012 Task 6: A Pilot on Semantic "
        "Textual Similarity. SemEval 2012.",
    ),
    "sts13": _Card(
        "*SEM 2013 shared task: Semantic Textual Similarity (STS13)",
        "https://ixa2.si.ehu.eus/stswiki/",
        "1500 scored pairs in 3 subsets (FNWN 189, headlines 750, OnWN 561); the "
        "licensed SMT subset is not distributed",
        "the task's terms of use (see 00-readme.txt)",
        "Agirre, Cer, Diab, Gonzalez-Agirre, Guo. *SEM 2013 shared task: Semantic Textual "
        "Similarity. *SEM 2013.",
    ),
    "sts14": _Card(
        "SemEval-2014 Task 10: Multilingual Semantic Textual Similarity (STS14)",
        "https://ixa2.si.ehu.eus/stswiki/",
        "3750 scored pairs in 6 subsets (deft-forum 450, deft-news 300, headlines 750, "
        "images 750, OnWN 750, tweet-news 750)",
        _STS_LICENCE,
        "Agirre et al. SemEval-2014 Task 10: Multilingual Semantic Textual Similarity. "
        "SemEval 2014.",
    ),
    "sts15": _Card(
        "SemEval-2015 Task 2: Semantic Textual Similarity (STS15)",
        "https://ixa2.si.ehu.eus/stswiki/",
        "3000 scored pairs of 8500 input lines in 5 subsets (answers-forums 375, "
        "answers-students 750, belief 375, headlines 750, images 750)",
        _STS_LICENCE,
        "Agirre et al. SemEval-2015 Task 2: Semantic Textual Similarity, English, Spanish "
        "and Pilot on Interpretability. SemEval 2015.",
    ),
    "sts16": _Card(
        "SemEval-2016 Task 1: Semantic Textual Similarity (STS16)",
        "https://ixa2.si.ehu.eus/stswiki/",
        "1186 scored pairs in 5 subsets (answer-answer 254, headlines 249, plagiarism 230, "
        "postediting 244, question-question 209)",
        _STS_LICENCE,
        "Agirre et al. SemEval-2016 Task 1: Semantic Textual Similarity, Monolingual and "
        "Cross-Lingual Evaluation. SemEval 2016.",
    ),
    "stsb": _Card(
        "STS Benchmark (STS-B)",
        "https://ixa2.si.ehu.eus/stswiki/index.php/STSbenchmark",
        "8628 pairs: train 5749, dev 1500, test 1379; gold 0-5",
        "gold scores CC BY-SA 4.0; the text of each source keeps its own licence "
        "(LICENSE.txt of the release)",
        "Cer, Diab, Agirre, Lopez-Gazpio, Specia. SemEval-2017 Task 1: Semantic Textual "
        "Similarity Multilingual and Crosslingual Focused Evaluation. SemEval 2017.",
        "The dev and test files ship with this package (data_home='bundled').",
    ),
    "sick": _Card(
        "SICK (Sentences Involving Compositional Knowledge), SemEval-2014 Task 1",
        "https://marcobaroni.org/composes/sick.html",
        "train 4500, trial 500, test 4927 pairs; relatedness 1-5 and entailment label "
        "(NEUTRAL / ENTAILMENT / CONTRADICTION)",
        "CC BY-NC-SA 3.0",
        "Marelli, Menini, Baroni, Bentivogli, Bernardi, Zamparelli. A SICK cure for the "
        "evaluation of compositional distributional semantic models. LREC 2014.",
    ),
    "mr": _Card(
        "MR: movie review snippet sentiment (sentence polarity v1.0)",
        "https://www.cs.cornell.edu/people/pabo/movie-review-data/",
        "10662 snippets (5331 positive, 5331 negative); no official split",
        "research use",
        "Pang, Lee. Seeing stars: Exploiting class relationships for sentiment "
        "categorization with respect to rating scales. ACL 2005.",
    ),
    "cr": _Card(
        "CR: customer product review sentiment",
        "https://www.cs.uic.edu/~liub/FBS/sentiment-analysis.html",
        "3775 lines, 3771 non-empty (2405 positive, 1366 negative); no official split",
        "research use",
        "Hu, Liu. Mining and summarizing customer reviews. KDD 2004.",
    ),
    "subj": _Card(
        "SUBJ: subjectivity (subjectivity dataset v1.0)",
        "https://www.cs.cornell.edu/people/pabo/movie-review-data/",
        "10000 sentences (5000 objective, 5000 subjective); no official split",
        "research use",
        "Pang, Lee. A sentimental education: Sentiment analysis using subjectivity "
        "summarization based on minimum cuts. ACL 2004.",
    ),
    "mpqa": _Card(
        "MPQA: opinion polarity of phrases",
        "https://mpqa.cs.pitt.edu/",
        "10606 lines, 10603 non-empty (3311 positive, 7292 negative); no official split",
        "research use (MPQA terms)",
        "Wiebe, Wilson, Cardie. Annotating expressions of opinions and emotions in "
        "language. Language Resources and Evaluation 39, 2005.",
    ),
    "sst2": _Card(
        "SST-2: Stanford Sentiment Treebank, binary",
        "https://nlp.stanford.edu/sentiment/",
        "train 67349 (phrases), dev 872, test 1821 sentences",
        "research use",
        "Socher et al. Recursive deep models for semantic compositionality over a "
        "sentiment treebank. EMNLP 2013.",
    ),
    "sst5": _Card(
        "SST-5: Stanford Sentiment Treebank, fine-grained",
        "https://nlp.stanford.edu/sentiment/",
        "train 8544, dev 1101, test 2210 sentences; 5 classes",
        "research use",
        "Socher et al. Recursive deep models for semantic compositionality over a "
        "sentiment treebank. EMNLP 2013.",
    ),
    "trec": _Card(
        "TREC question classification (UIUC)",
        "https://cogcomp.seas.upenn.edu/Data/QA/QC/",
        "train 5452, test 500 questions; 6 coarse classes (50 fine)",
        "research use",
        "Li, Roth. Learning question classifiers. COLING 2002.",
    ),
    "mrpc": _Card(
        "MRPC: Microsoft Research Paraphrase Corpus",
        "https://www.microsoft.com/en-us/download/details.aspx?id=52398",
        "train 4076, test 1725 pairs; label 1 = paraphrase",
        "Microsoft Research Paraphrase Corpus licence (research use)",
        "Dolan, Brockett. Automatically constructing a corpus of sentential paraphrases. IWP 2005.",
    ),
    "agnews_8000": _Card(
        "AgNews (8000-text subset for short-text clustering)",
        "https://github.com/rashadulrakib/short-text-clustering-enhancement",
        "8000 texts, 4 classes (lower-cased, stop-words removed)",
        "no licence stated by the release",
        "Rakib, Zeh, Jankowska, Milios. Enhancement of short text clustering by iterative "
        "classification. NLDB 2020.",
    ),
    "searchsnippets": _Card(
        "SearchSnippets (web search snippets)",
        "https://github.com/rashadulrakib/short-text-clustering-enhancement",
        "12340 texts, 8 classes",
        "no licence stated by the release",
        "Phan, Nguyen, Horiguchi. Learning to classify short and sparse text & web with "
        "hidden topics from large-scale data collections. WWW 2008.",
    ),
    "stackoverflow": _Card(
        "StackOverflow question titles",
        "https://github.com/rashadulrakib/short-text-clustering-enhancement",
        "20000 texts, 20 classes",
        "no licence stated by the release",
        "Xu, Xu, Wang, Liu, Tian, Zhao. Self-taught convolutional neural networks for "
        "short text clustering. Neural Networks 88, 2017.",
    ),
    "tweet": _Card(
        "Tweet (TREC microblog tweets)",
        "https://github.com/rashadulrakib/short-text-clustering-enhancement",
        "2472 texts, 89 classes",
        "no licence stated by the release",
        "Yin, Wang. A model-based approach for text clustering with outlier detection. ICDE 2016.",
    ),
    "biomedical": _Card(
        "Biomedical (BioASQ titles)",
        "https://github.com/jacoxu/STC2",
        "20000 texts, 20 classes",
        "no licence stated by the release",
        "Xu, Xu, Wang, Liu, Tian, Zhao. Self-taught convolutional neural networks for "
        "short text clustering. Neural Networks 88, 2017.",
    ),
    "wikitext103": _Card(
        "WikiText-103",
        "https://blog.salesforceairesearch.com/the-wikitext-long-term-dependency-language-"
        "modeling-dataset/",
        "train 103M tokens; valid 3760 lines / 217k tokens; test 4358 lines / 245k tokens",
        "CC BY-SA 3.0",
        "Merity, Xiong, Bradbury, Socher. Pointer sentinel mixture models. ICLR 2017.",
        "Tokenised Wikipedia text: ' = Heading = ' lines and empty lines separate the paragraphs.",
    ),
}
for _gn, _what in (("ts", "title and snippet"), ("t", "title"), ("s", "snippet")):
    _CARDS[f"googlenews_{_gn}"] = _Card(
        f"GoogleNews-{_gn.upper()} ({_what} of Google News articles)",
        "https://github.com/jackyin12/GSDMM",
        "11109 texts, 152 classes",
        "no licence stated by the release",
        "Yin, Wang. A Dirichlet multinomial mixture model-based approach for short text "
        "clustering. KDD 2014.",
    )


def _descr(folder: str, loaded: str) -> str:
    card = _CARDS[folder]
    lines = [
        card.title,
        "=" * len(card.title),
        "",
        f"Source: {card.homepage}",
        f"Size: {card.size}",
        f"Licence: {card.licence}",
        f"Citation: {card.citation}",
    ]
    if card.notes:
        lines += ["", card.notes]
    lines += ["", f"Loaded: {loaded}", ""]
    return "\n".join(lines)


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
    card = _CARDS[folder]
    msg = (
        f"{card.title}: file {path.name!r} not found. Expected it at {path} "
        f"(data_home {root}, {_data_home_origin(data_home)}). The official release is "
        f"published at {card.homepage}. "
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
    chosen = [value] if isinstance(value, str) else list(value)
    bad = [v for v in chosen if v not in valid]
    if bad or not chosen:
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


# --------------------------------------------------------------------------------------
# STS
# --------------------------------------------------------------------------------------

_STSB_FILES = {"train": "sts-train.csv", "dev": "sts-dev.csv", "test": "sts-test.csv"}
_SICK_FILES = {
    "train": "SICK_train.txt",
    "trial": "SICK_trial.txt",
    "test": "SICK_test_annotated.txt",
}
STS_TASKS = (*_STS_SUBSETS, "stsb", "sickr")


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
    if name in _STS_SUBSETS:
        _select(split, ["test"], "split", name)
        bunch = _load_sts_year(name, subset, data_home, download)
    else:
        if subset is not None:
            raise ValueError(f"subset is only for the yearly STS tasks, not {name!r}.")
        reader = _read_stsb if name == "stsb" else _read_sick_relatedness
        files = _STSB_FILES if name == "stsb" else _SICK_FILES
        bunch = _load_split_pairs(name, files, reader, split, data_home, download)
    if return_X_y:
        return bunch.data, bunch.target
    return bunch


def _load_sts_year(
    name: str,
    subset: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> Bunch:
    subsets = _select(subset, _STS_SUBSETS[name], "subset", name)
    names = []
    prefix = _STS_PREFIX[name]
    root = Path(get_data_home(data_home)) / name
    for sub in subsets:
        # STS 2016 keeps its own file names; SentEval renames them to the STS. scheme.
        use = prefix
        if prefix != "STS" and not (root / f"{prefix}.input.{sub}.txt").is_file():
            if (root / f"STS.input.{sub}.txt").is_file():
                use = "STS"
        names += [f"{use}.input.{sub}.txt", f"{use}.gs.{sub}.txt"]
    paths = _resolve_files(name, names, data_home, download)
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


def _load_split_pairs(
    name: str,
    files: Mapping[str, str],
    reader: Callable[[Path], dict[str, list]],
    split: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> Bunch:
    """Pairs of the chosen splits of STS-B or SICK, concatenated in the official order."""
    folder = "sick" if name in ("sickr", "sicke") else name
    splits = _select(split, list(files), "split", name)
    paths = _resolve_files(folder, [files[s] for s in splits], data_home, download)
    parts = [reader(path) for path in paths]
    out = {key: [v for part in parts for v in part[key]] for key in parts[0]}
    split_labels = [s for s, part in zip(splits, parts) for _ in part["target"]]
    loaded = ", ".join(f"{s} {len(p['target'])}" for s, p in zip(splits, parts))
    bunch = Bunch(
        data=_pair_array(out.pop("first"), out.pop("second")),
        target=np.asarray(out.pop("target")),
        split=_text_array(split_labels),
        filenames=[str(p) for p in paths],
        DESCR=_descr(folder, f"{loaded} pairs from {_relative(paths)}"),
    )
    for key, values in out.items():
        bunch[key] = _text_array(values)
    return bunch


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


# --------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------

# Files per label, in SentEval's order (SentEval's label 1 first).
_ONE_PER_LINE = {
    "mr": ((("rt-polarity.pos", 1), ("rt-polarity.neg", 0)), ("negative", "positive")),
    "cr": ((("custrev.pos", 1), ("custrev.neg", 0)), ("negative", "positive")),
    "subj": ((("subj.objective", 1), ("subj.subjective", 0)), ("subjective", "objective")),
    "mpqa": ((("mpqa.pos", 1), ("mpqa.neg", 0)), ("negative", "positive")),
}
_SST_FILES = {"train": "sentiment-train", "dev": "sentiment-dev", "test": "sentiment-test"}
_SST_NAMES = {
    "sst2": ("negative", "positive"),
    "sst5": ("very negative", "negative", "neutral", "positive", "very positive"),
}
_TREC_FILES = {"train": "train_5500.label", "test": "TREC_10.label"}
_TREC_CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
_MRPC_FILES = {"train": "msr_paraphrase_train.txt", "test": "msr_paraphrase_test.txt"}
_MRPC_HEADER = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]
# SentEval's label order for SICK-E.
_SICK_LABELS = ("CONTRADICTION", "NEUTRAL", "ENTAILMENT")
CLASSIFICATION_TASKS = (*_ONE_PER_LINE, *_SST_NAMES, "trec", "mrpc", "sicke")


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
        bunch = _load_split_pairs(
            name, _SICK_FILES, _read_sick_entailment, split, data_home, download
        )
        bunch.target = bunch.target.astype(np.int64)
        bunch.target_names = np.asarray(_SICK_LABELS)
    else:
        bunch = _load_split_texts(name, split, data_home, download)
    if return_X_y:
        return bunch.data, bunch.target
    return bunch


def _load_one_per_line(
    name: str, data_home: str | os.PathLike[str] | None, download: bool, keep_empty: bool
) -> Bunch:
    files, target_names = _ONE_PER_LINE[name]
    paths = _resolve_files(name, [f for f, _ in files], data_home, download)
    texts: list[str] = []
    labels: list[int] = []
    for path, (_, label) in zip(paths, files):
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
        DESCR=_descr(name, f"{len(texts)} texts ({counts}) from {_relative(paths)}"),
    )


def _load_split_texts(
    name: str,
    split: str | Sequence[str] | None,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> Bunch:
    if name in _SST_NAMES:
        files, reader, target_names = _SST_FILES, _read_sst, _SST_NAMES[name]
    elif name == "trec":
        files, reader, target_names = _TREC_FILES, _read_trec, _TREC_CLASSES
    else:
        files, reader, target_names = _MRPC_FILES, _read_mrpc, ("not_equivalent", "equivalent")
    splits = _select(split, list(files), "split", name)
    paths = _resolve_files(name, [files[s] for s in splits], data_home, download)
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
        DESCR=_descr(name, f"{loaded} examples from {_relative(paths)}"),
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


# --------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------

CLUSTERING_TASKS = (
    "agnews_8000",
    "searchsnippets",
    "stackoverflow",
    "tweet",
    "biomedical",
    "googlenews_ts",
    "googlenews_t",
    "googlenews_s",
)


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
        (path,) = _resolve_files(name, [f"{name}.tsv"], data_home, download)
        folder = name
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


# --------------------------------------------------------------------------------------
# Unlabelled corpus
# --------------------------------------------------------------------------------------

_WIKITEXT_SPLITS = ("train", "valid", "test")
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
    if isinstance(name, str) and name == "wikitext103":
        splits = _select(split, _WIKITEXT_SPLITS, "split", name)
        paths = _resolve_files(
            "wikitext103", [f"wiki.{s}.tokens" for s in splits], data_home, download
        )
    else:
        path = Path(os.fspath(name)).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"load_corpus: {os.fspath(name)!r} is neither 'wikitext103' nor an existing file."
            )
        paths = [path]
    texts: list[str] = []
    for path in paths:
        lines = _read_lines(path)
        paragraphs = [line for line in map(str.strip, lines) if line and not _is_heading(line)]
        if not paragraphs:
            raise _no_examples(path, len(lines), "paragraphs")
        for line in paragraphs:
            units = _SENTENCE_END.split(line) if sentence_split else [line]
            for unit in units:
                if max_sentences is not None and len(texts) >= max_sentences:
                    return texts
                if len(unit.split()) >= min_tokens:
                    texts.append(unit)
    return texts


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
    staged: dict[str, Path] = {}
    if kind is None:
        ((target),) = wanted.values()
        staged[target] = archive
    elif kind == "zip":
        try:
            with zipfile.ZipFile(archive) as zf:
                members = {
                    _normalise_member(i.filename): i for i in zf.infolist() if not i.is_dir()
                }
                for k, (member, target) in enumerate(wanted.items()):
                    info = _find_member(members, member, archive)
                    dest = out_dir / str(k)
                    with zf.open(info) as src, open(dest, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    staged[target] = dest
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise OSError(f"{archive.name} is not a valid zip archive: {exc!r}") from exc
    else:
        try:
            with tarfile.open(archive, "r:*") as tf:
                members = {_normalise_member(m.name): m for m in tf.getmembers() if m.isfile()}
                for k, (member, target) in enumerate(wanted.items()):
                    info = _find_member(members, member, archive)
                    dest = out_dir / str(k)
                    src = tf.extractfile(info)
                    if src is None:  # pragma: no cover - isfile() members always have data
                        raise OSError(f"{archive.name}: cannot read {member!r}.")
                    with src, open(dest, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    staged[target] = dest
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise OSError(f"{archive.name} is not a valid tar archive: {exc!r}") from exc
    for target, path in staged.items():
        if not path.is_file():  # pragma: no cover - written just above
            raise OSError(f"{archive.name}: {target} missing after extraction.")
        checksum = (remote.file_checksums or {}).get(target)
        if checksum is not None:
            hasher, expected = _hasher(checksum)
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(_CHUNK_SIZE), b""):
                    hasher.update(chunk)
            if hasher.hexdigest() != expected:
                raise OSError(
                    f"{target} from {archive.name}: {hasher.name} checksum "
                    f"{hasher.hexdigest()} does not match the expected {expected}."
                )
    return staged


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
