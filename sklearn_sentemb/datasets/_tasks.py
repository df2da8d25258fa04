"""The task table: what each evaluation task is and which release files it is read from.

Every other list of tasks (the families, the yearly STS tasks, the names in the paper's
tables, the files a download must provide) is derived from :data:`TASKS`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

__all__ = [
    "CLASSIFICATION_TASKS",
    "CLUSTERING_TASKS",
    "STS_TASKS",
    "STS_YEARS",
    "TASKS",
    "Task",
]


@dataclass(frozen=True)
class Task:
    """One evaluation task and the files of its public release.

    Attributes
    ----------
    name : str
        The name the loaders and :func:`~sklearn_sentemb.evaluation.evaluate` take.
    family : {"sts", "clustering", "classification"}
        How the task is scored.
    folder : str
        The release's folder inside ``data_home`` (SICK-R and SICK-E share ``"sick"``).
    files : mapping of str or None to tuple of str
        The release's file names inside ``folder``, per official split, in the official
        order. A task without an official split lists its files under ``None`` (MR, CR,
        SUBJ and MPQA: the file of SentEval's label 1 first). A yearly STS task lists the
        input and the gold file of each subset, alternating.
    display_name : str
        The task's name in the paper's tables.
    subsets : tuple of str
        The subsets of a yearly STS task, in SentEval's order; empty for the other tasks.
    pairs : bool
        Whether each example is a pair of sentences.

    Examples
    --------
    >>> from sklearn_sentemb.datasets import TASKS
    >>> TASKS["trec"].files
    {'train': ('train_5500.label',), 'test': ('TREC_10.label',)}
    >>> TASKS["sicke"].folder, TASKS["sicke"].splits, TASKS["sicke"].display_name
    ('sick', ('train', 'trial', 'test'), 'SICK-E')
    """

    name: str
    family: str
    folder: str
    files: Mapping[str | None, tuple[str, ...]]
    display_name: str
    subsets: tuple[str, ...] = ()
    pairs: bool = False

    @property
    def splits(self) -> tuple[str, ...]:
        """The official splits, in order; empty for a task without one."""
        return tuple(split for split in self.files if split is not None)

    @property
    def filenames(self) -> tuple[str, ...]:
        """Every release file of the task, in the order of ``files``."""
        return tuple(name for names in self.files.values() for name in names)

    @property
    def description(self) -> str:
        """The release's data set card: title, source, size, licence and citation."""
        return card(self.folder)


@functools.cache
def card(folder: str) -> str:
    """The data set card of the release in ``folder`` (the file ``descr/<folder>.rst``)."""
    path = resources.files(__package__).joinpath("descr", f"{folder}.rst")
    return path.read_text(encoding="utf-8")


def _sts_year(name: str, display_name: str, prefix: str, subsets: tuple[str, ...]) -> Task:
    files = tuple(f"{prefix}.{kind}.{sub}.txt" for sub in subsets for kind in ("input", "gs"))
    return Task(name, "sts", name, {"test": files}, display_name, subsets, pairs=True)


def _clustering(name: str, display_name: str) -> Task:
    return Task(name, "clustering", name, {None: (f"{name}.tsv",)}, display_name)


_SICK = {
    "train": ("SICK_train.txt",),
    "trial": ("SICK_trial.txt",),
    "test": ("SICK_test_annotated.txt",),
}
_SST = {split: (f"sentiment-{split}",) for split in ("train", "dev", "test")}

#: Every task, in the order of the paper's tables: STS, clustering, classification.
TASKS: Mapping[str, Task] = MappingProxyType(
    {
        task.name: task
        for task in (
            _sts_year(
                "sts12",
                "STS12",
                "STS",
                ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"),
            ),
            _sts_year("sts13", "STS13", "STS", ("FNWN", "headlines", "OnWN")),
            _sts_year(
                "sts14",
                "STS14",
                "STS",
                ("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"),
            ),
            _sts_year(
                "sts15",
                "STS15",
                "STS",
                ("answers-forums", "answers-students", "belief", "headlines", "images"),
            ),
            # STS 2016 renamed its files; SentEval renames them back (the loader reads both).
            _sts_year(
                "sts16",
                "STS16",
                "STS2016",
                ("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
            ),
            Task(
                "stsb",
                "sts",
                "stsb",
                {split: (f"sts-{split}.csv",) for split in ("train", "dev", "test")},
                "STS-B",
                pairs=True,
            ),
            Task("sickr", "sts", "sick", _SICK, "SICK-R", pairs=True),
            _clustering("agnews_8000", "AgNews"),
            _clustering("searchsnippets", "SearchSnippets"),
            _clustering("stackoverflow", "StackOverflow"),
            _clustering("tweet", "Tweet"),
            _clustering("biomedical", "Biomedical"),
            _clustering("googlenews_ts", "GNews-TS"),
            _clustering("googlenews_t", "GNews-T"),
            _clustering("googlenews_s", "GNews-S"),
            Task(
                "mr", "classification", "mr", {None: ("rt-polarity.pos", "rt-polarity.neg")}, "MR"
            ),
            Task("cr", "classification", "cr", {None: ("custrev.pos", "custrev.neg")}, "CR"),
            Task(
                "subj",
                "classification",
                "subj",
                {None: ("subj.objective", "subj.subjective")},
                "SUBJ",
            ),
            Task("mpqa", "classification", "mpqa", {None: ("mpqa.pos", "mpqa.neg")}, "MPQA"),
            Task("sst2", "classification", "sst2", _SST, "SST-2"),
            Task("sst5", "classification", "sst5", _SST, "SST-5"),
            Task(
                "trec",
                "classification",
                "trec",
                {"train": ("train_5500.label",), "test": ("TREC_10.label",)},
                "TREC",
            ),
            Task(
                "mrpc",
                "classification",
                "mrpc",
                {"train": ("msr_paraphrase_train.txt",), "test": ("msr_paraphrase_test.txt",)},
                "MRPC",
                pairs=True,
            ),
            Task("sicke", "classification", "sick", _SICK, "SICK-E", pairs=True),
        )
    }
)


def _family(family: str) -> tuple[str, ...]:
    return tuple(name for name, task in TASKS.items() if task.family == family)


#: The tasks of each family, in table order.
STS_TASKS = _family("sts")
CLUSTERING_TASKS = _family("clustering")
CLASSIFICATION_TASKS = _family("classification")
#: The yearly STS tasks (STS12-16), scored per subset and over all pairs of the year.
STS_YEARS = tuple(name for name in STS_TASKS if TASKS[name].subsets)
