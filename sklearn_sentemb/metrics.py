"""Evaluation metrics for sentence embeddings: STS, clustering and isotropy.

Sentence pairs follow one convention throughout the library: a text pipeline is given ``X``
of shape ``(n_pairs, 2)``, flattens it row-major, and returns embeddings of shape
``(2 * n_pairs, d)`` where row ``2 * i`` embeds ``X[i, 0]`` and row ``2 * i + 1`` embeds
``X[i, 1]``. :func:`split_pairs` undoes that flattening and :func:`make_sts_scorer` builds a
``scoring=`` callable for :class:`~sklearn.model_selection.GridSearchCV` on top of it.

Everything here needs only numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Literal

import numpy as np
import scipy.sparse
import scipy.stats
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils import check_random_state

from ._linalg import fit_pca, unit_scaled

__all__ = [
    "alignment",
    "average_cosine_similarity",
    "check_gold",
    "clustering_accuracy",
    "evaluate_clustering",
    "isoscore",
    "isotropy_ratio",
    "make_sts_scorer",
    "pair_similarity",
    "self_similarity",
    "split_pairs",
    "sts_score",
    "top_component_variance_ratio",
    "uniformity",
]

Similarity = Literal["cosine", "dot", "euclidean", "manhattan"]
Correlation = Literal["spearman", "pearson"]

_SIMILARITIES = ("cosine", "dot", "euclidean", "manhattan")
_CORRELATIONS = ("spearman", "pearson")


# --- input checks -------------------------------------------------------------------------


def _check_option(value, options, name: str, step: str) -> None:
    if value not in options:
        raise ValueError(
            f"{step}: {name} must be one of {', '.join(map(repr, options))}; got {value!r}."
        )


def _as_embeddings(X, name: str, step: str, *, min_samples: int = 1) -> np.ndarray:
    """Return ``X`` as a finite 2-D float64 array, or raise naming ``step``, ``name`` and the row."""
    if scipy.sparse.issparse(X):
        raise TypeError(f"{step}: {name} is a sparse matrix; pass a dense array (use .toarray()).")
    if np.iscomplexobj(X):
        raise TypeError(f"{step}: {name} must be real; got complex values.")
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{step}: {name} must be a numeric array of shape (n, d): {exc}") from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{step}: {name} must be a 2-D array of shape (n, d); got shape {arr.shape}."
        )
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{step}: {name} needs at least {min_samples} rows; got shape {arr.shape}."
        )
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise ValueError(f"{step}: {name} contains NaN or infinity (first at row {row}).")
    return arr


def _position(index: int, n: int, in_fold: bool) -> str:
    if not in_fold:
        return f"index {index}"
    return (
        f"position {index} of the {n} pairs given to the scorer (under cross-validation a "
        "position in the test fold, not an index of your y: "
        "sklearn_sentemb.metrics.check_gold(y) reports the index in y)"
    )


def _as_scores(gold, n_expected, step: str, name: str = "gold", in_fold: bool = False):
    """Return gold scores as a finite 1-D float64 array, not constant, or raise.

    ``n_expected`` (None: any length) is the number of pairs; ``in_fold`` says that the
    scores are the ones a scorer was given, so positions are within the fold.
    """
    arr = np.asarray(gold)
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            flat = arr.reshape(-1).tolist()
            index = next(i for i, item in enumerate(flat) if not _is_number(item))
            raise TypeError(
                f"{step}: {name} must contain numbers; the item at "
                f"{_position(index, len(flat), in_fold)} is {flat[index]!r}."
            ) from None
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim != 1:
        raise ValueError(
            f"{step}: {name} must be 1-D with one score per pair; got shape {arr.shape}."
        )
    if n_expected is not None and len(arr) != n_expected:
        raise ValueError(
            f"{step}: X has {n_expected} pairs but y has {len(arr)} gold scores."
            if in_fold
            else f"{step}: {name} has {len(arr)} scores but there are {n_expected} pairs."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        kind = "NaN" if np.isnan(arr[index]) else "infinity"
        raise ValueError(
            f"{step}: {name} contains {kind} (first at "
            f"{_position(index, len(arr), in_fold)}: {arr[index]})."
        )
    if not len(arr):
        raise ValueError(f"{step}: {name} is empty.")
    if np.all(arr == arr[0]):
        if in_fold:
            raise ValueError(
                f"{step}: {name} is constant (all {len(arr)} scores given to the scorer are "
                f"{arr[0]}; under cross-validation, one test fold): the correlation is "
                "undefined; use folds with varied scores, e.g. KFold(shuffle=True)."
            )
        raise ValueError(
            f"{step}: {name} is constant (every score is {arr[0]}): the correlation is undefined."
        )
    return arr


def _is_number(item) -> bool:
    try:
        float(item)
    except (TypeError, ValueError):
        return False
    return True


def _is_count(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


#: Norms below this (or not finite) are recomputed on rescaled rows: their squares may
#: underflow (or overflow) float64.
_SAFE_NORM = 1e-140


def _plain_norms(X: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore"):
        return np.linalg.norm(X, axis=1)


def _unsafe(norms: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Rows whose plain norm is not to be trusted: non-zero rows with a tiny or infinite norm."""
    return (~np.isfinite(norms) | (norms < _SAFE_NORM)) & (X != 0).any(axis=1)


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows of ``X`` scaled to unit length (zero rows stay zero).

    Ordinary rows are divided by their norm; a row whose squares would overflow or underflow
    (values near 1e200 or 1e-200) is first divided by its largest magnitude.
    """
    norms = _plain_norms(X)[:, None]
    unit = np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)
    rows = _unsafe(norms[:, 0], X)
    if rows.any():
        scaled = X[rows] / np.abs(X[rows]).max(axis=1, keepdims=True)
        unit[rows] = scaled / np.linalg.norm(scaled, axis=1, keepdims=True)
    return unit


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, free of overflow and underflow as in ``_unit_rows``."""
    norms = _plain_norms(X)
    rows = _unsafe(norms, X)
    if rows.any():
        peak = np.abs(X[rows]).max(axis=1)
        with np.errstate(over="ignore"):  # a norm beyond float64 is reported by the caller
            norms[rows] = peak * np.linalg.norm(X[rows] / peak[:, None], axis=1)
    return norms


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine: ``a . b / (|a| |b|)``, rescaling only the rows that need it."""
    norm_a, norm_b = _plain_norms(a), _plain_norms(b)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        norms = norm_a * norm_b
        dots = np.einsum("ij,ij->i", a, b)
        sims = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    rows = _unsafe(norm_a, a) | _unsafe(norm_b, b) | ~np.isfinite(dots)
    if rows.any():
        sims[rows] = np.einsum("ij,ij->i", _unit_rows(a[rows]), _unit_rows(b[rows]))
    return sims


# --- semantic textual similarity ----------------------------------------------------------


def check_gold(gold, n_pairs: int | None = None) -> np.ndarray:
    """Check gold similarity scores, reporting a bad score by its index in ``gold``.

    Call it on the whole ``y`` before a search: the STS scorer of :func:`make_sts_scorer`
    sees one test fold at a time, so it can only report the position within the fold.

    Parameters
    ----------
    gold : array-like of shape (n_pairs,)
        Gold similarity scores.
    n_pairs : int or None, default=None
        The number of pairs the scores must match (e.g. ``len(X)``); None: any length.

    Returns
    -------
    gold : ndarray of shape (n_pairs,), float64
        The scores.

    Raises
    ------
    ValueError
        If ``gold`` is not 1-D, has the wrong length, contains NaN or infinity (the message
        names the first index and its value) or is constant.
    TypeError
        If an item is not a number.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import check_gold
    >>> check_gold([0.5, 4, 3.2])
    array([0.5, 4. , 3.2])
    >>> check_gold([0.5, float("nan"), 3.2])
    Traceback (most recent call last):
    ...
    ValueError: check_gold: gold contains NaN (first at index 1: nan).
    """
    return _as_scores(gold, n_pairs, "check_gold")


def _pair_similarity(a, b, similarity, step, names=("emb_a", "emb_b")) -> np.ndarray:
    a = _as_embeddings(a, names[0], step)
    b = _as_embeddings(b, names[1], step)
    if a.shape != b.shape:
        raise ValueError(
            f"{step}: {names[0]} and {names[1]} must have the same shape; got {a.shape} and "
            f"{b.shape}."
        )
    if similarity == "cosine":
        return _cosine(a, b)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        if similarity == "dot":
            sims = np.einsum("ij,ij->i", a, b)
        elif similarity == "euclidean":
            sims = -_row_norms(a - b)
        else:
            sims = -np.abs(a - b).sum(axis=1)
    finite = np.isfinite(sims)
    if not finite.all():
        raise ValueError(
            f"{step}: the {similarity} similarity of pair {int(np.argmin(finite))} overflows "
            "float64; rescale the embeddings or use similarity='cosine'."
        )
    return sims


def pair_similarity(emb_a, emb_b, similarity: Similarity = "cosine") -> np.ndarray:
    """Similarity of each row of ``emb_a`` with the same row of ``emb_b``.

    Parameters
    ----------
    emb_a, emb_b : array-like of shape (n_pairs, d)
        Embeddings of the first and the second sentence of each pair.
    similarity : {"cosine", "dot", "euclidean", "manhattan"}, default="cosine"
        ``"euclidean"`` and ``"manhattan"`` return the negated distance, so that greater is
        always more similar. The cosine similarity of a zero vector with anything is 0.

    Returns
    -------
    similarities : ndarray of shape (n_pairs,)
        One float64 similarity per pair.

    Raises
    ------
    ValueError
        On mismatched shapes, NaN or infinity in the embeddings, or a similarity that
        overflows float64 (``"dot"`` of huge vectors; cosine never overflows).

    Examples
    --------
    >>> from sklearn_sentemb.metrics import pair_similarity
    >>> pair_similarity([[1, 0], [1, 1], [0, 0]], [[2, 0], [-1, 1], [1, 0]])
    array([1., 0., 0.])
    >>> pair_similarity([[0, 0]], [[3, 4]], similarity="euclidean")
    array([-5.])
    """
    _check_option(similarity, _SIMILARITIES, "similarity", "pair_similarity")
    return _pair_similarity(emb_a, emb_b, similarity, "pair_similarity")


def sts_score(
    emb_a,
    emb_b,
    gold,
    similarity: Similarity = "cosine",
    correlation: Correlation = "spearman",
) -> float:
    """Correlation between embedding similarities and gold similarity scores (STS).

    Parameters
    ----------
    emb_a, emb_b : array-like of shape (n_pairs, d)
        Embeddings of the first and the second sentence of each pair.
    gold : array-like of shape (n_pairs,)
        Gold similarity scores (e.g. 0 to 5 for STS-B); at least two distinct values.
    similarity : {"cosine", "dot", "euclidean", "manhattan"}, default="cosine"
        Pair similarity, see :func:`pair_similarity`.
    correlation : {"spearman", "pearson"}, default="spearman"
        Rank (:func:`scipy.stats.spearmanr`) or linear (:func:`scipy.stats.pearsonr`)
        correlation.

    Returns
    -------
    score : float
        The correlation, in [-1, 1]; greater is better. When all pair similarities are equal
        the correlation is undefined and 0.0 is returned, with a warning.

    Raises
    ------
    ValueError
        On mismatched shapes, fewer than two pairs, NaN or infinity in the embeddings or in
        ``gold`` (named by its index in ``gold``, see :func:`check_gold`), constant ``gold``,
        or a similarity that overflows float64.
    TypeError
        When ``gold`` holds something that is not a number.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import sts_score
    >>> emb_a = [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    >>> emb_b = [[1.0, 0.1], [1.0, 1.0], [0.0, 1.0]]
    >>> sts_score(emb_a, emb_b, gold=[5.0, 3.0, 0.5])
    1.0
    """
    step = "sts_score"
    _check_option(similarity, _SIMILARITIES, "similarity", step)
    _check_option(correlation, _CORRELATIONS, "correlation", step)
    sims = _pair_similarity(emb_a, emb_b, similarity, step)
    if len(sims) < 2:
        raise ValueError(f"{step}: needs at least 2 pairs; got {len(sims)}.")
    return _correlate(sims, _as_scores(gold, len(sims), step), correlation)


def _correlate(sims: np.ndarray, scores: np.ndarray, correlation: str) -> float:
    if np.all(sims == sims[0]):
        warnings.warn(
            "All pair similarities are equal: the correlation is undefined; returning 0.0.",
            UserWarning,
            stacklevel=3,
        )
        return 0.0
    if correlation == "spearman":
        result = scipy.stats.spearmanr(sims, scores)
    else:
        result = scipy.stats.pearsonr(sims, scores)
    return float(result[0])


def split_pairs(embeddings, n_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Split row-major pair embeddings ``(2 * n_pairs, d)`` into the two sides of each pair.

    Parameters
    ----------
    embeddings : array-like of shape (2 * n_pairs, d)
        Output of a text pipeline given pairs ``X`` of shape ``(n_pairs, 2)``: row ``2 * i``
        embeds ``X[i, 0]`` and row ``2 * i + 1`` embeds ``X[i, 1]``.
    n_pairs : int
        Number of pairs.

    Returns
    -------
    emb_a, emb_b : ndarray of shape (n_pairs, d)
        Embeddings of the first and of the second sentences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb.metrics import split_pairs
    >>> emb_a, emb_b = split_pairs(np.arange(8).reshape(4, 2), n_pairs=2)
    >>> emb_a
    array([[0, 1],
           [4, 5]])
    >>> emb_b
    array([[2, 3],
           [6, 7]])
    """
    if scipy.sparse.issparse(embeddings):
        embeddings = embeddings.toarray()
    arr = np.asarray(embeddings)
    if arr.ndim != 2:
        raise ValueError(
            "split_pairs: embeddings must be a 2-D array of shape (2 * n_pairs, d); got shape "
            f"{arr.shape}."
        )
    if arr.shape[0] != 2 * n_pairs:
        raise ValueError(
            f"split_pairs: expected 2 * n_pairs = {2 * n_pairs} embedding rows for {n_pairs} "
            f"pairs, got "
            f"{arr.shape[0]}. The pipeline must flatten the (n_pairs, 2) text pairs row-major, "
            "one embedding per text: row 2*i for X[i, 0] and row 2*i + 1 for X[i, 1]."
        )
    return arr[0::2], arr[1::2]


class _STSScorer:
    """Picklable ``scorer(estimator, X, y)`` returning :func:`sts_score` of ``transform(X)``."""

    def __init__(self, similarity: Similarity, correlation: Correlation):
        self.similarity = similarity
        self.correlation = correlation

    def __call__(self, estimator, X, y) -> float:
        step = "make_sts_scorer"
        shape = np.shape(X)
        if len(shape) != 2 or shape[1] != 2:
            raise ValueError(
                f"{step}: the STS scorer expects X of shape (n_pairs, 2), one sentence pair "
                f"per row; got shape {shape}."
            )
        if shape[0] < 2:
            raise ValueError(f"{step}: needs at least 2 pairs; got {shape[0]}.")
        # Before transform, the expensive part: a bad y fails fast.
        gold = _as_scores(y, shape[0], step, name="y", in_fold=True)
        emb_a, emb_b = split_pairs(estimator.transform(X), shape[0])
        names = ("the embeddings of X[:, 0]", "the embeddings of X[:, 1]")
        sims = _pair_similarity(emb_a, emb_b, self.similarity, step, names)
        return _correlate(sims, gold, self.correlation)

    def __repr__(self) -> str:
        return f"make_sts_scorer(similarity={self.similarity!r}, correlation={self.correlation!r})"


def make_sts_scorer(
    similarity: Similarity = "cosine", correlation: Correlation = "spearman"
) -> _STSScorer:
    """Make an STS scorer for ``scoring=`` in ``GridSearchCV`` or ``cross_val_score``.

    The scorer is called as ``scorer(estimator, X, y)`` with ``X`` the sentence pairs,
    shape ``(n_pairs, 2)``, and ``y`` the gold scores. It embeds ``X`` with
    ``estimator.transform(X)`` (row-major flattening, see :func:`split_pairs`) and returns
    :func:`sts_score`; greater is better. It pickles, so it works with ``n_jobs > 1``.

    ``y`` is checked before ``X`` is embedded. A ``y`` of the wrong length, with NaN,
    infinity or a non-number, or constant (a whole test fold of equal scores) raises a
    ``ValueError`` (``TypeError`` for a non-number). Under cross-validation the scorer sees
    only the test fold, so a bad score is reported by its position in the fold together
    with its value; :func:`check_gold` on the whole ``y`` reports its index in ``y``. With
    ``GridSearchCV(error_score=np.nan)`` (the default) such a fold scores NaN, with
    scikit-learn's "Scoring failed" warning carrying the message.

    Parameters
    ----------
    similarity : {"cosine", "dot", "euclidean", "manhattan"}, default="cosine"
        Pair similarity, see :func:`pair_similarity`.
    correlation : {"spearman", "pearson"}, default="spearman"
        Correlation with the gold scores.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import make_sts_scorer
    >>> make_sts_scorer(correlation="pearson")
    make_sts_scorer(similarity='cosine', correlation='pearson')
    """
    _check_option(similarity, _SIMILARITIES, "similarity", "make_sts_scorer")
    _check_option(correlation, _CORRELATIONS, "correlation", "make_sts_scorer")
    return _STSScorer(similarity, correlation)


# --- clustering ---------------------------------------------------------------------------


def _as_labels(labels, name: str, step: str) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{step}: {name} must be 1-D; got shape {arr.shape}.")
    if len(arr) == 0:
        raise ValueError(f"{step}: {name} is empty.")
    return arr


def clustering_accuracy(labels_true, labels_pred) -> float:
    """Accuracy of a clustering under the best one-to-one matching of clusters to classes.

    The matching maximises the number of samples whose cluster is matched to their class
    (Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`). With more clusters
    than classes, the unmatched clusters count as errors, and likewise the other way round.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Class labels (any hashable, sortable values, e.g. ints or strings).
    labels_pred : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    accuracy : float
        Fraction of samples in [0, 1].

    Examples
    --------
    >>> from sklearn_sentemb.metrics import clustering_accuracy
    >>> clustering_accuracy(["a", "a", "b", "b"], [1, 1, 0, 0])
    1.0
    >>> clustering_accuracy([0, 0, 1, 1], [0, 0, 0, 1])
    0.75
    """
    true = _as_labels(labels_true, "labels_true", "clustering_accuracy")
    pred = _as_labels(labels_pred, "labels_pred", "clustering_accuracy")
    if len(true) != len(pred):
        raise ValueError(
            "clustering_accuracy: labels_true and labels_pred must have the same length; "
            f"got {len(true)} and {len(pred)}."
        )
    counts = contingency_matrix(true, pred)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(true))


def evaluate_clustering(
    X,
    labels,
    *,
    n_clusters: int | None = None,
    n_runs: int = 5,
    random_state=None,
) -> dict[str, float]:
    """Cluster embeddings with k-means and score against the labels (accuracy and NMI).

    :class:`~sklearn.cluster.KMeans` (k-means++, one initialisation) runs ``n_runs`` times
    with different seeds; each run is scored by :func:`clustering_accuracy` and
    :func:`~sklearn.metrics.normalized_mutual_info_score`.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Embeddings.
    labels : array-like of shape (n_samples,)
        True classes.
    n_clusters : int or None, default=None
        Number of clusters; ``None`` uses the number of distinct labels.
    n_runs : int, default=5
        Number of k-means runs (seeds).
    random_state : int, RandomState instance or None, default=None
        Draws the seed of each run.

    Returns
    -------
    results : dict
        ``"accuracy"``, ``"accuracy_std"``, ``"nmi"``, ``"nmi_std"`` (mean and population
        standard deviation over the runs), ``"n_clusters"`` and ``"n_runs"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb.metrics import evaluate_clustering
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> result = evaluate_clustering(X, ["x", "x", "y", "y"], n_runs=3, random_state=0)
    >>> round(result["accuracy"], 6), round(result["nmi"], 6)
    (1.0, 1.0)
    """
    step = "evaluate_clustering"
    data = _as_embeddings(X, "X", step)
    labels = _as_labels(labels, "labels", step)
    if len(labels) != len(data):
        raise ValueError(f"{step}: X has {len(data)} rows but labels has {len(labels)} entries.")
    k = len(np.unique(labels)) if n_clusters is None else n_clusters
    if not (_is_count(k) and 1 <= k <= len(data)):
        raise ValueError(
            f"{step}: n_clusters must be an int between 1 and n_samples={len(data)}; got {k!r}."
        )
    if not (_is_count(n_runs) and n_runs >= 1):
        raise ValueError(f"{step}: n_runs must be an int of at least 1; got {n_runs!r}.")
    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_runs)
    accuracies, nmis = [], []
    for seed in seeds:
        pred = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(data)
        accuracies.append(clustering_accuracy(labels, pred))
        nmis.append(normalized_mutual_info_score(labels, pred))
    return {
        "accuracy": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "nmi": float(np.mean(nmis)),
        "nmi_std": float(np.std(nmis)),
        "n_clusters": int(k),
        "n_runs": int(n_runs),
    }


# --- isotropy -----------------------------------------------------------------------------


def average_cosine_similarity(X, n_pairs: int | None = None, random_state=None) -> float:
    """Mean cosine similarity between distinct embeddings (near 0 for isotropic data).

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Embeddings, at least two.
    n_pairs : int or None, default=None
        ``None`` averages over all ordered pairs ``i != j`` exactly, in ``O(n d)`` time via
        ``sum_{i != j} u_i . u_j = |sum_i u_i|^2 - sum_i |u_i|^2`` for unit rows ``u_i``.
        An int averages over that many random pairs of distinct rows instead.
    random_state : int, RandomState instance or None, default=None
        Draws the random pairs when ``n_pairs`` is an int.

    Returns
    -------
    mean_cosine : float
        In [-1, 1]. Zero rows have cosine 0 with everything.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import average_cosine_similarity
    >>> round(average_cosine_similarity([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), 4)
    0.4714
    """
    data = _as_embeddings(X, "X", "average_cosine_similarity", min_samples=2)
    unit = _unit_rows(data)
    n = len(unit)
    if n_pairs is None:
        total = unit.sum(axis=0)
        off_diagonal = total @ total - np.einsum("ij,ij->", unit, unit)
        return float(off_diagonal / (n * (n - 1)))
    if not (_is_count(n_pairs) and n_pairs >= 1):
        raise ValueError(
            f"average_cosine_similarity: n_pairs must be a positive int or None; got {n_pairs!r}."
        )
    rng = check_random_state(random_state)
    first = rng.randint(n, size=n_pairs)
    second = (first + rng.randint(1, n, size=n_pairs)) % n  # uniform over j != i
    return float(np.einsum("ij,ij->i", unit[first], unit[second]).mean())


def isotropy_ratio(X) -> float:
    """Partition-function isotropy of Mu & Viswanath (2018), in (0, 1]; 1 is isotropic.

    With ``Z(c) = sum_i exp(c . x_i)``, the ratio is ``min_c Z(c) / max_c Z(c)`` over the
    unit eigenvectors ``c`` of ``X^T X`` (the uncentred embeddings), taking both signs of
    each eigenvector since ``-c`` is an eigenvector too. It is computed as
    ``exp(min log Z - max log Z)`` with :func:`scipy.special.logsumexp`, so large norms do not
    overflow.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Embeddings.

    Returns
    -------
    ratio : float
        Near 1 for isotropic embeddings, near 0 when they share a dominant direction.

    References
    ----------
    .. [1] J. Mu and P. Viswanath, "All-but-the-Top: Simple and Effective Postprocessing for
       Word Representations", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb.metrics import isotropy_ratio
    >>> X = np.random.RandomState(0).normal(size=(5000, 4))
    >>> isotropy_ratio(X) > 0.9, isotropy_ratio(X + 10) < 1e-6
    (True, True)
    """
    data = _as_embeddings(X, "X", "isotropy_ratio")
    scaled, _ = unit_scaled(data)  # same eigenvectors; X^T X of huge values would overflow
    _, eigenvectors = np.linalg.eigh(scaled.T @ scaled)
    projections = data @ eigenvectors
    log_z = np.concatenate([logsumexp(projections, axis=0), logsumexp(-projections, axis=0)])
    return float(np.exp(log_z.min() - log_z.max()))


def top_component_variance_ratio(X) -> float:
    """Share of the total variance along the first principal component.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Embeddings, at least two, not all equal.

    Returns
    -------
    ratio : float
        ``PCA(n_components=1).explained_variance_ratio_[0]``, in [1/d, 1].

    Examples
    --------
    >>> from sklearn_sentemb.metrics import top_component_variance_ratio
    >>> top_component_variance_ratio([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    0.8
    """
    data = _as_embeddings(X, "X", "top_component_variance_ratio", min_samples=2)
    if np.all(data == data[0]):
        raise ValueError(
            "top_component_variance_ratio: X has zero variance: every row is the same."
        )
    pca, _ = fit_pca(data, n_components=1)
    return float(pca.explained_variance_ratio_[0])


def isoscore(X) -> float:
    """IsoScore of Rudman et al. (2022): the share of the dimensions the embeddings use
    uniformly, in [0, 1]; 1 is isotropic.

    The published algorithm: the variances ``Sigma_D`` of ``X`` along its ``d`` principal
    directions (zeros beyond the rank), normalised to ``s = sqrt(d) Sigma_D / |Sigma_D|``;
    the isotropy defect ``delta = |s - 1| / sqrt(2 (d - sqrt(d)))``; the share of dimensions
    used ``phi = (d - delta^2 (d - sqrt(d)))^2 / d^2``; and the score
    ``(d phi - 1) / (d - 1)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Embeddings, at least two rows and two columns, not all equal.

    Returns
    -------
    score : float
        1 when every principal direction has the same variance, 0 when one holds it all.

    References
    ----------
    .. [1] W. Rudman, N. Gillman, T. Rayne and C. Eickhoff, "IsoScore: Measuring the
       Uniformity of Embedding Space Utilization", Findings of ACL 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb.metrics import isoscore
    >>> rng = np.random.RandomState(0)
    >>> round(isoscore(rng.normal(size=(20000, 4))), 2), abs(isoscore([[0, 0], [1, 1]])) < 1e-12
    (1.0, True)
    """
    data = _as_embeddings(X, "X", "isoscore", min_samples=2)
    d = data.shape[1]
    if d < 2:
        raise ValueError(f"isoscore: X needs at least 2 columns; got shape {data.shape}.")
    scaled, _ = unit_scaled(data - data.mean(axis=0))  # the scale cancels out below
    variances = np.zeros(d)
    singular = np.linalg.svd(scaled, compute_uv=False)
    variances[: len(singular)] = singular**2
    if not variances.any():
        raise ValueError("isoscore: X has zero variance: every row is the same.")
    normalised = np.sqrt(d) * variances / np.linalg.norm(variances)
    defect = np.linalg.norm(normalised - 1) / np.sqrt(2 * (d - np.sqrt(d)))
    used = (d - defect**2 * (d - np.sqrt(d))) ** 2 / d**2
    return float((d * used - 1) / (d - 1))


def alignment(emb_a, emb_b, alpha: float = 2) -> float:
    """Alignment of positive pairs (Wang & Isola, 2020): the mean ``|f(a) - f(b)|^alpha`` of
    the unit-normalised embeddings of each pair; lower is better, in [0, 2^alpha].

    Parameters
    ----------
    emb_a, emb_b : array-like of shape (n_pairs, d)
        Row ``i`` of each embeds the two sides of positive pair ``i`` (for instance STS pairs
        with a high gold score, as in SimCSE); zero rows stay zero.
    alpha : float, default=2
        Exponent of the distance.

    Returns
    -------
    alignment : float

    References
    ----------
    .. [1] T. Wang and P. Isola, "Understanding Contrastive Representation Learning through
       Alignment and Uniformity on the Hypersphere", ICML 2020.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import alignment
    >>> round(alignment([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [1.0, 0.0]]), 6)
    1.0
    """
    a = _as_embeddings(emb_a, "emb_a", "alignment")
    b = _as_embeddings(emb_b, "emb_b", "alignment")
    if a.shape != b.shape:
        raise ValueError(
            f"alignment: emb_a and emb_b must have the same shape; got {a.shape} and {b.shape}."
        )
    if not (isinstance(alpha, Real) and alpha > 0):
        raise ValueError(f"alignment: alpha must be a positive number; got {alpha!r}.")
    distances = np.linalg.norm(_unit_rows(a) - _unit_rows(b), axis=1)
    return float(np.mean(distances**alpha))


def uniformity(X, t: float = 2) -> float:
    """Uniformity (Wang & Isola, 2020): ``log`` of the mean ``exp(-t |f(x) - f(y)|^2)`` over
    the pairs of distinct rows of the unit-normalised embeddings; lower is more uniform.

    Computed exactly over all ``n (n - 1) / 2`` pairs, a block of rows at a time, with
    :func:`scipy.special.logsumexp`.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Embeddings, at least two; zero rows stay zero.
    t : float, default=2
        Temperature of the Gaussian potential.

    Returns
    -------
    uniformity : float
        In ``[-4 t, 0]``; 0 when all rows point the same way.

    References
    ----------
    .. [1] T. Wang and P. Isola, "Understanding Contrastive Representation Learning through
       Alignment and Uniformity on the Hypersphere", ICML 2020.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import uniformity
    >>> uniformity([[1.0, 0.0], [-3.0, 0.0]])  # one pair at squared distance 4
    -8.0
    """
    data = _as_embeddings(X, "X", "uniformity", min_samples=2)
    if not (isinstance(t, Real) and t > 0):
        raise ValueError(f"uniformity: t must be a positive number; got {t!r}.")
    unit = _unit_rows(data)
    squares = np.einsum("ij,ij->i", unit, unit)
    n, block = len(unit), 1024
    parts = []
    for start in range(0, n - 1, block):
        rows = slice(start, min(start + block, n - 1))
        gram = unit[rows] @ unit.T
        distances = squares[rows, None] + squares[None, :] - 2 * gram
        later = np.arange(n)[None, :] > np.arange(n)[rows, None]  # each pair i < j once
        parts.append(logsumexp(-t * np.clip(distances[later], 0, None)))
    return float(logsumexp(parts) - np.log(n * (n - 1) / 2))


def self_similarity(X, labels) -> float:
    """Self-similarity of contextual token vectors (Ethayarajh, 2019): the mean cosine between
    the vectors of distinct occurrences of the same token, averaged over the tokens.

    Parameters
    ----------
    X : array-like of shape (n_occurrences, d)
        One vector per occurrence of a token (e.g. ``TokenEmbeddings.values``).
    labels : array-like of shape (n_occurrences,)
        Which token each row is an occurrence of (e.g. ``TokenEmbeddings.token_ids``).

    Returns
    -------
    self_similarity : float
        The mean over the labels that occur at least twice of ``sum_{j != k} cos(x_j, x_k) /
        (m (m - 1))`` over their ``m`` occurrences; 1 for a static model. Zero rows have
        cosine 0 with everything.

    References
    ----------
    .. [1] K. Ethayarajh, "How Contextual are Contextualized Word Representations?
       Comparing the Geometry of BERT, ELMo, and GPT-2 Embeddings", EMNLP 2019.

    Examples
    --------
    >>> from sklearn_sentemb.metrics import self_similarity
    >>> round(self_similarity([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [5.0, 5.0]], [7, 7, 8, 9]), 4)
    0.7071
    """
    data = _as_embeddings(X, "X", "self_similarity")
    labels = np.asarray(labels)
    if labels.shape != (len(data),):
        raise ValueError(
            f"self_similarity: X has {len(data)} rows but labels has shape {labels.shape}; "
            "give one label per row."
        )
    _, groups = np.unique(labels, return_inverse=True)
    counts = np.bincount(groups)
    if counts.max(initial=0) < 2:
        raise ValueError("self_similarity: no label occurs twice; nothing to compare.")
    unit = _unit_rows(data)
    sums = np.zeros((len(counts), data.shape[1]))
    np.add.at(sums, groups, unit)
    own = np.bincount(groups, weights=np.einsum("ij,ij->i", unit, unit))
    repeated = counts >= 2
    m = counts[repeated]
    pairs = (np.einsum("ij,ij->i", sums, sums) - own)[repeated] / (m * (m - 1))
    return float(pairs.mean())
