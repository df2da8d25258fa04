"""Evaluate a sentence embedder on the paper's task suite and print a paper-style table.

:func:`evaluate` runs any text pipeline (``texts -> (n, d)`` array) over the STS,
short-text clustering and SentEval classification tasks found in ``data_home`` and returns
a tidy :class:`pandas.DataFrame`; :func:`format_table` turns one or several such frames
into the tables of the paper (scores x 100, two decimals). :func:`sts_summary` computes the
per-subset and averaged STS correlations of one yearly STS task under both conventions
papers use.

Protocols
---------
STS
    Spearman correlation between the cosine similarity of the two sentences of each pair
    and the gold score (a zero vector has cosine 0 with everything). A yearly task
    (STS12-16) is reported per subset and aggregated in three ways: ``"all"``, one
    correlation over all pairs of the year pooled (the SimCSE convention); ``"mean"``, the
    plain mean of the per-subset correlations, and ``"wmean"``, their mean weighted by the
    number of pairs (both SentEval's). STS-B and SICK-R are scored on their test split.
Clustering
    k-means (k-means++, one initialisation per seed) with k = the number of classes, run
    with ``n_seeds`` seeds; accuracy under the Hungarian matching of clusters to classes and
    NMI, averaged over the seeds (:func:`~sklearn_sentemb.metrics.evaluate_clustering`).
    ``normalize=True`` L2-normalises the embeddings first.
Classification
    A logistic regression on frozen embeddings, after a
    :class:`~sklearn.preprocessing.StandardScaler` fitted on the training data, following
    SentEval's protocol with scikit-learn's :class:`~sklearn.linear_model.LogisticRegression`
    (lbfgs, L2):

    - MR, CR, SUBJ, MPQA (no official split): ``cv``-fold stratified cross-validation,
      shuffled with ``random_state``; in each outer fold the inverse regularisation ``C`` is
      chosen from ``Cs`` by an inner ``inner_cv``-fold stratified cross-validation on the
      training part (:class:`~sklearn.model_selection.GridSearchCV`), refitted on the whole
      training part and scored on the held-out fold. The score is the mean accuracy over
      the outer folds (``std``: their standard deviation).
    - SST-2, SST-5 (train/dev/test) and SICK-E (train/trial/test): ``C`` maximises the
      accuracy on the dev (trial) split of a model fitted on train; that model is scored on
      test.
    - TREC and MRPC (train/test): ``C`` is chosen by ``inner_cv``-fold stratified
      cross-validation on train, the model refitted on train and scored on test. MRPC also
      reports the F1 score of the paraphrase class.
    - Pair tasks (MRPC, SICK-E) classify the features ``pair_features`` of the two sentence
      embeddings ``u`` and ``v``, by default ``[u, v, |u - v|, u * v]``.

    SentEval's own scikit-learn classifier uses the default grid ``Cs`` (``2**-2 .. 2**3``;
    ``2**-1 .. 2**5`` for TREC and MRPC) without feature scaling, ``k`` folds for both the
    outer and the inner loop (``cv=inner_cv=k``), and ``[|u - v|, u * v]`` for MRPC and
    SICK-E (``pair_features=("abs_diff", "product")``). Its published figures come from a
    torch classifier, which scikit-learn matches only to about a point.

Fitting the learned steps
-------------------------
``fit_on`` says, explicitly, what the learned steps of the embedder (token weights,
whitening, ...) are fitted on. The embedder is always cloned before fitting; the one passed
in is never modified.

- ``"task"`` (default): a clone is fitted on each task's own distinct texts, without labels
  (STS: every sentence of the pairs being scored, all subsets of a year together;
  clustering: all texts; classification: the texts of all splits, test included, which is
  transductive but uses no labels).
- ``"none"``: the embedder is used as given and must already be fitted.
- a corpus name (e.g. ``"wikitext103"``, read with
  :func:`~sklearn_sentemb.datasets.load_corpus` from ``data_home``) or a path, or a
  sequence of texts: one clone is fitted on that corpus and used for every task.

Every task embeds each distinct text once: texts are deduplicated before the pipeline is
called, and the rows are mapped back.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from . import datasets
from ._protocols import (
    CONVENTIONS,
    DEFAULT_CS,
    PAIR_FEATURES,
    Protocol,
    load_task,
    row,
    score_task,
    sts_summary,
)
from ._validation import valid_names

__all__ = [
    "COLUMNS",
    "DISPLAY_NAMES",
    "FAMILIES",
    "STS_YEARS",
    "TASKS",
    "evaluate",
    "format_table",
    "sts_summary",
]

#: The tasks of each family, in the order of the paper's tables (from the task table,
#: :data:`sklearn_sentemb.datasets.TASKS`).
FAMILIES: dict[str, tuple[str, ...]] = {
    family: tuple(name for name, task in datasets.TASKS.items() if task.family == family)
    for family in dict.fromkeys(task.family for task in datasets.TASKS.values())
}

#: Every task name, in table order.
TASKS: tuple[str, ...] = tuple(task for tasks in FAMILIES.values() for task in tasks)

#: Columns of the frame :func:`evaluate` returns.
COLUMNS: tuple[str, ...] = (
    "embedder",
    "fit_on",
    "family",
    "task",
    "subset",
    "metric",
    "score",
    "std",
    "n",
)

#: The yearly STS tasks: scored per subset and over all pairs of the year ("all", "mean",
#: "wmean"); the other STS tasks are scored on their test split.
STS_YEARS: tuple[str, ...] = datasets.STS_YEARS

_FAMILY_OF = {name: task.family for name, task in datasets.TASKS.items()}
_AVERAGE = "avg"

#: The name of each task (and of the average column) in the paper's tables.
DISPLAY_NAMES: dict[str, str] = {
    **{name: task.display_name for name, task in datasets.TASKS.items()},
    _AVERAGE: "Avg.",
}


# --------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------


def evaluate(
    embedder,
    tasks: str | Iterable[str] = "all",
    *,
    data_home: str | os.PathLike[str] | None = None,
    fit_on: str | os.PathLike[str] | Sequence[str] = "task",
    missing: Literal["warn", "raise", "ignore"] = "warn",
    name: str | None = None,
    n_seeds: int = 5,
    normalize: bool = False,
    cv: int = 10,
    inner_cv: int = 5,
    Cs: Sequence[float] = DEFAULT_CS,
    pair_features: Sequence[str] = ("u", "v", "abs_diff", "product"),
    max_iter: int = 1000,
    n_jobs: int | None = None,
    random_state: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Evaluate a sentence embedder on STS, clustering and classification tasks.

    See the module documentation for the protocol of each family.

    Parameters
    ----------
    embedder : estimator
        Any text pipeline: ``transform(texts)`` of a list of str returns an array (dense or
        sparse) of shape ``(len(texts), d)``, e.g. ``make_pipeline(TransformerFeaturizer(),
        TokenPooler("mean"))``. Fitted or not (see ``fit_on``); never modified.
    tasks : str or iterable of str, default="all"
        Task names (see :data:`TASKS`): STS ``"sts12"``, ``"sts13"``, ``"sts14"``,
        ``"sts15"``, ``"sts16"``, ``"stsb"`` (test split), ``"sickr"`` (test split);
        clustering ``"agnews_8000"``, ``"searchsnippets"``, ``"stackoverflow"``,
        ``"tweet"``, ``"biomedical"``, ``"googlenews_ts"``, ``"googlenews_t"``,
        ``"googlenews_s"``; classification ``"mr"``, ``"cr"``, ``"subj"``, ``"mpqa"``,
        ``"sst2"``, ``"sst5"``, ``"trec"``, ``"mrpc"``, ``"sicke"``. The family names
        ``"sts"``, ``"clustering"``, ``"classification"`` and ``"all"`` stand for their
        tasks. Duplicates are dropped; tasks run in table order.
    data_home : str or path-like, default=None
        Where the data sets are read from (see :func:`~sklearn_sentemb.datasets.get_data_home`).
    fit_on : "task", "none", str, path-like or sequence of str, default="task"
        What the learned steps are fitted on: ``"task"``, each task's own texts; ``"none"``,
        nothing (the embedder must be fitted); a corpus name such as ``"wikitext103"`` or a
        corpus file path (read with :func:`~sklearn_sentemb.datasets.load_corpus`), or the
        corpus texts themselves: one clone is fitted on it for all tasks. An embedder holding
        a :class:`~sklearn_sentemb.FitOn` step with a corpus fits its later steps on that
        corpus whatever it is given, so it is refused (``ValueError``) unless ``fit_on`` is
        ``"none"`` or the same texts: the ``fit_on`` column always says what the steps saw.
    missing : {"warn", "raise", "ignore"}, default="warn"
        What to do with a task whose files are not in ``data_home``: skip it with a
        ``UserWarning``, raise the loader's ``FileNotFoundError``, or skip it silently.
        Skipped tasks are listed in ``results.attrs["skipped"]``.
    name : str, default=None
        Label of the embedder in the ``embedder`` column; default: the class names of its
        steps joined by ``" + "``.
    n_seeds : int, default=5
        Clustering: number of k-means runs (seeds drawn from ``random_state``).
    normalize : bool, default=False
        Clustering: L2-normalise the embeddings before k-means.
    cv : int, default=10
        Classification: outer folds for MR, CR, SUBJ and MPQA.
    inner_cv : int, default=5
        Classification: inner folds choosing ``C`` (MR, CR, SUBJ, MPQA, TREC, MRPC).
    Cs : sequence of float, default=(0.25, 0.5, 1, 2, 4, 8)
        Classification: candidate inverse regularisation strengths; ties go to the first.
    pair_features : sequence of {"u", "v", "abs_diff", "product"}, default=("u", "v", "abs_diff", "product")
        Classification: features of a sentence pair (MRPC, SICK-E), concatenated in order.
    max_iter : int, default=1000
        Classification: iterations of the lbfgs solver.
    n_jobs : int, default=None
        Classification: parallel jobs of the inner cross-validation.
    random_state : int, default=0
        Seeds the k-means runs, the shuffling of the folds and the logistic regression.
    progress : bool, default=False
        Show a tqdm progress bar over the tasks.

    Returns
    -------
    results : pandas.DataFrame
        One row per score, with the columns of :data:`COLUMNS`:

        - ``embedder``: ``name``; ``fit_on``: ``"task"``, ``"none"``, the corpus name or
          path, or ``"corpus (n texts)"``; ``family``: ``"sts"``, ``"clustering"`` or
          ``"classification"``; ``task``: the task name, or ``"avg"`` for a family average.
        - ``subset``: for a yearly STS task, the subset name, or ``"all"``, ``"mean"``,
          ``"wmean"`` for the aggregates; ``"test"`` for a score on a test split; ``"cv"``
          for a cross-validated classification score; ``"all"`` for clustering (all texts);
          for an ``"avg"`` row, the STS convention averaged or ``"all"``.
        - ``metric``: ``"spearman"``, ``"accuracy"``, ``"nmi"`` or ``"f1"``; ``score``: in
          [-1, 1] or [0, 1] (not x 100); ``std``: over seeds (clustering) or outer folds
          (cross-validated classification), else NaN; ``n``: the number of pairs or texts
          scored, or of tasks averaged.

        The family averages (``task == "avg"``) are the plain means over the tasks
        evaluated: STS in each convention (STS-B and SICK-R enter every convention with
        their single score), clustering accuracy and NMI, classification accuracy (MRPC's
        accuracy). ``results.attrs`` holds ``"skipped"`` (task -> reason) and
        ``"params"`` (the evaluation parameters).

    Raises
    ------
    ValueError
        Unknown task names (the message lists the valid ones), a bad ``fit_on``,
        ``missing`` or classification parameter, a ``fit_on`` that contradicts a
        :class:`~sklearn_sentemb.FitOn` step of the embedder (the message names both), or an
        embedder output of the wrong shape.
    NotFittedError
        ``fit_on="none"`` with an embedder that is not fitted.
    FileNotFoundError
        ``missing="raise"`` and a task's files are missing.

    See Also
    --------
    format_table : The results as the paper's tables.
    sklearn_sentemb.metrics.make_sts_scorer : STS as a ``GridSearchCV`` scorer.

    Examples
    --------
    Any scikit-learn text pipeline works; STS-B test ships with the package:

    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn_sentemb.evaluation import evaluate, format_table
    >>> results = evaluate(TfidfVectorizer(), tasks="stsb", data_home="bundled", name="tf-idf")
    >>> results[["task", "subset", "metric", "score", "n"]].round(4)
       task subset    metric   score     n
    0  stsb   test  spearman  0.6908  1379
    1   avg    all  spearman  0.6908     1
    2   avg   mean  spearman  0.6908     1
    3   avg  wmean  spearman  0.6908     1

    A transformer with mean pooling on every STS task in ``data_home``, with the learned
    steps fitted on WikiText-103 (needs those data sets, so not run here):

    .. code-block:: python

        from sklearn.pipeline import make_pipeline
        from sklearn_sentemb import TokenPooler, TransformerFeaturizer, Whitening

        pipe = make_pipeline(TransformerFeaturizer(), TokenPooler("mean"), Whitening())
        results = evaluate(pipe, tasks="sts", fit_on="wikitext103")
        print(format_table(results, subsets=True))
    """
    selected = _select_tasks(tasks)
    _check_option(missing, ("warn", "raise", "ignore"), "missing")
    protocol = _check_protocol(
        n_seeds, normalize, cv, inner_cv, Cs, pair_features, max_iter, n_jobs, random_state
    )
    if not isinstance(fit_on, (str, os.PathLike, bytes)) and isinstance(fit_on, Iterable):
        fit_on = list(fit_on)  # a generator is read once
    fit_label = _fit_on_label(fit_on)
    label = name if name is not None else _describe(embedder)
    loaded, skipped = _load_tasks(selected, data_home, missing)
    shared_model = _shared_model(embedder, fit_on, data_home)

    def embed(texts: list[str]) -> np.ndarray:
        return _embed(embedder, shared_model, texts)

    rows = _score_tasks(loaded, embed, protocol, progress)
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("embedder", "fit_on")])
    frame.insert(0, "embedder", label)
    frame.insert(1, "fit_on", fit_label)
    frame = frame.astype({"score": float, "std": float, "n": int})
    frame.attrs["skipped"] = skipped
    frame.attrs["params"] = {
        "fit_on": fit_label,
        "n_seeds": n_seeds,
        "normalize": normalize,
        "cv": cv,
        "inner_cv": inner_cv,
        "Cs": tuple(protocol.Cs),
        "pair_features": tuple(protocol.pair_features),
        "random_state": random_state,
    }
    return frame


def _load_tasks(selected, data_home, missing) -> tuple[list[tuple[str, Any]], dict[str, str]]:
    """The data of each task found, and why each other task is skipped (``missing``)."""
    skipped: dict[str, str] = {}
    loaded: list[tuple[str, Any]] = []
    for task in selected:
        try:
            loaded.append((task, load_task(task, data_home)))
        except FileNotFoundError as exc:
            if missing == "raise":
                raise
            skipped[task] = str(exc)
            if missing == "warn":
                warnings.warn(
                    f"evaluate: skipping task {task!r}, its data is missing: {exc}",
                    UserWarning,
                    stacklevel=3,  # evaluate's caller
                )
    return loaded, skipped


def _shared_model(embedder, fit_on, data_home):
    """The embedder used for every task: as given (``"none"``), fitted on the corpus, or None
    for ``"task"`` (a clone is fitted on each task)."""
    if fit_on == "none":
        _check_fitted(embedder)
        return embedder
    if fit_on == "task":
        _check_fit_on_steps(embedder, fit_on, None)
        return None
    corpus = _corpus_texts(fit_on, data_home)
    _check_fit_on_steps(embedder, fit_on, corpus)
    return clone(embedder).fit(corpus)


def _score_tasks(loaded, embed, protocol: Protocol, progress: bool) -> list[dict[str, Any]]:
    """The rows of every loaded task, then the family averages."""
    items: Iterable[tuple[str, Any]] = loaded
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(loaded, desc="evaluate", unit="task")
    rows: list[dict[str, Any]] = []
    for task, data in items:
        if progress:
            items.set_postfix_str(task)
        found = score_task(task, data, embed, protocol)
        rows += [{"family": _FAMILY_OF[task], "task": task, **score} for score in found]
    return rows + _averages(rows)


# -- arguments -------------------------------------------------------------------------


def _check_option(value, options, name: str) -> None:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}.")


def _select_tasks(tasks) -> list[str]:
    if tasks is None or not isinstance(tasks, (str, Iterable)):
        raise TypeError(f"evaluate: tasks must be a str or a list of str; got {tasks!r}.")
    names = [tasks] if isinstance(tasks, str) else list(tasks)
    if not names:
        raise ValueError("evaluate: tasks is empty; name at least one task or family.")
    chosen: set[str] = set()
    bad = []
    for task in names:
        if task == "all":
            chosen.update(TASKS)
        elif task in FAMILIES:
            chosen.update(FAMILIES[task])
        elif task in _FAMILY_OF:
            chosen.add(task)
        else:
            bad.append(task)
    if bad:
        raise ValueError(
            f"evaluate: unknown task(s) {bad}. Valid tasks: {list(TASKS)}; families: "
            f"{[*FAMILIES, 'all']}."
        )
    return [task for task in TASKS if task in chosen]


def _check_protocol(
    n_seeds, normalize, cv, inner_cv, Cs, pair_features, max_iter, n_jobs, random_state
) -> Protocol:
    for value, what, least in (
        (n_seeds, "n_seeds", 1),
        (cv, "cv", 2),
        (inner_cv, "inner_cv", 2),
        (max_iter, "max_iter", 1),
    ):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
            raise ValueError(f"evaluate: {what} must be an int >= {least}; got {value!r}.")
    Cs = [float(c) for c in np.atleast_1d(np.asarray(Cs, dtype=np.float64))]
    if not Cs or not all(np.isfinite(c) and c > 0 for c in Cs):
        raise ValueError(f"evaluate: Cs must be positive finite numbers; got {Cs!r}.")
    features = valid_names(pair_features, PAIR_FEATURES)
    if features is None:
        raise ValueError(
            f"evaluate: pair_features must name one or more of {list(PAIR_FEATURES)}; "
            f"got {pair_features!r}."
        )
    return Protocol(n_seeds, normalize, cv, inner_cv, Cs, features, max_iter, n_jobs, random_state)


def _fit_on_label(fit_on) -> str:
    if isinstance(fit_on, (str, os.PathLike)):
        if not os.fspath(fit_on):
            raise ValueError("evaluate: fit_on is an empty string.")
        return os.fspath(fit_on)
    if isinstance(fit_on, bytes) or not isinstance(fit_on, Iterable):
        raise TypeError(
            "evaluate: fit_on must be 'task', 'none', a corpus name or path, or a sequence of "
            f"texts; got {type(fit_on).__name__}."
        )
    return f"corpus ({len(fit_on)} texts)"


def _corpus_texts(fit_on, data_home) -> list[str]:
    if isinstance(fit_on, (str, os.PathLike)):
        try:
            texts = datasets.load_corpus(fit_on, data_home=data_home)
        except FileNotFoundError as exc:
            raise FileNotFoundError(
                f"evaluate: fit_on={os.fspath(fit_on)!r} is not 'task' or 'none', so it must "
                f"name a corpus: {exc}"
            ) from exc
    else:
        texts = list(fit_on)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(
            f"evaluate: fit_on texts must be str; item {bad} is {type(texts[bad]).__name__}."
        )
    if not texts:
        raise ValueError("evaluate: the fit_on corpus has no texts.")
    return texts


def _check_fit_on_steps(embedder, fit_on, corpus: list[str] | None) -> None:
    """Refuse a :class:`FitOn` step whose corpus is not what ``fit_on`` says fits the steps."""
    from ._fit_on import FitOn

    params = embedder.get_params(deep=True) if hasattr(embedder, "get_params") else {}
    for path, step in [("", embedder), *params.items()]:
        if not isinstance(step, FitOn) or step.corpus is None:
            continue
        if corpus is not None and list(clone(step).fit_transform([])) == corpus:
            continue  # the step's corpus is the fit_on corpus: the label tells the truth
        where = f"step {path!r} of the embedder" if path else "the embedder"
        raise ValueError(
            f"evaluate: fit_on={_shown(fit_on)} contradicts {where}, "
            f"FitOn(corpus={_shown(step.corpus)}), which fits "
            "the later steps on its own corpus instead. Pass that corpus as fit_on, "
            "fit_on='none' to use a fitted embedder as it is, or set "
            f"{path + '__' if path else ''}corpus=None to fit on what fit_on says."
        )


def _shown(corpus) -> str:
    """A corpus name or path as its repr, a sequence of texts by its length."""
    if isinstance(corpus, (str, os.PathLike)):
        return repr(os.fspath(corpus))
    return f"<{len(corpus)} texts>"


def _describe(embedder) -> str:
    if isinstance(embedder, Pipeline):
        return " + ".join(
            type(step).__name__ for _, step in embedder.steps if step != "passthrough"
        )
    return type(embedder).__name__


def _check_fitted(embedder) -> None:
    """Raise a clear NotFittedError unless ``embedder`` is usable without fitting."""
    try:
        check_is_fitted(embedder)
        return
    except (NotFittedError, TypeError):
        pass  # text steps often carry no fitted attributes: try it instead
    try:
        embedder.transform(["A sentence."])
    except NotFittedError as exc:
        raise NotFittedError(
            "evaluate(fit_on='none') uses the embedder as given, but it is not fitted "
            f"({exc}). Fit it first, or pass fit_on='task' or a corpus."
        ) from exc


# -- embedding -------------------------------------------------------------------------


def _embed(embedder, model, texts: list[str]) -> np.ndarray:
    """Rows for ``texts``: each distinct text embedded once, by ``model`` or a task fit."""
    unique = list(dict.fromkeys(texts))
    if model is None:  # fit_on="task"
        model = clone(embedder).fit(unique)
    out = model.transform(unique)
    if scipy.sparse.issparse(out):
        out = out.toarray()
    out = np.asarray(out, dtype=np.float64)
    if out.ndim != 2 or out.shape[0] != len(unique):
        raise ValueError(
            f"evaluate: the embedder must return an array of shape (n_texts, d); given "
            f"{len(unique)} texts it returned shape {out.shape}."
        )
    if len(unique) == len(texts):
        return out
    position = {text: i for i, text in enumerate(unique)}
    return out[np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))]


# -- averages --------------------------------------------------------------------------


def _averages(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frame = pd.DataFrame(rows)
    out: list[dict[str, Any]] = []
    if frame.empty:
        return out
    sts = frame[frame.family == "sts"]
    if not sts.empty:
        for convention in CONVENTIONS:
            headline = sts[
                (sts.task.isin(STS_YEARS) & (sts.subset == convention))
                | (~sts.task.isin(STS_YEARS) & (sts.subset == "test"))
            ]
            out.append(_average_row("sts", convention, "spearman", headline.score))
    for family, metrics in (("clustering", ("accuracy", "nmi")), ("classification", ("accuracy",))):
        part = frame[frame.family == family]
        for metric in metrics:
            scores = part.score[part.metric == metric]
            if len(scores):
                out.append(_average_row(family, "all", metric, scores))
    return out


def _average_row(family, subset, metric, scores: pd.Series) -> dict[str, Any]:
    return {"family": family, "task": _AVERAGE, **row(subset, metric, scores.mean(), len(scores))}


# --------------------------------------------------------------------------------------
# format_table
# --------------------------------------------------------------------------------------


def format_table(results, *, subsets: bool = False, decimals: int = 2) -> str:
    """The results of :func:`evaluate` as the paper's tables (scores x 100).

    One table per family present: STS (one line per convention for STS12-16, ``all``,
    ``mean`` and ``wmean``; STS-B and SICK-R repeat their single score), clustering (one line
    for accuracy and one for NMI) and classification (accuracy; MRPC as ``accuracy/F1``),
    each with the family average. Several embedders, or several ``fit_on`` choices, give
    one block of lines each: concatenate their results with :func:`pandas.concat`.

    Parameters
    ----------
    results : pandas.DataFrame or sequence of dict
        What :func:`evaluate` returned (or several such frames concatenated, or its rows).
    subsets : bool, default=False
        Also print the per-subset STS scores of the yearly tasks.
    decimals : int, default=2
        Decimals of the scores x 100.

    Returns
    -------
    table : str
        The tables, separated by blank lines, followed by the skipped tasks if any. Print
        it.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_sentemb.evaluation import format_table
    >>> rows = [
    ...     dict(embedder="mean", fit_on="task", family="sts", task="stsb", subset="test",
    ...          metric="spearman", score=0.8203, std=float("nan"), n=1379),
    ...     dict(embedder="mean", fit_on="task", family="clustering", task="tweet",
    ...          subset="all", metric="accuracy", score=0.55, std=0.01, n=2472),
    ...     dict(embedder="mean", fit_on="task", family="clustering", task="tweet",
    ...          subset="all", metric="nmi", score=0.8, std=0.005, n=2472),
    ... ]
    >>> print(format_table(pd.DataFrame(rows)))
    STS: Spearman correlation x 100 of cosine similarity
    embedder fit_on STS12-16 STS-B
        mean   task        - 82.03
    <BLANKLINE>
    Clustering: k-means accuracy and NMI x 100, mean over seeds
    embedder fit_on   metric Tweet
        mean   task accuracy 55.00
        mean   task      NMI 80.00
    """
    frame = results if isinstance(results, pd.DataFrame) else pd.DataFrame(list(results))
    missing_columns = [c for c in COLUMNS if c not in frame.columns]
    if missing_columns:
        raise ValueError(
            f"format_table: results lack the column(s) {missing_columns}; pass what "
            "evaluate returned."
        )
    fmt = f"{{:.{decimals}f}}".format
    blocks = []
    for family, formatter in (
        ("sts", _sts_table),
        ("clustering", _clustering_table),
        ("classification", _classification_table),
    ):
        part = frame[frame.family == family]
        if not part.empty:
            blocks.append(formatter(part, fmt))
    if subsets:
        part = frame[(frame.family == "sts") & frame.task.isin(STS_YEARS)]
        if not part.empty:
            blocks.append(_subset_table(part, fmt))
    skipped = frame.attrs.get("skipped") or {}
    if skipped:
        blocks.append("Skipped (data missing): " + ", ".join(skipped))
    if not blocks:
        return "(no results)"
    return "\n\n".join(blocks)


def _tasks_present(part: pd.DataFrame, family: str) -> list[str]:
    present = set(part.task)
    return [task for task in (*FAMILIES[family], _AVERAGE) if task in present]


def _lookup(group: pd.DataFrame, task: str, subset: str | None, metric: str) -> float | None:
    mask = (group.task == task) & (group.metric == metric)
    if subset is not None:
        mask &= group.subset == subset
    values = group.score[mask]
    return None if values.empty else float(values.iloc[0])


def _cell(value: float | None, fmt) -> str:
    return "-" if value is None or not np.isfinite(value) else fmt(100 * value)


def _render(title: str, lines: list[dict[str, str]]) -> str:
    return title + "\n" + pd.DataFrame(lines).to_string(index=False)


def _groups(part: pd.DataFrame):
    return part.groupby(["embedder", "fit_on"], sort=False)


def _family_table(part: pd.DataFrame, family: str, title: str, lines, cell, column) -> str:
    """A table of ``family``: per (embedder, fit_on) group, one line per ``(lead, key)`` of
    ``lines`` (``lead``: the columns after embedder and fit_on), with the cell
    ``cell(group, task, key)`` under ``column(task)`` for each task present."""
    tasks = _tasks_present(part, family)
    out = []
    for (embedder, fit_on), group in _groups(part):
        for lead, key in lines:
            line = {"embedder": embedder, "fit_on": fit_on, **lead}
            for task in tasks:
                line[column(task)] = cell(group, task, key)
            out.append(line)
    return _render(title, out)


def _sts_table(part: pd.DataFrame, fmt) -> str:
    if part.task.isin(STS_YEARS).any():
        lines = [({"STS12-16": convention}, convention) for convention in CONVENTIONS]
    else:
        lines = [({"STS12-16": "-"}, "all")]

    def cell(group, task, convention):
        subset = convention if task in (*STS_YEARS, _AVERAGE) else "test"
        return _cell(_lookup(group, task, subset, "spearman"), fmt)

    title = "STS: Spearman correlation x 100 of cosine similarity"
    return _family_table(part, "sts", title, lines, cell, DISPLAY_NAMES.__getitem__)


def _clustering_table(part: pd.DataFrame, fmt) -> str:
    lines = [({"metric": "accuracy"}, "accuracy"), ({"metric": "NMI"}, "nmi")]

    def cell(group, task, metric):
        return _cell(_lookup(group, task, None, metric), fmt)

    title = "Clustering: k-means accuracy and NMI x 100, mean over seeds"
    return _family_table(part, "clustering", title, lines, cell, DISPLAY_NAMES.__getitem__)


def _classification_table(part: pd.DataFrame, fmt) -> str:
    def cell(group, task, _):
        text = _cell(_lookup(group, task, None, "accuracy"), fmt)
        if task == "mrpc":
            text += "/" + _cell(_lookup(group, task, None, "f1"), fmt)
        return text

    def column(task):
        return DISPLAY_NAMES[task] + (" acc/F1" if task == "mrpc" else "")

    title = "Classification: logistic regression accuracy x 100"
    return _family_table(part, "classification", title, [({}, None)], cell, column)


def _subset_table(part: pd.DataFrame, fmt) -> str:
    keys = list(dict.fromkeys(zip(part.embedder, part.fit_on)))
    columns = {key: " / ".join(key) if len(keys) > 1 else "Spearman x 100" for key in keys}
    order: list[tuple[str, str]] = []
    for task in STS_YEARS:
        subsets = part.subset[part.task == task]
        named = [s for s in dict.fromkeys(subsets) if s not in CONVENTIONS]
        order += [(task, s) for s in (*named, *CONVENTIONS) if s in set(subsets)]
    lines = []
    for task, subset in order:
        line = {"task": DISPLAY_NAMES[task], "subset": subset}
        rows = part[(part.task == task) & (part.subset == subset)]
        line["pairs"] = str(int(rows.n.iloc[0]))
        for key in keys:
            group = rows[(rows.embedder == key[0]) & (rows.fit_on == key[1])]
            value = None if group.empty else float(group.score.iloc[0])
            line[columns[key]] = _cell(value, fmt)
        lines.append(line)
    return _render("STS subsets: Spearman correlation x 100", lines)
