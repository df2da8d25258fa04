"""`TokenEmbeddings`: the ragged batch of token vectors passed between steps."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numpy as np

__all__ = ["CHUNK_SIZE", "ChunkedTokenEmbeddings", "TokenEmbeddings", "TokenRole", "iter_chunks"]

#: Texts per chunk: a token featurizer given more texts returns a `ChunkedTokenEmbeddings`,
#: so that memory holds the token vectors of one chunk, whatever the number of texts.
CHUNK_SIZE = 4096


class TokenRole(IntEnum):
    """Role code of a token inside its sequence.

    ``TEXT`` tokens come from the input text; ``SPECIAL`` are the tokenizer's
    added tokens ([CLS], [SEP], <s>, ...); ``TEMPLATE`` come from a prompt
    template around the text; ``MASK`` is the template's mask token.
    """

    TEXT = 0
    SPECIAL = 1
    TEMPLATE = 2
    MASK = 3


class TokenEmbeddings:
    """A batch of token vectors for ``n`` texts, stored CSR-like.

    The tokens of text ``i`` are the rows ``offsets[i]:offsets[i + 1]`` of
    ``values``. No per-text Python objects are kept, so slicing and pooling
    are vectorised.

    Parameters
    ----------
    values : ndarray of shape (n_tokens_total, dim), float32
        Token vectors of all texts, one after the other.
    offsets : ndarray of shape (n_texts + 1,), int64
        Start of each text's tokens in ``values``; ``offsets[0] == 0`` and
        ``offsets[-1] == len(values)``.
    token_ids : ndarray of shape (n_tokens_total,), int64
        Vocabulary id of each token.
    roles : ndarray of shape (n_tokens_total,), int8
        :class:`TokenRole` code of each token.
    vocabulary : ndarray of str, optional
        Token string of each vocabulary id (shared by all texts), used by
        poolers to exclude punctuation or sub-word pieces.
    pooler_head : tuple of two ndarrays, optional
        ``(weight, bias)`` of the model's pooler head (dense + tanh), for
        ``TokenPooler("pooler")``; set by a featurizer whose checkpoint has one.

    Attributes
    ----------
    table : ndarray of shape (n_vocabulary, dim) or None
        For a batch made by :meth:`from_table`, the table whose rows
        ``table[token_ids]`` are the token vectors; None otherwise.
    unique : tuple of two int arrays, or None
        ``(first, inverse)`` when the batch knows that its texts repeat:
        text ``i`` has the same tokens and vectors as text
        ``first[inverse[i]]``, so a pooler may pool ``self[first]`` only and
        expand with ``inverse``. Indexing and concatenation drop it.
    source : tuple (TokenEmbeddings, int array) or None
        For a cut of a read-only batch (a featurizer's block of every text
        seen), that batch and the texts' rows in it: the vectors are gathered
        only when read, and a pooler pools the whole batch once. None otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_sentemb import TokenEmbeddings
    >>> tokens = TokenEmbeddings(
    ...     values=np.arange(10, dtype=np.float32).reshape(5, 2),
    ...     offsets=np.array([0, 2, 5]),
    ...     token_ids=np.array([7, 8, 7, 9, 9]),
    ...     roles=np.zeros(5, dtype=np.int8),
    ... )
    >>> len(tokens), tokens.lengths.tolist(), tokens.dim
    (2, [2, 3], 2)
    >>> tokens[1].values.tolist()
    [[4.0, 5.0], [6.0, 7.0], [8.0, 9.0]]
    """

    __slots__ = (
        "_values",
        "offsets",
        "token_ids",
        "roles",
        "vocabulary",
        "pooler_head",
        "derived",
        "table",
        "unique",
        "source",
        "__weakref__",
    )

    def __init__(self, values, offsets, token_ids, roles, vocabulary=None, pooler_head=None):
        values = np.asarray(values)
        if values.ndim != 2:
            raise ValueError(
                f"TokenEmbeddings: values must be 2-D (tokens, dim), got shape {values.shape}."
            )
        self._set_tokens(len(values), offsets, token_ids, roles, vocabulary)
        self._values = values
        self.table = None
        self.pooler_head = pooler_head

    @classmethod
    def from_table(cls, table, offsets, token_ids, roles, vocabulary=None) -> TokenEmbeddings:
        """A batch whose token vectors are the rows ``table[token_ids]``, gathered lazily.

        Nothing is gathered until ``values`` is read; :class:`TokenPooler`
        pools mean, weighted mean and mask from the table directly (one sparse
        texts x vocabulary product), without building the token vectors.

        Parameters
        ----------
        table : ndarray of shape (n_vocabulary, dim)
            One vector per token id (kept by reference: do not modify it
            while the batch is in use).
        offsets, token_ids, roles, vocabulary
            As for the constructor; every id must index a row of ``table``.

        Returns
        -------
        TokenEmbeddings

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_sentemb import TokenEmbeddings
        >>> table = np.eye(3, dtype=np.float32)
        >>> tokens = TokenEmbeddings.from_table(table, [0, 2], [2, 0], [0, 0])
        >>> tokens.values.tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        """
        table = np.asarray(table)
        if table.ndim != 2:
            raise ValueError(
                f"TokenEmbeddings: a table must be 2-D (vocabulary, dim), got shape {table.shape}."
            )
        self = cls.__new__(cls)
        token_ids = np.asarray(token_ids, dtype=np.int64)
        self._set_tokens(len(token_ids), offsets, token_ids, roles, vocabulary)
        if token_ids.size and (token_ids.min() < 0 or token_ids.max() >= len(table)):
            bad = int(np.flatnonzero((token_ids < 0) | (token_ids >= len(table)))[0])
            raise ValueError(
                f"TokenEmbeddings: token id {int(token_ids[bad])} (token row {bad}) does not "
                f"index the table of {len(table)} rows."
            )
        self._values = None
        self.table = table
        return self

    def _set_tokens(self, n_rows, offsets, token_ids, roles, vocabulary) -> None:
        """Check and store everything but the vectors (``n_rows`` tokens)."""
        offsets = np.asarray(offsets, dtype=np.int64)
        token_ids = np.asarray(token_ids, dtype=np.int64)
        roles = np.asarray(roles, dtype=np.int8)
        if offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0:
            raise ValueError("TokenEmbeddings: offsets must be 1-D and start at 0.")
        if offsets[-1] != n_rows or np.any(np.diff(offsets) < 0):
            raise ValueError(
                "TokenEmbeddings: offsets must be non-decreasing and end at "
                f"len(values)={n_rows}, got last offset {offsets[-1]}."
            )
        if token_ids.shape != (n_rows,) or roles.shape != (n_rows,):
            raise ValueError(
                "TokenEmbeddings: token_ids and roles need one entry per token row "
                f"({n_rows}), got {token_ids.shape} and {roles.shape}."
            )
        self.offsets = offsets
        self.token_ids = token_ids
        self.roles = roles
        self.vocabulary = vocabulary
        self.unique = None
        self.source = None
        self.pooler_head = None
        # Results computed from read-only values (e.g. pooled vectors), keyed by their
        # recipe; steps may reuse them because such values never change.
        self.derived = {}

    @classmethod
    def _rows_of(cls, parent: TokenEmbeddings, index: np.ndarray) -> TokenEmbeddings:
        """The texts ``index`` of ``parent`` (whose vectors are read-only), gathered lazily.

        :class:`TokenPooler` pools ``parent`` once (and keeps it) and takes the rows of
        ``index``: the folds of a grid search, cut from one block of every text, are then
        neither gathered nor pooled again.
        """
        lengths = parent.lengths[index]
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        rows = _ranges(parent.offsets[index], lengths, offsets)
        self = cls.__new__(cls)
        ids, roles = parent.token_ids[rows], parent.roles[rows]
        self._set_tokens(len(rows), offsets, ids, roles, parent.vocabulary)
        self.pooler_head = parent.pooler_head
        self._values = None
        self.table = None
        self.source = (parent, index)
        return self

    @property
    def values(self) -> np.ndarray:
        """Token vectors, shape (n_tokens_total, dim); gathered on first read from ``table``
        (read-write) or from the batch this one is cut from (read-only, as that one is)."""
        if self._values is None:
            if self.table is not None:
                self._values = np.take(self.table, self.token_ids, axis=0)
            else:
                parent, index = self.source
                rows = _ranges(parent.offsets[index], self.lengths, self.offsets)
                self._values = parent.values[rows]
                self._values.flags.writeable = False
        return self._values

    @property
    def _vectors_or_source(self) -> np.ndarray:
        """Some array with the dtype and width of the token vectors, without gathering."""
        if self._values is not None:
            return self._values
        return self.table if self.table is not None else self.source[0]._vectors_or_source

    @property
    def dtype(self) -> np.dtype:
        """Dtype of the token vectors."""
        return self._vectors_or_source.dtype

    @property
    def nbytes(self) -> int:
        """Bytes this batch holds: ids, roles and the token vectors (those of a table batch
        counted as gathered; an ungathered cut counts only its rows, its vectors being those
        of the batch it is cut from)."""
        own = len(self.token_ids) * 9
        if self.source is not None and self._values is None:
            return own + self.source[1].nbytes
        return own + len(self.token_ids) * self.dim * self.dtype.itemsize

    def _detach(self) -> None:
        """Gather a cut's vectors and let go of the batch it is cut from."""
        if self.source is not None:
            self.values  # noqa: B018 (gathers)
            self.source = None

    def __reduce__(self):
        # A lazy batch travels with its table only while that is smaller than its vectors.
        if (
            self._values is None
            and self.table is not None
            and len(self.token_ids) * self.dim > self.table.size
        ):
            args = (self.table, self.offsets, self.token_ids, self.roles, self.vocabulary)
            return (_from_table, args)
        return (
            type(self),
            (
                self.values,
                self.offsets,
                self.token_ids,
                self.roles,
                self.vocabulary,
                self.pooler_head,
            ),
        )

    # -- shape -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def dim(self) -> int:
        """Width of each token vector."""
        return self._vectors_or_source.shape[1]

    @property
    def lengths(self) -> np.ndarray:
        """Number of tokens of each text, shape (n_texts,)."""
        return np.diff(self.offsets)

    @property
    def segment_ids(self) -> np.ndarray:
        """Index of the text each token row belongs to, shape (n_tokens_total,)."""
        return np.repeat(np.arange(len(self)), self.lengths)

    def __repr__(self) -> str:
        return (
            f"TokenEmbeddings(n_texts={len(self)}, n_tokens={len(self.token_ids)}, "
            f"dim={self.dim}, dtype={self.dtype})"
        )

    # -- indexing --------------------------------------------------------------
    def __getitem__(self, index) -> TokenEmbeddings:
        """Select texts by int, slice, integer array or boolean mask.

        An int gives a batch of one text, so the result is always a
        ``TokenEmbeddings``.
        """
        n = len(self)
        if isinstance(index, (int, np.integer)):
            if not -n <= index < n:
                raise IndexError(f"text index {index} out of range for {n} texts")
            index = [index % n]
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step == 1 and self.source is None:
                lo, hi = self.offsets[start], self.offsets[max(start, stop)]
                return self._with_rows(
                    slice(lo, hi), self.offsets[start : max(start, stop) + 1] - lo
                )
            index = np.arange(start, stop, step)
        index = np.asarray(index)
        if index.dtype == bool:
            if index.shape != (n,):
                raise IndexError(f"boolean index of shape {index.shape} for {n} texts")
            index = np.flatnonzero(index)
        if index.size and not np.issubdtype(index.dtype, np.integer):
            raise IndexError(f"texts are indexed by integers, got dtype {index.dtype}")
        index = index.astype(np.int64, copy=False).ravel()
        if index.size and (index.min() < -n or index.max() >= n):
            raise IndexError(f"text index out of range for {n} texts")
        index = index % max(n, 1)
        if self.source is not None:  # stays a lazy cut of the same batch
            parent, rows_of_parent = self.source
            return TokenEmbeddings._rows_of(parent, rows_of_parent[index])
        lengths = self.lengths[index]
        new_offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=new_offsets[1:])
        rows = _ranges(self.offsets[index], lengths, new_offsets)
        return self._with_rows(rows, new_offsets)

    def _with_rows(self, rows, offsets) -> TokenEmbeddings:
        ids, roles = self.token_ids[rows], self.roles[rows]
        if self._values is None:  # stays lazy
            return TokenEmbeddings.from_table(self.table, offsets, ids, roles, self.vocabulary)
        values = self._values[rows]
        return TokenEmbeddings(values, offsets, ids, roles, self.vocabulary, self.pooler_head)

    # -- combination -----------------------------------------------------------
    @classmethod
    def concatenate(cls, batches: Sequence[TokenEmbeddings]) -> TokenEmbeddings:
        """Join batches text-wise (the texts of ``batches[0]`` first)."""
        batches = list(batches)
        if not batches:
            raise ValueError("TokenEmbeddings.concatenate needs at least one batch.")
        dims = {b.dim for b in batches}
        if len(dims) > 1:
            raise ValueError(f"TokenEmbeddings.concatenate: batches differ in dim: {sorted(dims)}")
        lengths = np.concatenate([b.lengths for b in batches])
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.concatenate([b.token_ids for b in batches])
        roles = np.concatenate([b.roles for b in batches])
        table = batches[0].table
        if table is not None and all(b._values is None and b.table is table for b in batches):
            return cls.from_table(table, offsets, ids, roles, batches[0].vocabulary)
        values = np.concatenate([b.values for b in batches])
        return cls(values, offsets, ids, roles, batches[0].vocabulary, batches[0].pooler_head)

    def with_values(self, values) -> TokenEmbeddings:
        """Same tokens with other vectors (``values`` has one row per token); no pooler head,
        which belongs to the model's own vectors."""
        return TokenEmbeddings(values, self.offsets, self.token_ids, self.roles, self.vocabulary)


def _from_table(table, offsets, token_ids, roles, vocabulary) -> TokenEmbeddings:
    return TokenEmbeddings.from_table(table, offsets, token_ids, roles, vocabulary)


def _ranges(starts, lengths, new_offsets) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each (s, l), without a Python loop."""
    total = int(new_offsets[-1])
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    # Position inside its own segment, plus that segment's start in the source.
    within = np.arange(total, dtype=np.int64) - np.repeat(new_offsets[:-1], lengths)
    return within + np.repeat(starts, lengths)


class ChunkedTokenEmbeddings:
    """Token vectors of many texts, made one chunk of texts at a time.

    What a token featurizer returns for more texts than its ``chunk_size``:
    the texts and the featurizer, not the vectors. :class:`TokenPooler` pools
    it chunk by chunk, so memory holds one chunk of token vectors, whatever the
    number of texts. Indexing selects texts without computing anything, so
    cross-validation folds stay lazy; :meth:`materialize` builds the whole
    :class:`TokenEmbeddings` when it is really wanted.

    Parameters
    ----------
    texts : list of str
        The texts, already checked.
    featurize : callable
        ``featurize(list_of_texts) -> TokenEmbeddings`` for at most
        ``chunk_size`` texts.
    chunk_size : int
        Texts per chunk.
    progress : bool, default=False
        Show a tqdm progress bar over the texts while the chunks are made.
    """

    __slots__ = ("texts", "featurize", "chunk_size", "progress")

    def __init__(self, texts, featurize, chunk_size: int, progress: bool = False):
        self.texts = texts
        self.featurize = featurize
        self.chunk_size = int(chunk_size)
        self.progress = bool(progress)

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        return f"ChunkedTokenEmbeddings(n_texts={len(self)}, chunk_size={self.chunk_size})"

    def chunks(self):
        """The token vectors of each chunk of texts, in order (one empty chunk for no texts)."""
        if not self.texts:
            yield self.featurize([])
        from tqdm.auto import tqdm

        with tqdm(total=len(self.texts), unit="text", disable=not self.progress) as bar:
            for start in range(0, len(self.texts), self.chunk_size):
                chunk = self.texts[start : start + self.chunk_size]
                yield self.featurize(chunk)
                bar.update(len(chunk))

    def distinct(self) -> tuple[ChunkedTokenEmbeddings, np.ndarray | None]:
        """The batch of the distinct texts (first occurrences, in order) and each text's row
        among them, or ``(self, None)`` when no text repeats."""
        first = dict.fromkeys(self.texts)
        if len(first) == len(self.texts):
            return self, None
        rows = {text: row for row, text in enumerate(first)}
        inverse = np.fromiter(map(rows.__getitem__, self.texts), np.int64, len(self.texts))
        distinct = ChunkedTokenEmbeddings(
            list(first), self.featurize, self.chunk_size, self.progress
        )
        return distinct, inverse

    def __getitem__(self, index) -> ChunkedTokenEmbeddings:
        """Select texts by int, slice, integer array or boolean mask (lazily)."""
        positions = np.arange(len(self.texts))[index]
        texts = [self.texts[i] for i in np.atleast_1d(positions)]
        return ChunkedTokenEmbeddings(texts, self.featurize, self.chunk_size, self.progress)

    def materialize(self) -> TokenEmbeddings:
        """All token vectors at once (memory grows with the number of texts)."""
        return TokenEmbeddings.concatenate(list(self.chunks()))


def iter_chunks(X):
    """The :class:`TokenEmbeddings` chunks of ``X`` (a plain batch is one chunk)."""
    if isinstance(X, ChunkedTokenEmbeddings):
        return X.chunks()
    return iter([X])
