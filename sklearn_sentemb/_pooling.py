"""`TokenPooler`: one vector per text from its token vectors (numpy only)."""

from __future__ import annotations

import unicodedata
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval, StrOptions

from ._tokens import ChunkedTokenEmbeddings, TokenEmbeddings, TokenRole, iter_chunks

__all__ = ["PROMPTBERT_FREQUENT", "PROMPTBERT_PUNCTUATION", "TokenPooler"]

#: PromptBERT's punctuation list (``pun_remove_set`` of kongds/Prompt-BERT), 47 tokens of
#: the bert-base-uncased vocabulary.
PROMPTBERT_PUNCTUATION = tuple(
    '? * # ´ ’ = … | ~ / ‚ ¿ – » - € ‘ " ( • ` $ : [ ” % £ < [UNK] ; “ @ _ { ^ , . ! ™ & ] > '
    "\\ ' ) + —".split()
)
#: PromptBERT's frequent-token list for BERT (its ``remove_set``), 36 tokens.
PROMPTBERT_FREQUENT = tuple(
    ". a the in , is to of and ' on man - s with for \" at ##s woman are it two that you dog "
    "said playing i an as was from : by white".split()
)
#: Named token lists that ``exclude`` accepts beside the rules.
_EXCLUDE_PRESETS = {
    "promptbert-punctuation": PROMPTBERT_PUNCTUATION,
    "promptbert-frequent": PROMPTBERT_FREQUENT,
}
_EXCLUDE_NAMES = {"special", "template", "mask", "punctuation", "subword", "frequent"}
_EXCLUDE_NAMES |= set(_EXCLUDE_PRESETS)
_EXCLUDE_METHODS = {"mean", "max", "first", "last"}  # the methods that read `exclude`
_ROLE_OF = {"special": TokenRole.SPECIAL, "template": TokenRole.TEMPLATE, "mask": TokenRole.MASK}
_LEARNED = ("weights_", "default_weight_", "a_", "frequent_ids_")


class TokenPooler(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Pool the token vectors of each text into one sentence vector.

    Parameters
    ----------
    method : {"mean", "max", "cls", "pooler", "first", "last", "mask"}, default="mean"
        ``mean``/``max`` reduce over the kept tokens; ``cls`` takes the first
        token of the sequence whatever ``exclude`` says; ``pooler`` passes
        that token through the model's pooler head, ``tanh(W x + b)``
        (transformers' ``pooler_output``, SimCSE's and PromptBERT's "cls"), which
        the featurizer hands on where its checkpoint has one; ``first``/``last``
        take the first/last kept token; ``mask`` averages the template's
        mask-token vectors (see ``TransformerFeaturizer(template=...)``).
    exclude : tuple, default=("special",)
        Tokens left out of ``mean``, ``max``, ``first`` and ``last``: any of
        "special" ([CLS], [SEP], ...), "template" (prompt tokens around the
        text), "mask", "punctuation" (tokens made only of punctuation),
        "subword" (word-piece continuations such as "##ing"), "frequent" (the
        ``n_frequent`` most frequent token ids seen in ``fit``), the named
        lists "promptbert-punctuation" and "promptbert-frequent" (PromptBERT's
        47 punctuation and 36 frequent tokens of the bert-base-uncased
        vocabulary, ``PROMPTBERT_PUNCTUATION`` and ``PROMPTBERT_FREQUENT``; the
        tokens of the list that the vocabulary has), and explicit token ids
        (int) or token strings (a string that is neither an option nor a token
        of the vocabulary raises ``ValueError``). ``()`` keeps every token.
    weighting : {None, "idf", "sif", "usif"}, default=None
        Per-token weights learned in ``fit`` for ``method="mean"`` (any other
        method with a weighting is rejected with a ``ValueError``). Each kept
        token's vector is multiplied by the weight of its token id before the
        mean. ``"idf"``: smooth inverse document frequency; ``"sif"``:
        ``a / (a + p(w))`` [2]_; ``"usif"``: ``a / (a/2 + p(w))`` with ``a``
        derived from the data [3]_. See Notes. None: the plain mean.
    sif_a : float, default=1e-3
        The ``a`` of ``weighting="sif"`` (Arora et al. use 1e-4 to 1e-3).
    usif_n : float or None, default=11
        The expected sentence length ``n`` in uSIF's ``a``: 11, as in the
        reference code (about the mean STS sentence length); None: the mean
        number of fitted tokens per text.
    token_norm : {None, "dimension"}, default=None
        ``"dimension"`` divides each dimension of the kept token vectors by its
        L2 norm over the text's kept tokens before ``method="mean"`` weighs and
        averages them, as uSIF's reference code does; a dimension that is zero
        over the whole text stays zero.
    n_frequent : int, default=10
        How many of the most frequent token ids ``exclude=(..., "frequent")``
        leaves out; unused when ``exclude`` does not list "frequent".

    Attributes
    ----------
    n_features_in_ : int
        Width of the token vectors seen in ``fit``.
    weights_ : ndarray of shape (n_vocabulary,)
        Weight of each token id (only with a ``weighting``): the idf, SIF or
        uSIF weight, ``default_weight_`` for ids not seen in ``fit``.
        ``n_vocabulary`` is the larger of the vocabulary length and the
        largest id seen plus one.
    default_weight_ : float
        Weight of a token id never seen in ``fit`` (ids beyond ``weights_``
        included): the largest idf, ``log(1 + n_texts) + 1``, for "idf"; 1.0
        (``p(w) = 0``) for "sif"; for "usif", the weight of the smallest
        fitted probability (the reference's rule for unseen words), 2.0 when
        nothing was fitted.
    a_ : float
        The ``a`` used by "sif" (``sif_a``) or derived by "usif" (``inf``
        when no token passes the uSIF threshold; every weight is then 2).
    frequent_ids_ : ndarray of shape (<= n_frequent,), int64
        The most frequent token ids seen in ``fit``, most frequent first (ties:
        smaller id first); only when ``exclude`` lists "frequent".

    See Also
    --------
    TransformerFeaturizer : Token vectors of a Hugging Face encoder, with templates.
    CommonComponentRemoval : The second step of SIF, on the pooled vectors.

    Notes
    -----
    A text with no token left after exclusion (for instance an empty string
    with its special tokens excluded) is pooled to the zero vector. Token
    vectors must be real numbers and finite: ``fit`` and ``transform`` raise
    ``ValueError`` naming the first text with a NaN or infinite value, even in
    a token that the method would not read, and so does a pooled vector that
    overflows float32 (float64 token vectors beyond its range, or a weighted
    mean of huge ones).

    ``fit`` learns only when ``weighting`` is set or ``exclude`` lists
    "frequent"; otherwise it checks the input, and ``transform`` works
    without it. The statistics are counted over the tokens that ``exclude``
    keeps (without "frequent" itself, whose ids are chosen among them), on
    whatever ``TokenEmbeddings`` ``fit`` is given: the task's texts or a
    larger corpus. ``method="mean"`` with a weighting gives, for a text whose
    kept tokens are :math:`t = 1..n` with token ids :math:`w_t`,

    .. math:: v = \frac{1}{n} \sum_t c(w_t)\, v_t,

    the average of weighted vectors, as in SIF and uSIF (the scale differs
    from :math:`\sum_t c\, v_t / \sum_t c` by a factor per text, which cosine
    similarity ignores). With :math:`N` the number of texts, :math:`df(w)`
    the number of texts that contain :math:`w` at least once, :math:`f(w)`
    the count of :math:`w` among the fitted tokens and
    :math:`p(w) = f(w) / \sum_u f(u)`:

    - idf is scikit-learn's smooth idf (``TfidfTransformer(smooth_idf=True)``):
      :math:`c(w) = \ln\frac{1 + N}{1 + df(w)} + 1`.
    - SIF [2]_: :math:`c(w) = a / (a + p(w))` with ``a = sif_a``.
    - uSIF [3]_: :math:`c(w) = a / (a/2 + p(w))`, where :math:`|V|` is the
      number of distinct token ids fitted, :math:`n` the expected sentence
      (random-walk) length, the threshold
      :math:`\tau = 1 - (1 - 1/|V|)^n` (``n = usif_n``),
      :math:`\alpha = |\{w : p(w) > \tau\}| / |V|`, :math:`Z = |V| / 2` and
      :math:`a = (1 - \alpha) / (\alpha Z)`; an id not seen in ``fit`` gets
      the smallest fitted :math:`p(w)`. With ``token_norm="dimension"`` this is
      the reference's pooling; its piecewise common-component removal is
      ``CommonComponentRemoval(5, weighted=True)`` on the pooled vectors.

    ``exclude=(..., "frequent")`` is PromptBERT's removal of frequent tokens,
    one of the "-biases" ablations of static token embeddings [4]_.

    References
    ----------
    .. [1] L. Stankevičius and M. Lukoševičius, "Extracting Sentence Embeddings
       from Pretrained Transformer Models", Applied Sciences 14(19), 8887, 2024.
    .. [2] S. Arora, Y. Liang and T. Ma, "A Simple but Tough-to-Beat Baseline
       for Sentence Embeddings", ICLR 2017.
    .. [3] K. Ethayarajh, "Unsupervised Random Walk Sentence Embeddings: A
       Strong but Simple Baseline", Rep4NLP workshop at ACL 2018.
    .. [4] T. Jiang et al., "PromptBERT: Improving BERT Sentence Embeddings
       with Prompts", EMNLP 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import TokenEmbeddings, TokenPooler
    >>> tokens = TokenEmbeddings(
    ...     values=np.array([[0, 0], [1, 2], [3, 4], [9, 9]], dtype=np.float32),
    ...     offsets=[0, 4], token_ids=[101, 7, 8, 102], roles=[1, 0, 0, 1])
    >>> TokenPooler("mean").fit_transform(tokens)
    array([[2., 3.]], dtype=float32)
    >>> TokenPooler("cls").fit_transform(tokens)
    array([[0., 0.]], dtype=float32)

    Weights are learned in ``fit``, here on a corpus where id 7 is in every
    text and id 8 in one of two:

    >>> corpus = TokenEmbeddings(
    ...     values=np.zeros((3, 2), dtype=np.float32), offsets=[0, 2, 3],
    ...     token_ids=[7, 8, 7], roles=[0, 0, 0])
    >>> pooler = TokenPooler("mean", weighting="idf").fit(corpus)
    >>> pooler.weights_[[7, 8]].round(3), round(pooler.default_weight_, 3)
    (array([1.   , 1.405]), 2.099)
    >>> pooler.transform(tokens).round(3)
    array([[2.608, 3.811]], dtype=float32)
    """

    _parameter_constraints = {
        "method": [StrOptions({"mean", "max", "cls", "pooler", "first", "last", "mask"})],
        "exclude": [tuple, list, str, None],
        "weighting": [StrOptions({"idf", "sif", "usif"}), None],
        "sif_a": [Interval(Real, 0, None, closed="neither")],
        "usif_n": [Interval(Real, 0, None, closed="neither"), None],
        "token_norm": [StrOptions({"dimension"}), None],
        "n_frequent": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        method="mean",
        *,
        exclude=("special",),
        weighting=None,
        sif_a=1e-3,
        usif_n=11,
        token_norm=None,
        n_frequent=10,
    ):
        self.method = method
        self.exclude = exclude
        self.weighting = weighting
        self.sif_a = sif_a
        self.usif_n = usif_n
        self.token_norm = token_norm
        self.n_frequent = n_frequent

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn token weights and frequent ids from ``X`` when asked to.

        Parameters
        ----------
        X : TokenEmbeddings
            The texts to learn from (the task's texts or a corpus).
        y : None
            Ignored.

        Returns
        -------
        self : TokenPooler
        """
        X = _check_tokens(X, self)
        self._check_combination()
        for name in _LEARNED:  # drop what a previous fit with other parameters learned
            self.__dict__.pop(name, None)
        learns = self.weighting is not None or self._lists_frequent()
        counts = df = np.zeros(0, dtype=np.int64)
        for more in _chunkwise(X, lambda chunk: self._fit_counts(chunk, learns)):
            if more is None:  # nothing to learn: the first chunk gives the width
                break
            counts, df = _add_counts(counts, more[0]), _add_counts(df, more[1])
        if not learns:
            return self
        if self._lists_frequent():
            self.frequent_ids_ = _most_frequent(counts, self.n_frequent)
        if self.weighting == "idf":
            self.weights_ = _idf_weights(df, len(X))
            self.default_weight_ = float(_idf_weights(np.zeros(1), len(X))[0])
        elif self.weighting == "sif":
            self.a_ = float(self.sif_a)
            self.weights_ = _sif_weights(counts, self.a_)
            self.default_weight_ = 1.0
        elif self.weighting == "usif":
            self.a_ = _usif_a(counts, len(X), self.usif_n)
            self.weights_, self.default_weight_ = _usif_weights(counts, self.a_)
        return self

    def fit_transform(self, X, y=None):
        """Fit on ``X`` and pool it; chunked input is read once when nothing is learned."""
        if isinstance(X, ChunkedTokenEmbeddings) and not (
            self.weighting is not None or self._lists_frequent()
        ):
            self._validate_params()
            self._check_combination()
            for name in _LEARNED:
                self.__dict__.pop(name, None)

            def pool(chunk):
                self.n_features_in_ = chunk.dim
                return self._transform_batch(chunk)

            return _stack(_chunkwise(X, pool), len(X))
        return self.fit(X, y).transform(X)

    def _fit_counts(self, chunk: TokenEmbeddings, learns: bool):
        _check_values(chunk)
        self.n_features_in_ = chunk.dim
        if not learns:
            return None
        if chunk.token_ids.size and chunk.token_ids.min() < 0:
            raise ValueError(
                "TokenPooler: token ids must be non-negative to learn weights, got "
                f"{int(chunk.token_ids.min())}."
            )
        return _token_counts(chunk, self._keep_mask(chunk, frequent=False))

    def transform(self, X) -> np.ndarray:
        """Sentence vectors, shape (n_texts, dim), float32.

        Parameters
        ----------
        X : TokenEmbeddings
            Token vectors of the texts to pool.

        Returns
        -------
        ndarray of shape (n_texts, dim), float32
        """
        self._validate_params()
        X = _check_tokens(X, self)
        self._check_combination()
        if not isinstance(X, ChunkedTokenEmbeddings):
            return self._transform_batch(X)
        # Memory holds one chunk's token vectors; a text repeated anywhere in the call is
        # featurized and pooled once (a text's vector does not depend on the others).
        distinct, inverse = X.distinct()
        if inverse is not None:
            try:
                return _stack(_chunkwise(distinct, self._transform_batch), len(distinct))[inverse]
            except ValueError:
                pass  # pooled again as given, so that the error names the caller's text
        return _stack(_chunkwise(X, self._transform_batch), len(X))

    def _transform_batch(self, X: TokenEmbeddings) -> np.ndarray:
        if hasattr(self, "n_features_in_") and X.dim != self.n_features_in_:
            raise ValueError(
                f"TokenPooler: token vectors have width {X.dim}, but {self.n_features_in_} in fit."
            )
        if (
            X.table is not None  # pooled from the table, never built: nothing to keep
            or self.weighting is not None
            or self._uses_frequent()
        ):
            return self._pool(X)
        # Stateless pooling of shared, read-only token vectors (a featurizer's memoised
        # output, or a cut of one): a grid search pools them once per refiner candidate and
        # fold, so pool the whole batch once, keep the result and take the texts' rows.
        source, index = X.source if X.source is not None else (X, None)
        if source.values.flags.writeable:
            return self._pool(X)
        key = (self.method, repr(self._exclude_items()), self.token_norm)
        pooled = source.derived.get(key)
        if pooled is None:
            try:
                pooled = source.derived[key] = self._pool(source)
            except ValueError:
                return self._pool(X)  # the error then names the caller's text
        return pooled.copy() if index is None else pooled[index]

    def _pool(self, X: TokenEmbeddings) -> np.ndarray:
        _check_values(X)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            if X.unique is not None and self.method != "mask":  # mask errors name a text
                first, inverse = X.unique
                pooled = self._reduce(X[first])[inverse]  # each distinct text once
            else:
                pooled = self._reduce(X)
        finite = np.isfinite(pooled).all(axis=1)
        if not finite.all():  # finite token vectors beyond float32, or their weighted sum
            raise ValueError(
                f"TokenPooler: the pooled vector of text {int(np.argmin(finite))} overflows "
                "float32; rescale the token vectors."
            )
        return pooled

    def _reduce(self, X: TokenEmbeddings) -> np.ndarray:
        if self.method == "cls":
            return _take(X, X.offsets[:-1], np.diff(X.offsets) > 0)
        if self.method == "pooler":
            return _pooler_output(X)
        if self.method == "mask":
            keep = X.roles == TokenRole.MASK
            counts = np.bincount(X.segment_ids[keep], minlength=len(X))
            if len(X) and counts.min() == 0:
                raise ValueError(
                    "TokenPooler(method='mask'): text "
                    f"{int(np.argmin(counts))} has no mask token; use a template with "
                    "[MASK], e.g. TransformerFeaturizer(template='promptbert')."
                )
            return _segment_mean(X, keep)
        keep = self._keep_mask(X)
        if self.method == "mean":
            weights = None
            if self.weighting is not None:
                self._check_fitted("weights_", f"weighting={self.weighting!r}")
                weights = _lookup(self.weights_, self.default_weight_, X.token_ids)
            if self.token_norm == "dimension":
                X = X.with_values(_dimension_normalised(X, keep))
            return _segment_mean(X, keep, weights)
        if self.method == "max":
            return _segment_max(X, keep)
        kept_counts = np.bincount(X.segment_ids[keep], minlength=len(X))
        kept_index = np.flatnonzero(keep)
        kept_offsets = np.concatenate([[0], np.cumsum(kept_counts)])
        nonempty = kept_counts > 0
        position = kept_offsets[:-1] if self.method == "first" else kept_offsets[1:] - 1
        rows = np.zeros(len(X), dtype=np.int64)
        rows[nonempty] = kept_index[position[nonempty]]
        return _take(X, rows, nonempty)

    def __sklearn_is_fitted__(self):
        if self.weighting is not None:
            return hasattr(self, "weights_")
        if self._uses_frequent():
            return hasattr(self, "frequent_ids_")
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = self.weighting is not None or self._uses_frequent()
        return tags

    @property
    def _n_features_out(self):
        return self.n_features_in_

    # -- helpers -----------------------------------------------------------------
    def _exclude_items(self) -> tuple:
        exclude = self.exclude
        if isinstance(exclude, str):
            return (exclude,)
        return tuple(exclude) if isinstance(exclude, (tuple, list)) else ()

    def _lists_frequent(self) -> bool:
        return any(isinstance(item, str) and item == "frequent" for item in self._exclude_items())

    def _uses_frequent(self) -> bool:
        """Whether ``transform`` needs ``frequent_ids_`` (``cls`` and ``mask`` ignore exclude)."""
        return self._lists_frequent() and self.method in _EXCLUDE_METHODS

    def _check_combination(self):
        if self.weighting is not None and self.method != "mean":
            raise ValueError(
                f"TokenPooler: weighting={self.weighting!r} weights the tokens of "
                f"method='mean' only, got method={self.method!r}; use weighting=None."
            )
        if self.token_norm is not None and self.method != "mean":
            raise ValueError(
                f"TokenPooler: token_norm={self.token_norm!r} normalises the tokens of "
                f"method='mean' only, got method={self.method!r}; use token_norm=None."
            )

    def _check_fitted(self, attribute: str, what: str):
        if not hasattr(self, attribute):
            raise NotFittedError(
                f"TokenPooler({what}) learns from the texts given to fit; call fit (on the "
                "task's texts or a corpus) before transform."
            )

    def _keep_mask(self, X: TokenEmbeddings, frequent: bool = True) -> np.ndarray:
        """Tokens kept by ``exclude``; ``frequent=False`` ignores "frequent"."""
        keep = np.ones(len(X.token_ids), dtype=bool)
        ids, strings = [], []
        for item in self._exclude_items():
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                ids.append(int(item))
            elif item in _ROLE_OF:
                keep &= X.roles != _ROLE_OF[item]
            elif item in ("punctuation", "subword", *_EXCLUDE_PRESETS):
                keep &= ~_vocabulary_flags(X, item)[_vocabulary_ids(X, item)]
            elif item == "frequent":
                ids.extend(self._frequent_ids() if frequent else ())
            elif isinstance(item, str):
                strings.append(item)
            else:
                raise ValueError(
                    f"TokenPooler: cannot exclude {item!r}; use one of "
                    f"{sorted(_EXCLUDE_NAMES)}, token ids or token strings."
                )
        ids.extend(_string_ids(X, strings))
        if ids:
            keep &= ~np.isin(X.token_ids, ids)
        return keep

    def _frequent_ids(self) -> list[int]:
        self._check_fitted("frequent_ids_", "exclude=(..., 'frequent')")
        return self.frequent_ids_.tolist()


def _string_ids(X: TokenEmbeddings, strings: list[str]) -> list[int]:
    """The ids of the token strings to exclude; an error names one not in the vocabulary."""
    if not strings:
        return []
    vocab = _require_vocabulary(X, "token strings")
    found = np.isin(vocab, strings)
    unknown = sorted(set(strings) - set(vocab[found].tolist()))
    if unknown:  # most likely a misspelt option, which would exclude nothing
        raise ValueError(
            f"TokenPooler: cannot exclude {unknown[0]!r}: it is neither one of "
            f"{sorted(_EXCLUDE_NAMES)} nor a token of the vocabulary."
        )
    return np.flatnonzero(found).tolist()


def _check_tokens(X, step) -> TokenEmbeddings | ChunkedTokenEmbeddings:
    if not isinstance(X, (TokenEmbeddings, ChunkedTokenEmbeddings)):
        raise TypeError(
            f"{type(step).__name__}: expects TokenEmbeddings from a token featurizer "
            f"(e.g. TransformerFeaturizer), got {type(X).__name__}."
        )
    return X


_CHECKED = "values are finite"  # key in ``TokenEmbeddings.derived``


def _check_values(X: TokenEmbeddings) -> None:
    """Raise unless the token vectors are real numbers, all finite.

    Read-only values (a featurizer's memoised output) never change, so they are
    checked once and the verdict is kept in ``X.derived``.
    """
    if X.derived.get(_CHECKED):
        return
    if X.source is not None:  # a cut: its batch is checked once, without gathering the cut
        try:
            return _check_values(X.source[0])
        except ValueError:
            pass  # some text of that batch is bad: check this one's, so as to name them
    kind = X.dtype.kind
    if kind not in "fiu":
        raise TypeError(
            "TokenPooler: token vectors must be real numbers (float32 from a featurizer), "
            f"got dtype {X.dtype}."
        )
    if X.table is not None:
        _check_table_rows(X)
    elif kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            total = X.values.sum()  # finite, unless a value is not (or the sum overflows)
        if not np.isfinite(total):
            bad = np.flatnonzero(~np.isfinite(X.values).all(axis=1))
            if bad.size:
                text = int(np.searchsorted(X.offsets, bad[0], side="right") - 1)
                raise ValueError(
                    f"TokenPooler: the token vectors of text {text} contain NaN or infinity "
                    f"(token {int(bad[0] - X.offsets[text])} of that text); check the "
                    "featurizer's output (e.g. its dtype) before pooling."
                )
    if X.table is None and not X.values.flags.writeable:
        X.derived[_CHECKED] = True


_FINITE_ROWS: dict = {}


def _check_table_rows(X: TokenEmbeddings) -> None:
    """`_check_values` of a batch gathered lazily: the table rows of its tokens are finite.

    A read-only table is checked once per table object; a writable one, each time, on the
    rows the batch uses.
    """
    table = X.table
    if table.dtype.kind != "f":
        return
    cached = _FINITE_ROWS.get(id(table))
    with np.errstate(over="ignore", invalid="ignore"):
        if cached is not None and cached[0] is table:
            finite = cached[1]
        elif not table.flags.writeable:
            finite = None if np.isfinite(table.sum()) else np.isfinite(table).all(axis=1)
            if len(_FINITE_ROWS) > 16:
                _FINITE_ROWS.clear()
            _FINITE_ROWS[id(table)] = (table, finite)
        else:
            used = np.flatnonzero(np.bincount(X.token_ids, minlength=len(table)))
            finite = None if np.isfinite(table[used].sum()) else np.isfinite(table).all(axis=1)
    if finite is None:  # the common case: a sum is finite only if every term is
        return
    bad = np.flatnonzero(~finite[X.token_ids])
    if bad.size:
        text = int(np.searchsorted(X.offsets, bad[0], side="right") - 1)
        raise ValueError(
            f"TokenPooler: the token vectors of text {text} contain NaN or infinity "
            f"(token {int(bad[0] - X.offsets[text])} of that text); check the "
            "featurizer's output (e.g. its dtype) before pooling."
        )


def _vocabulary_ids(X: TokenEmbeddings, what: str) -> np.ndarray:
    """The token ids, checked to index the vocabulary (numpy would wrap negative ones)."""
    ids = X.token_ids
    bad = np.flatnonzero((ids < 0) | (ids >= len(X.vocabulary)))
    if bad.size:
        text = int(np.searchsorted(X.offsets, bad[0], side="right") - 1)
        raise ValueError(
            f"TokenPooler: excluding {what} looks token ids up in the vocabulary of "
            f"{len(X.vocabulary)} tokens, but text {text} has token id {int(ids[bad[0]])}."
        )
    return ids


def _pool_matrix(X: TokenEmbeddings, weights: np.ndarray) -> sp.csr_matrix:
    """Sparse (n_texts, n_tokens) matrix whose row i holds text i's token weights."""
    return sp.csr_matrix(
        (weights, np.arange(len(weights)), X.offsets), shape=(len(X), len(weights))
    )


def _segment_mean(X: TokenEmbeddings, keep: np.ndarray, weights=None) -> np.ndarray:
    """Mean of ``weights * values`` over the kept tokens of each text (zeros where none is kept).

    The divisor is the number of kept tokens, not the sum of their weights.
    """
    counts = np.bincount(X.segment_ids[keep], minlength=len(X)).astype(np.float64)
    w = keep.astype(np.float64) if weights is None else np.where(keep, weights, 0.0)
    scale = np.divide(1.0, counts, out=np.zeros(len(X)), where=counts > 0)
    w = w * np.repeat(scale, X.lengths)
    if X.table is not None:
        return _table_mean(X, keep, w.astype(np.float32))
    out = _pool_matrix(X, w.astype(np.float32)) @ X.values
    return np.asarray(out, dtype=np.float32)


def _table_mean(X: TokenEmbeddings, keep: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``W @ table``, with ``W`` the sparse (n_texts, n_vocabulary) matrix of the kept tokens'
    weights ``w``: the rows of the general path's product, without gathering token vectors.

    Each text sums the same terms as ``_pool_matrix(X, w) @ X.values``.
    """
    kept = np.zeros(len(X) + 1, dtype=np.int64)
    np.cumsum(np.bincount(X.segment_ids[keep], minlength=len(X)), out=kept[1:])
    ids, table = X.token_ids[keep], X.table
    if table.dtype not in (np.float32, np.float64):
        weights = sp.csr_matrix((w[keep], ids, kept), shape=(len(X), len(table)))
        return np.asarray(weights @ table, dtype=np.float32)
    import torch

    # torch's ``embedding_bag`` is that product, on torch's threads, several times faster
    # than scipy's sparse one.
    with warnings.catch_warnings():  # torch warns of a read-only array, which it only reads
        warnings.simplefilter("ignore", UserWarning)
        rows = torch.from_numpy(np.ascontiguousarray(table))
    out = torch.nn.functional.embedding_bag(
        torch.from_numpy(ids),
        rows,
        torch.from_numpy(kept[:-1]),
        mode="sum",
        per_sample_weights=torch.from_numpy(w[keep].astype(table.dtype)),
    )
    return out.numpy().astype(np.float32, copy=False)


def _segment_max(X: TokenEmbeddings, keep: np.ndarray) -> np.ndarray:
    """Element-wise max over the kept tokens of each text (zeros where none is kept).

    Texts are ordered by their number of kept tokens, so the texts that have a j-th
    token form a prefix; one vectorised maximum per token position then replaces
    ``np.maximum.reduceat``, which is several times slower on (tokens, dim) arrays.
    """
    counts = np.bincount(X.segment_ids[keep], minlength=len(X))
    out = np.zeros((len(X), X.dim), dtype=np.float32)
    values = X.values[keep]
    order = np.argsort(-counts, kind="stable")
    lengths = counts[order]
    starts = (np.cumsum(counts) - counts)[order]
    n_nonempty = int(np.count_nonzero(lengths))
    if n_nonempty == 0:
        return out
    acc = values[starts[:n_nonempty]]
    for j in range(1, int(lengths[0])):
        k = int(np.searchsorted(-lengths, -j, side="left"))  # texts with more than j tokens
        np.maximum(acc[:k], values[starts[:k] + j], out=acc[:k])
    out[order[:n_nonempty]] = acc
    return out


def _dimension_normalised(X: TokenEmbeddings, keep: np.ndarray) -> np.ndarray:
    """The token vectors with each dimension divided by its L2 norm over the kept tokens of
    their text (uSIF's ``v / norm(v, axis=0)`` per sentence); a zero norm leaves zeros."""
    squares = _pool_matrix(X, keep.astype(np.float64)) @ np.square(X.values, dtype=np.float64)
    norms = np.sqrt(squares)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return (X.values * inverse[X.segment_ids]).astype(np.float32)


def _pooler_output(X: TokenEmbeddings) -> np.ndarray:
    """The first token of each text through the model's pooler head, ``tanh(x W^T + b)``."""
    head = X.pooler_head
    if head is None:
        raise ValueError(
            "TokenPooler(method='pooler'): these token vectors carry no pooler head: the "
            "featurizer's checkpoint has none (its pooler weights are missing), or they come "
            "from a static featurizer or a token mixer; use method='cls' for the raw first "
            "token."
        )
    weight, bias = head
    if weight.shape[1] != X.dim:
        raise ValueError(
            f"TokenPooler(method='pooler'): the pooler head takes vectors of width "
            f"{weight.shape[1]}, but the token vectors have width {X.dim} (a concatenation "
            "of layers?)."
        )
    first = _take(X, X.offsets[:-1], np.diff(X.offsets) > 0)
    out = np.tanh(first @ weight.T + bias).astype(np.float32)
    out[np.diff(X.offsets) == 0] = 0.0
    return out


def _take(X: TokenEmbeddings, rows: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.zeros((len(X), X.dim), dtype=np.float32)
    if X.table is not None:  # the rows' own table rows, without gathering every token
        out[valid] = X.table[X.token_ids[rows[valid]]]
    else:
        out[valid] = X.values[rows[valid]]
    return out


def _require_vocabulary(X: TokenEmbeddings, what: str) -> np.ndarray:
    if X.vocabulary is None:
        raise ValueError(
            f"TokenPooler: excluding {what} needs the token vocabulary, which these "
            "TokenEmbeddings do not carry."
        )
    return X.vocabulary


_FLAGS_CACHE: dict = {}


def _vocabulary_flags(X: TokenEmbeddings, kind: str) -> np.ndarray:
    """Boolean per vocabulary id: punctuation-only tokens, word-piece continuations, or the
    tokens of a named list.

    Computed once per vocabulary object (featurizers share one per model), not per call.
    """
    vocab = _require_vocabulary(X, kind)
    cached = _FLAGS_CACHE.get((id(vocab), kind))
    if cached is not None and cached[0] is vocab:
        return cached[1]
    if kind == "subword":
        flags = np.array([isinstance(t, str) and t.startswith("##") for t in vocab], dtype=bool)
    elif kind in _EXCLUDE_PRESETS:
        listed = set(_EXCLUDE_PRESETS[kind])
        flags = np.array([t in listed for t in vocab], dtype=bool)
    else:
        flags = np.array([_is_punctuation(t) for t in vocab], dtype=bool)
    if len(_FLAGS_CACHE) > 16:
        _FLAGS_CACHE.clear()
    _FLAGS_CACHE[(id(vocab), kind)] = (vocab, flags)
    return flags


def _is_punctuation(token) -> bool:
    if not isinstance(token, str):
        return False
    token = token.removeprefix("##").lstrip("Ġ▁")
    return bool(token) and all(unicodedata.category(c).startswith("P") for c in token)


# -- learned token statistics (pure helpers) ---------------------------------------
def _token_counts(X: TokenEmbeddings, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count and document frequency of each token id among the kept tokens.

    Both arrays have one entry per vocabulary id: the larger of the vocabulary
    length and the largest id plus one. A token repeated in a text adds once
    to its document frequency.
    """
    size = int(X.token_ids.max()) + 1 if X.token_ids.size else 0
    if X.vocabulary is not None:
        size = max(size, len(X.vocabulary))
    ids = X.token_ids[keep]
    counts = np.bincount(ids, minlength=size)
    pairs = np.unique(X.segment_ids[keep] * np.int64(max(size, 1)) + ids)  # distinct (text, id)
    df = np.bincount(pairs % max(size, 1), minlength=size)
    return counts, df


def _chunkwise(X, work):
    """``work(chunk)`` for each chunk of ``X``; an error names where its chunk starts."""
    start = 0
    for chunk in iter_chunks(X):
        try:
            yield work(chunk)
        except ValueError as exc:
            if not start:
                raise
            raise ValueError(
                f"{exc} (text numbers count within the chunk that starts at text {start})"
            ) from exc
        start += len(chunk)


def _stack(pooled, n_texts: int) -> np.ndarray:
    """The pooled chunks, in order, written into one (n_texts, dim) array as they come."""
    out = None
    start = 0
    for block in pooled:
        if out is None:
            out = np.empty((n_texts, block.shape[1]), dtype=block.dtype)
        out[start : start + len(block)] = block
        start += len(block)
    return out


def _add_counts(total: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Sum of two per-id count arrays of possibly different lengths."""
    if len(more) > len(total):
        total, more = more, total
    total = total.copy()
    total[: len(more)] += more
    return total


def _most_frequent(counts: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` ids of highest count (seen ones only), most frequent first, ties by id."""
    order = np.argsort(-counts, kind="stable")[:n]
    return order[counts[order] > 0].astype(np.int64)


def _idf_weights(df: np.ndarray, n_texts: int) -> np.ndarray:
    """scikit-learn's smooth idf: ``ln((1 + n_texts) / (1 + df)) + 1``."""
    return np.log((1.0 + n_texts) / (1.0 + np.asarray(df, dtype=np.float64))) + 1.0


def _probabilities(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def _sif_weights(counts: np.ndarray, a: float) -> np.ndarray:
    """SIF weights ``a / (a + p(w))`` (Arora et al., 2017)."""
    return a / (a + _probabilities(counts))


def _usif_a(counts: np.ndarray, n_texts: int, length: float | None = 11) -> float:
    """uSIF's ``a = (1 - alpha) / (alpha * |V| / 2)`` (Ethayarajh, 2018); inf if alpha = 0.

    ``length`` is the expected sentence length ``n``; None: the mean fitted tokens per text.
    """
    seen = counts[counts > 0]
    n_vocabulary = len(seen)
    if n_vocabulary == 0:
        return float("inf")
    if length is None:
        length = seen.sum() / n_texts
    threshold = 1.0 - (1.0 - 1.0 / n_vocabulary) ** length
    alpha = np.count_nonzero(seen / seen.sum() > threshold) / n_vocabulary
    if alpha == 0:
        return float("inf")
    return float((1.0 - alpha) / (alpha * n_vocabulary / 2.0))


def _usif_weights(counts: np.ndarray, a: float) -> tuple[np.ndarray, float]:
    """uSIF weights ``a / (a/2 + p(w))`` and the weight of an unseen id, whose ``p`` is the
    smallest fitted one (as in the reference code); 2 everywhere when ``a`` is infinite."""
    if np.isinf(a):
        return np.full(len(counts), 2.0), 2.0
    p = _probabilities(counts)
    smallest = p[counts > 0].min()
    p = np.where(counts > 0, p, smallest)
    return a / (a / 2.0 + p), float(a / (a / 2.0 + smallest))


def _lookup(table: np.ndarray, default: float, ids: np.ndarray) -> np.ndarray:
    """``table[ids]``, with ``default`` for ids outside the table."""
    inside = (ids >= 0) & (ids < len(table))
    if not len(table):
        return np.full(len(ids), default)
    return np.where(inside, table[np.where(inside, ids, 0)], default)
