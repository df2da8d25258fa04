"""What sets the study's numbers: the settings, the model families' names, the reference
figures, and the corpus type the grids show by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn_sentemb import datasets
from sklearn_sentemb.datasets import STS_YEARS

from ..senteval_reference import SENTEVAL_REFERENCE

__all__ = [
    "CLASSIFICATION_CS",
    "CONTEXTUAL",
    "Corpus",
    "FAMILY_INFO",
    "MINILM_L6",
    "REFERENCE_STS",
    "STATIC",
    "STS_YEARS",
    "StudySettings",
    "TASK_ORDER",
    "default_l3_model",
]

MINILM_L6 = "sentence-transformers/all-MiniLM-L6-v2"

#: Model families in table order: key -> (title, short name for the figure, kind).
FAMILY_INFO = {
    "random": (
        "Random token vectors (bert-base-uncased WordPiece vocabulary of all-MiniLM-L6-v2, "
        "384-d, standard normal, seed 0)",
        "Random",
        "static",
    ),
    "glove": ("GloVe 6B 50d word vectors", "GloVe", "static"),
    "input": ("all-MiniLM-L6-v2 input token embeddings", "Input emb.", "static"),
    "avg": (
        "Avg.: all-MiniLM-L6-v2 last-layer token vectors averaged per token over WikiText-103 "
        "valid+test",
        "Avg.",
        "static",
    ),
    "b2s": (
        "BERT2Static vectors trained with all-MiniLM-L6-v2 as the teacher on WikiText-103 "
        "valid+test sentences (384-d)",
        "B2S",
        "static",
    ),
    "b2s100": (
        "as B2S, 100-d (the context vectors projected on their 100 leading singular "
        "vectors; the reading of the make_recipe('b2s-100') docstring)",
        "B2S-100",
        "static",
    ),
    "l3": ("paraphrase-MiniLM-L3-v2 (contextual)", "MiniLM-L3", "contextual"),
    "l6": ("all-MiniLM-L6-v2 (contextual)", "MiniLM-L6", "contextual"),
    "bert_avg": (
        "BERT + Avg.: all-MiniLM-L6-v2 contextual token vectors mixed with its Avg. vectors",
        "L6 + Avg.",
        "mixed",
    ),
}
STATIC = ("random", "glove", "input", "avg", "b2s", "b2s100")
CONTEXTUAL = ("l3", "l6")

# Task order of the evaluation loop: SICK-E right after SICK-R, so that the SICK test
# sentences' hidden states are still in the cache.
TASK_ORDER = (
    *datasets.STS_TASKS,
    "sicke",
    *datasets.CLUSTERING_TASKS,
    *(task for task in datasets.CLASSIFICATION_TASKS if task != "sicke"),
)

#: SentEval's own Spearman x 100 ("all" convention for STS12-15) for two of the baselines
#: (the data's REFERENCE.md): all-MiniLM-L6-v2 mean over all tokens, and the random
#: token vectors of the tokenizer (default_rng(0), 384-d) averaged without special tokens.
REFERENCE_STS = {
    "l6" if encoder == "minilm" else encoder: {
        task: value[-1] if isinstance(value, tuple) else value  # "all" for the yearly tasks
        for task, value in numbers.items()
    }
    for encoder, numbers in SENTEVAL_REFERENCE.items()
}
#: Classification C grid (see the protocol notes in results.md): standardised features,
#: capped training sets.
CLASSIFICATION_CS = (0.01, 0.1, 1.0)


@dataclass
class StudySettings:
    """Everything that sets the study's numbers (the caps are per task, seeded)."""

    quick: bool = False
    seed: int = 0
    families: tuple[str, ...] = tuple(FAMILY_INFO)
    tasks: tuple[str, ...] | None = None  # None: every task found in data_home
    #: Selection: STS-B dev pairs (None: all) and cross-validation folds on them.
    dev_pairs: int | None = None
    search_cv: int = 5
    #: Pairs per STS task (per year, spread over its subsets in proportion; None: all).
    sts_pairs: int | None = None
    #: Texts per clustering task.
    clustering_texts: int | None = 3000
    #: Examples per classification file (split); MR/CR/SUBJ/MPQA: per task, in proportion
    #: to the label files. SICK-E's test split is SICK-R's and is never capped here.
    classification_examples: int | None = 2000
    #: WikiText-103 valid+test sentences the learned steps may be fitted on (fit_on).
    wiki_sentences: int = 2000
    #: WikiText-103 valid+test sentences Avg. is averaged over (None: all).
    avg_sentences: int | None = None
    n_seeds: int = 5
    cv: int = 5
    inner_cv: int = 3
    Cs: tuple[float, ...] = CLASSIFICATION_CS
    batch_size: int = 64
    cache_bytes: int = 4 * 2**30
    #: Folder of paraphrase-MiniLM-L3-v2 (None: ``<data_home>/../models/...``).
    l3_model: str | None = None
    l6_model: str = MINILM_L6

    @classmethod
    def quick_settings(cls, **overrides) -> StudySettings:
        """Subsampled tasks, tiny grids and corpora: a run of a couple of minutes."""
        values = dict(
            quick=True,
            dev_pairs=300,
            search_cv=3,
            sts_pairs=120,
            clustering_texts=150,
            classification_examples=120,
            wiki_sentences=150,
            avg_sentences=300,
            n_seeds=2,
            cv=3,
            inner_cv=2,
            tasks=("sts12", "stsb", "sickr", "sicke", "agnews_8000", "tweet", "mr", "trec"),
        )
        values.update(overrides)
        return cls(**values)


def default_l3_model(data_home) -> Path:
    """Where paraphrase-MiniLM-L3-v2 is looked for without ``--l3-model``: ``models/``
    beside the data home."""
    return Path(data_home).resolve().parent / "models" / "paraphrase-MiniLM-L3-v2"


class Corpus(list):
    """A list of texts with a short name: grids, tables and logs show the name, not the texts.

    Examples
    --------
    >>> corpus = Corpus(["a text", "another"], name="two texts")
    >>> corpus, len(corpus)
    (two texts, 2)
    """

    def __init__(self, texts=(), name="corpus"):
        super().__init__(texts)
        self.name = name

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__
