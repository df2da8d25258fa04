"""`BERT2Static`: static token vectors trained with a contextual model as the teacher.

The X2Static objective (Gupta and Jaggi 2021) in its "ver2" form: the teacher runs once per
context (a sentence or a paragraph), the context vector is the mean of the teacher's layer
over the context's tokens, and each kept token of the context is predicted from it against
negatives drawn from the corpus's token counts. Training is one forward pass per context and
then cheap sparse updates of one table.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _tokens
from ._cache import DiskCache
from ._featurize import TransformerFeaturizer
from ._fit_on import _named_corpus
from ._models import DEFAULT_MODEL, load_tokenizer
from ._static import _VocabularyTable
from ._tokens import TokenRole
from ._validation import check_texts

__all__ = ["BERT2Static"]

#: Contexts per teacher call while fitting (bounds the memory of token vectors).
_TEACHER_CHUNK = 256
#: Scores are clamped to this range before the logistic loss, as in the reference code.
_CLAMP = 20.0
#: Arrays of a cached fit, by their index in the disk cache entry.
_ENTRY = ("table", "counts", "loss_curve", "sizes", "components")
#: Version of the training code: a change that changes the tables bumps it (cache keys).
_TRAINING_VERSION = 2
#: Sentence ends of tokenised text such as WikiText's, the rule of
#: ``load_corpus(sentence_split=True)``.
_SENTENCE_END = re.compile(r"(?<=\s[.!?])\s+(?=\S)")
_CUT = re.compile(r": (\d+) text\(s\) exceed")


class BERT2Static(_VocabularyTable):
    """Static token vectors trained to predict a teacher's contextual vectors (BERT2Static).

    ``fit`` trains one vector per vocabulary id of the teacher's own (WordPiece) tokenizer
    with the X2Static objective: each token of a context (a sentence or a paragraph of the
    corpus) is a target, predicted from the teacher's vector of that context, against
    negative tokens, by logistic loss. ``transform(texts)`` then only tokenises and gathers
    rows of the table, like the other static steps.

    Parameters
    ----------
    model : str or path, default="sentence-transformers/all-MiniLM-L6-v2"
        The teacher: a Hugging Face hub id or local directory (its tokenizer gives the
        vocabulary).
    corpus : None, str or sequence of str, default=None
        What ``fit`` trains on: None, the texts given to ``fit``; ``"wikitext103"`` (or a
        text file's path), the paragraphs of :func:`~sklearn_sentemb.datasets.load_corpus`
        read from ``data_home``; or a sequence of texts.
    data_home : str or path, optional
        Where a named corpus is read from (see ``datasets.get_data_home``).
    context : {"sentence", "paragraph"}, default="sentence"
        The unit of context: each corpus text split into sentences (after each
        whitespace-separated ``.``, ``!`` or ``?``, the rule of
        ``load_corpus(sentence_split=True)`` for tokenised text such as WikiText's; other
        text stays whole, so give one sentence per text), or each text whole (cut at the
        teacher's ``max_length``).
    layer : int, default=-1
        The teacher's hidden layer whose mean is the context vector (0: embeddings,
        negative: from the top).
    dim : int, optional
        Width of the trained vectors; None, the teacher's hidden size. A smaller width
        projects the context vectors onto their ``dim`` leading right singular vectors
        (uncentred, so the dot products kept are the largest), learned in ``fit``.
    min_count : int, default=1
        Occurrences in the corpus a token needs to be trained (as target and negative);
        the rows of the others are zeros.
    epochs : int, default=1
        Passes over the contexts; the teacher runs once, whatever their number.
    learning_rate : float, default=0.001
        Step size of ``torch.optim.SparseAdam``. The reference's 0.001 is for one pass over
        a large corpus; a corpus of 0.5M tokens needs a larger one (``recipes.B2S_TRAINING``).
    n_negatives : int, default=10
        Negative tokens per target, drawn with probability proportional to the square root
        of their counts.
    subsample : float or None, default=5e-6
        Frequency subsampling threshold ``t``: an occurrence of a token of corpus frequency
        ``f`` is a target with probability ``min(1, sqrt(t / f) + t / f)``; None keeps
        every occurrence.
    batch_size : int, default=128
        Contexts per optimiser step.
    teacher_batch_size : int, default=32
        Texts per forward pass of the teacher.
    device : str, default="auto"
        Torch device of the teacher ("auto": CUDA when available); the table trains on
        the CPU.
    dtype : {None, "float32", "float16", "bfloat16"}, default=None
        Dtype of the teacher (None: float32).
    random_state : int, default=0
        Seed of the initialisation, the order of the contexts, the subsampling and the
        negatives: the same seed gives the same table.
    progress : bool or "auto", default="auto"
        Progress bars over the teacher's contexts and the training steps: True, always;
        "auto", on a corpus of more than ``CHUNK_SIZE`` contexts; False, never.
    cache : None, str, path or DiskCache, default=None
        A disk cache for the trained table, keyed by every training parameter, the
        teacher's fingerprint and the corpus: a later fit with the same key reads the
        table instead of training. None: no disk cache.
    add_special_tokens : bool, default=True
        Whether ``transform`` adds the tokenizer's special tokens (their rows are zeros:
        they are never targets), with the ``SPECIAL`` role.
    template : str, optional
        Prompt of ``transform`` with a ``{text}`` placeholder or a name from
        ``PROMPT_TEMPLATES`` (the teacher runs without one).
    max_length : int, optional
        Most tokens per sequence, for ``transform`` and the teacher; None: no limit for
        ``transform`` and the model's own for the teacher. Longer texts are cut with a
        warning.

    Attributes
    ----------
    table_ : ndarray of shape (vocab_size, dim), float32
        Row ``i`` is the trained vector of token id ``i``.
    counts_ : ndarray of shape (vocab_size,), int64
        Occurrences of each id among the corpus's text tokens.
    components_ : ndarray of shape (dim, hidden_size) or None
        The projection of the context vectors when ``dim`` is below the hidden size.
    loss_curve_ : ndarray of shape (epochs,)
        Mean loss per optimiser step in each epoch.
    n_contexts_ : int
        Contexts with at least one text token (those trained on).
    n_targets_ : int
        Target occurrences trained on, over all epochs (after subsampling).

    See Also
    --------
    AveragedTokenEmbeddings : The teacher's vectors averaged per token ("Avg.").

    Notes
    -----
    This is the reference's "ver2" reading (``learn_from_bert_ver2.py``): no token is
    masked; the teacher runs once per context on ``[CLS] context [SEP]`` and the context
    vector is the mean of ``layer`` over all its tokens, special tokens included, shared by
    every target of the context. The loss of a step is, for scores ``s = <c, v>`` clamped to
    [-20, 20], the mean over targets of ``log(1 + exp(-s))`` for the target plus, for each
    of the ``n_negatives`` draws, the mean of ``log(1 + exp(s))`` for the negative. The table
    starts from the reference's ``uniform(-1 / dim, 1 / dim)``, the first draw of
    ``numpy.random.default_rng(random_state)``. The vocabulary is the
    teacher's WordPiece vocabulary, not the reference's whitespace words.

    The corpus streams through the teacher ``256`` contexts at a time; what ``fit`` keeps
    is one context vector per context (``4 * hidden_size`` bytes), the ids of the text
    tokens and the table with SparseAdam's two moments. The fitted step pickles with its
    table: 47 MB for the 30,522 x 384 table of all-MiniLM-L6-v2, 12 MB with ``dim=100``.

    References
    ----------
    Gupta and Jaggi, "Obtaining Better Static Word Embeddings Using Contextual Embedding
    Models", ACL 2021 (code: epfml/X2Static).

    Examples
    --------
    >>> from sklearn_sentemb import BERT2Static, TokenPooler
    >>> corpus = ["A man plays a guitar .", "A woman plays the violin . She sings ."]
    >>> b2s = BERT2Static(corpus=corpus, dim=16).fit()
    >>> b2s.table_.shape, b2s.n_contexts_
    ((30522, 16), 3)
    >>> TokenPooler("mean").fit_transform(b2s.transform(["a guitar"])).shape
    (1, 16)
    """

    _parameter_constraints = {
        "model": [str, os.PathLike],
        "corpus": [None, str, os.PathLike, list, tuple, "array-like"],
        "data_home": [str, os.PathLike, None],
        "context": [StrOptions({"sentence", "paragraph"})],
        "layer": [Integral],
        "dim": [Interval(Integral, 1, None, closed="left"), None],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_negatives": [Interval(Integral, 0, None, closed="left")],
        "subsample": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "teacher_batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": "no_validation",  # checked when the teacher loads
        "dtype": "no_validation",
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "progress": ["boolean", StrOptions({"auto"})],
        "cache": [None, str, os.PathLike, DiskCache],
        **_VocabularyTable._parameter_constraints,
    }

    def __init__(
        self,
        model=DEFAULT_MODEL,
        *,
        corpus=None,
        data_home=None,
        context="sentence",
        layer=-1,
        dim=None,
        min_count=1,
        epochs=1,
        learning_rate=0.001,
        n_negatives=10,
        subsample=5e-6,
        batch_size=128,
        teacher_batch_size=32,
        device="auto",
        dtype=None,
        random_state=0,
        progress="auto",
        cache=None,
        add_special_tokens=True,
        template=None,
        max_length=None,
    ):
        self.model = model
        self.corpus = corpus
        self.data_home = data_home
        self.context = context
        self.layer = layer
        self.dim = dim
        self.min_count = min_count
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.n_negatives = n_negatives
        self.subsample = subsample
        self.batch_size = batch_size
        self.teacher_batch_size = teacher_batch_size
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.progress = progress
        self.cache = cache
        self.add_special_tokens = add_special_tokens
        self.template = template
        self.max_length = max_length

    _requires_fit = True

    def fit(self, X=None, y=None):
        """Train the table on the corpus (``corpus``, or the texts ``X`` when it is None).

        Parameters
        ----------
        X : sequence of str, or array-like of shape (n_pairs, 2), optional
            The corpus when ``corpus`` is None; ignored otherwise.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        units = self._contexts(X)
        teacher, loaded = self._teacher()
        key = self._table_key(teacher, loaded, units)
        fitted = self._cache_get(key)
        if fitted is None:
            contexts, ids, offsets = self._teach(teacher, units)
            fitted = self._train(contexts, ids, offsets, len(loaded.vocabulary))
            self._cache_put(key, fitted)
        self.table_ = fitted["table"]
        self.counts_ = fitted["counts"]
        self.components_ = fitted["components"] if fitted["components"].size else None
        self.loss_curve_ = fitted["loss_curve"]
        self.n_contexts_, self.n_targets_ = (int(n) for n in fitted["sizes"])
        return self

    def get_table(self) -> np.ndarray:
        """The trained (vocab_size, dim) float32 table, ``table_``."""
        check_is_fitted(self)
        return self.table_

    def _load(self):
        return load_tokenizer(self.model, step=type(self).__name__)

    def _table(self, loaded):
        check_is_fitted(self)
        return self.table_

    # -- the corpus and the teacher --------------------------------------------------------
    def _contexts(self, X) -> list[str]:
        """The contexts of the corpus: its texts, or their sentences."""
        if self.corpus is None:
            texts = self._check_texts(X)
        elif isinstance(self.corpus, (str, os.PathLike)):
            try:
                texts = list(_named_corpus(os.fspath(self.corpus), self.data_home))
            except (OSError, ValueError) as exc:
                raise type(exc)(f"BERT2Static(corpus={self.corpus!r}): {exc}") from exc
        else:
            texts = check_texts(self.corpus, "BERT2Static(corpus=...)")
        if not texts:
            raise ValueError("BERT2Static: fit needs at least one text, got an empty corpus.")
        if self.context == "sentence":
            texts = [unit for text in texts for unit in _SENTENCE_END.split(text)]
        return texts

    def _teacher(self):
        """The featurizer of the teacher's layer, and its loaded model."""
        teacher = TransformerFeaturizer(
            self.model,
            max_length=self.max_length,
            batch_size=self.teacher_batch_size,
            device=self.device,
            dtype=self.dtype,
            cache=False,  # one mean per context is kept, never the corpus's token vectors
            progress=False,
        )
        loaded = teacher._load_model(step="BERT2Static")
        return teacher.set_params(layers=self._layer_index(loaded.n_layers)), loaded

    def _layer_index(self, n_layers) -> int:
        layer = self.layer
        absolute = layer + n_layers + 1 if layer < 0 else layer
        if not 0 <= absolute <= n_layers:
            raise ValueError(
                f"BERT2Static: layer {layer} is out of range for a teacher with {n_layers} "
                f"layers (valid: 0..{n_layers} or -{n_layers + 1}..-1)."
            )
        return int(absolute)

    def _teach(self, teacher, units):
        """The teacher's context vectors and the text-token ids of each context, streamed
        ``_TEACHER_CHUNK`` contexts at a time; contexts without text tokens are left out."""
        from tqdm.auto import tqdm

        contexts, ids, lengths, n_cut = [], [], [], 0
        with tqdm(
            total=len(units), unit="context", desc="BERT2Static teacher", disable=self._quiet(units)
        ) as bar:
            for start in range(0, len(units), _TEACHER_CHUNK):
                chunk = units[start : start + _TEACHER_CHUNK]
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", UserWarning)
                    tokens = teacher.transform(chunk)
                n_cut += sum(int(m.group(1)) for m in map(_cut_count, caught) if m)
                text = tokens.roles == TokenRole.TEXT
                per_unit = np.add.reduceat(text.astype(np.int64), tokens.offsets[:-1])
                keep = per_unit > 0
                sums = np.add.reduceat(tokens.values, tokens.offsets[:-1], axis=0)
                contexts.append((sums / tokens.lengths[:, None])[keep].astype(np.float32))
                ids.append(tokens.token_ids[text].astype(np.int32))
                lengths.append(per_unit[keep])
                bar.update(len(chunk))
        if n_cut:
            warnings.warn(
                f"BERT2Static: {n_cut} corpus context(s) exceed the teacher's max_length="
                f"{teacher.get_max_length()} tokens and are cut.",
                UserWarning,
                stacklevel=3,
            )
        offsets = np.zeros(sum(map(len, lengths)) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(lengths), out=offsets[1:])
        if offsets[-1] == 0:
            raise ValueError("BERT2Static: the corpus has no text tokens to train on.")
        return np.concatenate(contexts), np.concatenate(ids), offsets

    def _quiet(self, units) -> bool:
        if self.progress == "auto":
            return len(units) <= _tokens.CHUNK_SIZE
        return not self.progress

    # -- training ----------------------------------------------------------------------
    def _train(self, contexts, ids, offsets, vocab_size) -> dict:
        """Project the contexts when asked, then train the table on them."""
        rng = np.random.default_rng(self.random_state)
        components = _projection(contexts, self.dim)
        if components.size:
            contexts = contexts @ components.T
        counts = np.bincount(ids, minlength=vocab_size).astype(np.int64)
        trained = counts >= self.min_count
        settings = {**self._settings(), "quiet": self._quiet(contexts)}
        table, loss_curve, n_targets = _fit_table(
            contexts, ids, offsets, counts * trained, settings, rng
        )
        table[~trained] = 0.0
        return {
            "table": table,
            "counts": counts,
            "loss_curve": loss_curve,
            "sizes": np.array([len(contexts), n_targets], dtype=np.int64),
            "components": components,
        }

    def _settings(self) -> dict:
        return {
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
            "n_negatives": self.n_negatives,
            "subsample": self.subsample,
            "batch_size": self.batch_size,
        }

    # -- disk cache --------------------------------------------------------------------
    def _table_key(self, teacher, loaded, units) -> str:
        corpus = hashlib.blake2b(digest_size=16)
        for unit in units:
            corpus.update(unit.encode("utf-8", "surrogatepass") + b"\0")
        parts = {
            "version": _TRAINING_VERSION,
            "teacher": loaded.fingerprint,
            "dtype": str(loaded.model.dtype),
            "layer": teacher.layers,
            "max_length": teacher.get_max_length(),
            "corpus": corpus.hexdigest(),
            **{k: self.get_params()[k] for k in _TRAINING_PARAMETERS},
        }
        digest = hashlib.blake2b(json.dumps(parts, sort_keys=True).encode(), digest_size=16)
        return f"bert2static-{digest.hexdigest()}"

    def _disk(self):
        if self.cache is None or isinstance(self.cache, DiskCache):
            return self.cache
        return DiskCache(self.cache)

    def _cache_get(self, key):
        disk = self._disk()
        entry = disk.get(key, "table") if disk is not None else None
        if entry is None or set(entry) != set(range(len(_ENTRY))):
            return None
        return {name: entry[i] for i, name in enumerate(_ENTRY)}

    def _cache_put(self, key, fitted) -> None:
        disk = self._disk()
        if disk is not None:
            disk.put(key, "table", {i: fitted[name] for i, name in enumerate(_ENTRY)})


#: The parameters that change the trained table (besides the teacher and the corpus).
_TRAINING_PARAMETERS = (
    "context",
    "dim",
    "min_count",
    "epochs",
    "learning_rate",
    "n_negatives",
    "subsample",
    "batch_size",
    "random_state",
)


def _cut_count(warning):
    return _CUT.search(str(warning.message))


def _projection(contexts, dim) -> np.ndarray:
    """The ``dim`` leading right singular vectors of the (uncentred) context vectors, or an
    empty array when ``dim`` is None or the hidden size."""
    hidden = contexts.shape[1]
    if dim is None or dim == hidden:
        return np.zeros((0, hidden), dtype=np.float32)
    if dim > hidden:
        raise ValueError(
            f"BERT2Static: dim={dim} exceeds the teacher's hidden size {hidden}; the context "
            "vectors can only be projected to fewer dimensions."
        )
    # Fewer contexts than dim: the full basis, whose last directions no context spans.
    full = len(contexts) < dim
    _, _, vt = np.linalg.svd(contexts.astype(np.float64), full_matrices=full)
    return vt[:dim].astype(np.float32)


def keep_probability(counts, subsample) -> np.ndarray:
    """Probability that an occurrence of each id is a target: ``min(1, sqrt(t / f) + t / f)``
    for corpus frequency ``f = count / total`` (ids never seen: 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    if subsample is None:
        return (counts > 0).astype(np.float64)
    with np.errstate(divide="ignore"):
        ratio = subsample / (counts / counts.sum())
    return np.where(counts > 0, np.minimum(1.0, np.sqrt(ratio) + ratio), 0.0)


def _token_ranges(offsets, units) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the tokens of ``units`` in the flat id array, and each one's unit."""
    starts, ends = offsets[units], offsets[units + 1]
    lengths = ends - starts
    owner = np.repeat(units, lengths)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + within, owner


def draw_negatives(counts, shape, rng) -> np.ndarray:
    """Token ids drawn with probability proportional to ``sqrt(counts)``, of ``shape``."""
    candidates = np.flatnonzero(counts)
    cdf = np.cumsum(np.sqrt(counts[candidates].astype(np.float64)))
    draws = np.searchsorted(cdf / cdf[-1], rng.random(shape), side="right")
    return candidates[np.minimum(draws, len(candidates) - 1)]


def _fit_table(contexts, ids, offsets, counts, settings, rng):
    """Train the table; returns it, the mean loss per epoch and the number of targets."""
    from tqdm.auto import tqdm

    vocab_size, dim = len(counts), contexts.shape[1]
    table = rng.uniform(-1.0 / dim, 1.0 / dim, (vocab_size, dim)).astype(np.float32)
    step = _Step(table, contexts, ids, offsets, counts, settings)
    n_units, size = len(offsets) - 1, settings["batch_size"]
    curve = np.zeros(settings["epochs"])
    n_targets = 0
    with tqdm(
        total=settings["epochs"] * -(-n_units // size),
        desc="BERT2Static training",
        unit="step",
        disable=settings["quiet"],
    ) as bar:
        for epoch in range(settings["epochs"]):
            order = rng.permutation(n_units)
            losses = []
            for start in range(0, n_units, size):
                loss, n = step(order[start : start + size], rng)
                if n:
                    losses.append(loss)
                    n_targets += n
                bar.update()
            curve[epoch] = np.mean(losses) if losses else np.nan
    return table, curve, n_targets


class _Step:
    """One optimiser step on a batch of contexts: subsample its tokens into targets, draw
    the negatives, and update the rows they touch.

    The update is ``torch.optim.SparseAdam``'s (betas 0.9, 0.999, eps 1e-8): the moments of
    the rows in the step's gradient only, bias corrections by the number of steps taken. It
    is written out on the touched rows because SparseAdam's dense moment tensors make each
    step cost the whole table.
    """

    betas, eps = (0.9, 0.999), 1e-8

    def __init__(self, table, contexts, ids, offsets, counts, settings):
        self.table, self.contexts, self.ids, self.offsets = table, contexts, ids, offsets
        self.counts = counts
        self.m, self.v = np.zeros_like(table), np.zeros_like(table)  # Adam's moments
        self.lr, self.n_negatives = settings["learning_rate"], settings["n_negatives"]
        self.keep = keep_probability(counts, settings["subsample"])
        self.signs = np.ones(self.n_negatives + 1, dtype=np.float32)
        self.signs[1:] = -1.0  # a negative's score is <c, -v>
        self.t = 0

    def __call__(self, units, rng) -> tuple[float, int]:
        positions, owner = _token_ranges(self.offsets, units)
        kept = rng.random(len(positions)) < self.keep[self.ids[positions]]
        if not kept.any():
            return 0.0, 0
        targets = self.ids[positions[kept]]
        negatives = draw_negatives(self.counts, (len(targets), self.n_negatives), rng)
        rows = np.column_stack([targets, negatives])
        contexts = self.contexts[owner[kept]]
        loss, coef = _loss_and_score_gradient(contexts, self.table[rows], self.signs)
        self._adam(rows, coef, contexts)
        return loss, len(targets)

    def _adam(self, rows, coef, contexts):
        """SparseAdam's update of the rows of ``rows`` for the gradient ``coef`` (d loss /
        d <c, v>, per entry of ``rows``) times the contexts."""
        from scipy import sparse

        touched, inverse = np.unique(rows, return_inverse=True)
        n, k = rows.shape
        scatter = sparse.csr_matrix(
            (coef.ravel(), (inverse.ravel(), np.repeat(np.arange(n), k))),
            shape=(len(touched), n),
        )
        grad = np.asarray(scatter @ contexts, dtype=np.float32)
        (b1, b2), self.t = self.betas, self.t + 1
        m = self.m[touched] * b1 + (1 - b1) * grad
        v = self.v[touched] * b2 + (1 - b2) * grad**2
        self.m[touched], self.v[touched] = m, v
        step_size = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.table[touched] -= (step_size * m / (np.sqrt(v) + self.eps)).astype(np.float32)


def _loss_and_score_gradient(contexts, vectors, signs):
    """The X2Static loss of a step and its gradient with respect to each score ``<c, v>``.

    ``vectors[n, 0]`` is the target of context ``n``, ``vectors[n, 1:]`` its negatives. The
    loss is ``sum_k mean_n log(1 + exp(-clamp(s[n, k])))`` for ``s = sign_k <c_n, v_nk>``.
    """
    from scipy.special import expit

    scores = np.einsum("nd,nkd->nk", contexts, vectors) * signs
    clamped = np.clip(scores, -_CLAMP, _CLAMP)
    n = len(scores)
    loss = float(np.logaddexp(0.0, -clamped).sum() / n)
    inside = np.abs(scores) <= _CLAMP  # the clamp passes no gradient beyond it
    coef = -expit(-clamped) * inside * signs / n
    return loss, coef.astype(np.float32)
