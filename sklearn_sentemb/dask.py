"""Fitted pipelines on Dask: dask arrays and dask DataFrame columns of texts.

Each task receives the pipeline by pickle (its parameters and learned state, never model
weights); a worker loads each model once, through the per-process registry, on its first task.

- :func:`transform_meta` gives ``dask_ml.wrappers.ParallelPostFit(transform_meta=...)`` the
  output's empty array, so that dask-ml does not probe the pipeline with an array of zeros
  (which no text step accepts).
- :func:`embed_array` maps a dask array of texts to a dask array of embeddings whose chunks
  are the right ones (ParallelPostFit keeps its input's chunk widths: ``(n, 1)`` for a column
  of texts, while the blocks it computes are ``(n, d)``).
- :func:`embed_column` maps a dask DataFrame text column to a dask DataFrame of embedding
  columns on the column's index.

Dask is an optional dependency: ``pip install "sklearn-sentemb[dask]"``.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import dask.array
    import dask.dataframe

__all__ = ["embed_array", "embed_column", "transform_meta"]

_PROBE = "A short text."


def _import(module: str, step: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{step}: needs dask ({exc}); install the dask extra: "
            'pip install "sklearn-sentemb[dask]"'
        ) from exc


def _rows(out, n_texts, pipe, step):
    """``out``, checked to be ``pipe.transform``'s one row for each of ``n_texts`` texts."""
    shape = getattr(out, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != n_texts:
        got = f"shape {shape}" if shape is not None else type(out).__name__
        raise TypeError(
            f"{step}: {type(pipe).__name__}.transform must give one row per text, an "
            f"(n_texts, d) array; for {n_texts} text(s) it gives {got}. End the pipeline "
            "with a pooler (TokenPooler) or a step that gives a row per text."
        )
    return out


def transform_meta(pipe) -> Any:
    """The empty output of ``pipe.transform``: shape ``(0, d)``, its type and dtype.

    Found by transforming one short text in this process (loading the model here once). Give
    it to ``dask_ml.wrappers.ParallelPostFit(pipe, transform_meta=...)``.

    Parameters
    ----------
    pipe : fitted estimator
        A pipeline (or step) whose ``transform`` takes texts and gives one row per text.

    Returns
    -------
    meta : ndarray of shape (0, d), or what ``transform`` returns (a DataFrame with
        ``set_output(transform="pandas")``), with no rows.

    Raises
    ------
    TypeError
        If ``pipe.transform`` does not give an ``(n_texts, d)`` array (a pipeline ending in a
        featurizer gives token vectors).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_sentemb import TokenPooler, TransformerFeaturizer
    >>> from sklearn_sentemb.dask import transform_meta
    >>> pipe = make_pipeline(TransformerFeaturizer(), TokenPooler()).fit(["A text."])
    >>> meta = transform_meta(pipe)
    >>> meta.shape, meta.dtype
    ((0, 384), dtype('float32'))
    """
    return _rows(pipe.transform([_PROBE]), 1, pipe, "transform_meta")[:0]


@contextmanager
def _located(step, where):
    """Add the block's place in the whole input to a step's ``TypeError``/``ValueError``,
    whose item numbers count from the start of the block."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        if type(exc) not in (TypeError, ValueError):
            raise
        raise type(exc)(f"{step}: in {where()}: {exc}") from exc


def _non_text(values) -> int | None:
    """Position of the first item of ``values`` that is not a str, or None."""
    for i, value in enumerate(values):
        if not isinstance(value, str):
            return i
    return None


def _embed_block(block, pipe, width, block_info=None):
    start = block_info[0]["array-location"][0][0] if block_info else 0
    texts = np.asarray(block, dtype=object).reshape(-1)
    bad = _non_text(texts)
    if bad is not None:
        row, column = divmod(bad, width)
        item = f"X[{start + row}]" if block.ndim == 1 else f"X[{start + row}, {column}]"
        raise TypeError(
            f"embed_array: every text must be a str, but {item} is "
            f"{type(texts[bad]).__name__} ({texts[bad]!r:.60})."
        )
    with _located("embed_array", lambda: f"X[{start}:{start + len(block)}]"):
        out = pipe.transform(block)
    return np.asarray(_rows(out, len(texts), pipe, "embed_array"))


def embed_array(pipe, X: dask.array.Array) -> dask.array.Array:
    """Embed a dask array of texts block by block.

    Parameters
    ----------
    pipe : fitted estimator
        A pipeline whose ``transform`` takes texts and gives one row per text.
    X : dask array of str, shape (n,), (n, 1) or (n, 2)
        Texts; ``(n, 2)`` sentence pairs are flattened row-major (row ``2 * i`` is
        ``X[i, 0]``), as ``pipe.transform`` does. Blocks along the columns are joined.

    Returns
    -------
    dask array of shape (n * n_columns, d)
        Its chunks follow ``X``'s row chunks (unknown chunk sizes stay unknown).

    Raises
    ------
    TypeError
        If ``X`` is not a dask array of texts, or an item is not a str (named by its index
        in ``X`` when computed), or ``pipe`` does not give an ``(n_texts, d)`` array.
    ValueError
        If ``X`` has another shape; a step's error in a block names the block's rows.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_sentemb import TokenPooler, TransformerFeaturizer
    >>> from sklearn_sentemb.dask import embed_array
    >>> pipe = make_pipeline(TransformerFeaturizer(), TokenPooler()).fit(["A text."])
    >>> texts = da.from_array(np.array(["A cat.", "A dog.", "Rain."], dtype=object), chunks=2)
    >>> emb = embed_array(pipe, texts)
    >>> emb.shape, emb.chunks[0]
    ((3, 384), (2, 1))
    >>> np.allclose(emb.compute(), pipe.transform(["A cat.", "A dog.", "Rain."]), atol=1e-5)
    True
    """
    step = "embed_array"
    da = _import("dask.array", step)
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{step}: X must be a dask array of texts, got {type(X).__name__}; for a dask "
            "DataFrame column use embed_column."
        )
    if X.dtype.kind not in "OUT":
        raise TypeError(f"{step}: X must hold texts (dtype object or str), got dtype {X.dtype}.")
    if X.ndim not in (1, 2) or (X.ndim == 2 and X.shape[1] not in (1, 2)):
        raise ValueError(
            f"{step}: X must have shape (n,), (n, 1) or (n, 2) (text pairs), got {X.shape}."
        )
    width = 1 if X.ndim == 1 else X.shape[1]
    if X.ndim == 2 and X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    meta = np.asarray(transform_meta(pipe))
    rows = tuple(n * width for n in X.chunks[0])
    return X.map_blocks(
        _embed_block,
        pipe,
        width,
        chunks=(rows, (meta.shape[1],)),
        new_axis=1 if X.ndim == 1 else None,
        dtype=meta.dtype,
        meta=meta,
    )


def _label(index, i):
    """The label at position ``i`` of ``index`` as a Python value (``42``, not ``np.int64(42)``)."""
    return index[[i]].tolist()[0]


def _embed_partition(part, pipe, names):
    texts = part.to_numpy()
    bad = _non_text(texts)
    if bad is not None:
        raise TypeError(
            f"embed_column: every text must be a str, but the row with index "
            f"{_label(part.index, bad)!r} holds {type(texts[bad]).__name__} ({texts[bad]!r:.60}); "
            "drop or fill the missing texts first (column.dropna())."
        )
    with _located(
        "embed_column",
        lambda: f"the partition of index {_label(part.index, 0)!r} to {_label(part.index, -1)!r}",
    ):
        out = pipe.transform(texts)
    out = np.asarray(_rows(out, len(texts), pipe, "embed_column"))
    return pd.DataFrame(out, index=part.index, columns=names)


def _column_names(pipe, width):
    try:
        names = [str(name) for name in pipe.get_feature_names_out()]
    except Exception:  # any step without feature names: scikit-learn raises several types
        names = []
    if len(names) != width or len(set(names)) != width:
        names = [f"emb_{i}" for i in range(width)]
    return names


def embed_column(pipe, column: dask.dataframe.Series) -> dask.dataframe.DataFrame:
    """Embed a dask DataFrame column of texts partition by partition.

    Parameters
    ----------
    pipe : fitted estimator
        A pipeline whose ``transform`` takes texts and gives one row per text.
    column : dask Series of str, or dask DataFrame with one column
        The texts, e.g. ``ddf["text"]``.

    Returns
    -------
    dask DataFrame
        One row per text with the column's index and divisions; the columns are named by
        ``pipe.get_feature_names_out()`` when it gives ``d`` distinct names, else ``emb_0``,
        ``emb_1``, ...

    Raises
    ------
    TypeError
        If ``column`` is not a dask Series or DataFrame, or a text is not a str (missing
        values included; named by its index label when computed), or ``pipe`` does not give
        an ``(n_texts, d)`` array.
    ValueError
        If ``column`` is a DataFrame with several columns; a step's error in a partition
        names the partition's index range.

    Examples
    --------
    >>> import dask.dataframe as dd, pandas as pd
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_sentemb import TokenPooler, TransformerFeaturizer
    >>> from sklearn_sentemb.dask import embed_column
    >>> pipe = make_pipeline(TransformerFeaturizer(), TokenPooler()).fit(["A text."])
    >>> frame = pd.DataFrame({"text": ["A cat.", "A dog.", "Rain."]}, index=[10, 20, 30])
    >>> emb = embed_column(pipe, dd.from_pandas(frame, npartitions=2)["text"]).compute()
    >>> emb.shape, list(emb.index), emb.columns[0]
    ((3, 384), [10, 20, 30], 'tokenpooler0')
    """
    step = "embed_column"
    dd = _import("dask.dataframe", step)
    if isinstance(column, dd.DataFrame):
        if len(column.columns) != 1:
            raise ValueError(
                f"{step}: expected one text column, got a DataFrame with columns "
                f"{list(column.columns)}; select one, e.g. ddf['text']."
            )
        column = column[column.columns[0]]
    if not isinstance(column, dd.Series):
        raise TypeError(
            f"{step}: column must be a dask Series of texts (e.g. ddf['text']), got "
            f"{type(column).__name__}; for a dask array use embed_array."
        )
    meta = np.asarray(transform_meta(pipe))
    names = _column_names(pipe, meta.shape[1])
    frame_meta = pd.DataFrame(meta, index=column._meta.index, columns=names)
    return column.map_partitions(_embed_partition, pipe, names, meta=frame_meta)
