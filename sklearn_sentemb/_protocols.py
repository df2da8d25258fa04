"""The scoring protocol of each task family, for :func:`~sklearn_sentemb.evaluation.evaluate`.

STS scores the cosine similarity of each pair against gold (per subset and pooled for the
yearly tasks), clustering runs k-means on the embeddings, classification fits a logistic
regression on them; the module documentation of :mod:`sklearn_sentemb.evaluation` gives the
details. Each ``score_*`` function takes a loaded task and ``embed(texts) -> (n, d) array``
and returns the task's rows (subset, metric, score, std, n).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.preprocessing import normalize as l2_normalize

from . import datasets
from .metrics import evaluate_clustering, split_pairs, sts_score

__all__ = [
    "CONVENTIONS",
    "DEFAULT_CS",
    "PAIR_FEATURES",
    "Protocol",
    "load_task",
    "row",
    "score_task",
    "sts_summary",
]

#: The aggregates of a yearly STS task.
CONVENTIONS = ("all", "mean", "wmean")
#: SentEval's grid of C for its scikit-learn logistic regression.
DEFAULT_CS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
#: The features of a sentence pair, from the embeddings ``u`` and ``v`` of its sentences.
PAIR_FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "u": lambda u, v: u,
    "v": lambda u, v: v,
    "abs_diff": lambda u, v: np.abs(u - v),
    "product": lambda u, v: u * v,
}

_CLASSIFICATION = [task for task in datasets.TASKS.values() if task.family == "classification"]
# No official split: cross-validated. A split besides train and test chooses C.
_CV_TASKS = tuple(task.name for task in _CLASSIFICATION if not task.splits)
_DEV_SPLIT = {
    task.name: split
    for task in _CLASSIFICATION
    for split in task.splits
    if split not in ("train", "test")
}
_PAIR_TASKS = tuple(task.name for task in _CLASSIFICATION if task.pairs)


@dataclass
class Protocol:
    """The checked settings of :func:`~sklearn_sentemb.evaluation.evaluate`'s protocols."""

    n_seeds: int
    normalize: bool
    cv: int
    inner_cv: int
    Cs: list[float]
    pair_features: list[str]
    max_iter: int
    n_jobs: int | None
    random_state: int


def sts_summary(emb_a, emb_b, gold, subsets) -> dict[str, float]:
    """Spearman correlations of one yearly STS task: per subset, pooled and averaged.

    Parameters
    ----------
    emb_a, emb_b : array-like of shape (n_pairs, d)
        Embeddings of the first and the second sentence of each pair.
    gold : array-like of shape (n_pairs,)
        Gold similarity scores.
    subsets : array-like of shape (n_pairs,)
        Subset name of each pair (e.g. ``"MSRpar"``).

    Returns
    -------
    scores : dict
        One entry per subset, in order of first appearance, with the Spearman correlation
        of the cosine similarity against gold on that subset's pairs; then ``"all"``, the
        correlation over all pairs pooled; ``"mean"``, the plain mean of the per-subset
        correlations; ``"wmean"``, their mean weighted by the subsets' numbers of pairs.

    Examples
    --------
    >>> from sklearn_sentemb.evaluation import sts_summary
    >>> a = [[1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]
    >>> b = [[1, 0.1], [1, 1], [0, 1], [1, 0.2], [1, 0.5]]
    >>> scores = sts_summary(a, b, [5, 3, 1, 2, 4], ["x", "x", "x", "y", "y"])
    >>> {name: round(value, 3) for name, value in scores.items()}
    {'x': 1.0, 'y': -1.0, 'all': 0.7, 'mean': 0.0, 'wmean': 0.2}
    """
    emb_a = np.asarray(emb_a, dtype=np.float64)
    emb_b = np.asarray(emb_b, dtype=np.float64)
    gold = np.asarray(gold, dtype=np.float64)
    subsets = np.asarray(subsets)
    if subsets.shape != gold.shape:
        raise ValueError(
            f"subsets must give one subset per pair: got {subsets.shape[0] if subsets.ndim else 0} "
            f"subset labels for {len(gold)} gold scores."
        )
    names = list(dict.fromkeys(subsets.tolist()))
    scores: dict[str, float] = {}
    sizes = []
    for name in names:
        mask = subsets == name
        scores[name] = sts_score(emb_a[mask], emb_b[mask], gold[mask])
        sizes.append(int(mask.sum()))
    per_subset = np.array([scores[name] for name in names])
    scores["all"] = sts_score(emb_a, emb_b, gold)
    scores["mean"] = float(np.mean(per_subset))
    scores["wmean"] = float(np.average(per_subset, weights=sizes))
    return scores


def row(subset: str, metric: str, score: float, n: int, std: float = np.nan) -> dict[str, Any]:
    """One score of a task, as a row of :func:`~sklearn_sentemb.evaluation.evaluate`."""
    return {"subset": subset, "metric": metric, "score": score, "std": std, "n": n}


def load_task(task: str, data_home):
    """The data of ``task`` as its family's protocol reads it (STS-B, SICK-R: test only)."""
    family = datasets.TASKS[task].family
    if family == "sts":
        split = None if task in datasets.STS_YEARS else "test"
        return datasets.load_sts(task, split=split, data_home=data_home)
    if family == "clustering":
        return datasets.load_clustering(task, data_home=data_home)
    return datasets.load_classification(task, data_home=data_home)


def score_task(task: str, data, embed, protocol: Protocol) -> list[dict[str, Any]]:
    """The rows of ``task`` under its family's protocol."""
    family = datasets.TASKS[task].family
    if family == "sts":
        return _score_sts(task, data, embed)
    if family == "clustering":
        return _score_clustering(data, embed, protocol)
    return _score_classification(task, data, embed, protocol)


# -- STS -------------------------------------------------------------------------------


def _score_sts(task: str, data, embed) -> list[dict[str, Any]]:
    pairs, gold = data.data, data.target
    emb_a, emb_b = split_pairs(embed(pairs.ravel().tolist()), len(pairs))
    if task not in datasets.STS_YEARS:
        return [row("test", "spearman", sts_score(emb_a, emb_b, gold), len(gold))]
    scores = sts_summary(emb_a, emb_b, gold, data.subset)
    sizes = pd.Series(data.subset).value_counts()
    return [
        row(subset, "spearman", score, len(gold) if subset in CONVENTIONS else sizes[subset])
        for subset, score in scores.items()
    ]


# -- clustering ------------------------------------------------------------------------


def _score_clustering(data, embed, protocol: Protocol) -> list[dict[str, Any]]:
    X = embed(data.data.tolist())
    if protocol.normalize:
        X = l2_normalize(X)
    result = evaluate_clustering(
        X, data.target, n_runs=protocol.n_seeds, random_state=protocol.random_state
    )
    return [
        row("all", "accuracy", result["accuracy"], len(X), result["accuracy_std"]),
        row("all", "nmi", result["nmi"], len(X), result["nmi_std"]),
    ]


# -- classification --------------------------------------------------------------------


def _logistic(C: float, protocol: Protocol) -> Pipeline:
    return make_pipeline(
        StandardScaler(),
        LogisticRegression(C=C, max_iter=protocol.max_iter, random_state=protocol.random_state),
    )


def _select_C_cv(X, y, protocol: Protocol) -> Pipeline:
    """Fit on (X, y) with C chosen by inner stratified cross-validation."""
    search = GridSearchCV(
        _logistic(1.0, protocol),
        {"logisticregression__C": protocol.Cs},
        cv=StratifiedKFold(protocol.inner_cv, shuffle=True, random_state=protocol.random_state),
        n_jobs=protocol.n_jobs,
    )
    return search.fit(X, y).best_estimator_


def _select_C_dev(X, y, train, dev, protocol: Protocol) -> Pipeline:
    """The model fitted on ``train`` whose C scores best on ``dev`` (ties: the first C)."""
    best_score, model = -np.inf, None
    for C in protocol.Cs:
        candidate = _logistic(C, protocol).fit(X[train], y[train])
        score = candidate.score(X[dev], y[dev])
        if score > best_score:
            best_score, model = score, candidate
    return model


def _features(task: str, data, embed, pair_features) -> np.ndarray:
    texts = data.data.ravel().tolist()
    X = embed(texts)
    if task not in _PAIR_TASKS:
        return X
    u, v = split_pairs(X, len(data.data))
    return np.hstack([PAIR_FEATURES[name](u, v) for name in pair_features])


def _score_classification(task, data, embed, protocol: Protocol) -> list[dict[str, Any]]:
    X = _features(task, data, embed, protocol.pair_features)
    y = data.target
    if task in _CV_TASKS:
        folds = StratifiedKFold(protocol.cv, shuffle=True, random_state=protocol.random_state)
        accuracies = [
            _select_C_cv(X[train], y[train], protocol).score(X[test], y[test])
            for train, test in folds.split(X, y)
        ]
        return [row("cv", "accuracy", float(np.mean(accuracies)), len(y), np.std(accuracies))]
    split = np.asarray(data.split)
    train, test = split == "train", split == "test"
    if task in _DEV_SPLIT:
        model = _select_C_dev(X, y, train, split == _DEV_SPLIT[task], protocol)
    else:
        model = _select_C_cv(X[train], y[train], protocol)
    predicted = model.predict(X[test])
    rows = [row("test", "accuracy", float(np.mean(predicted == y[test])), int(test.sum()))]
    if task == "mrpc":
        rows.append(row("test", "f1", float(f1_score(y[test], predicted)), int(test.sum())))
    return rows
