"""Fitted pipelines on a Dask cluster of two worker processes (sklearn_sentemb.dask)."""

import pickle
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import sklearn_sentemb.dask as sdask
from sklearn_sentemb import DiskCache, TokenPooler, TransformerFeaturizer
from sklearn_sentemb.metrics import make_sts_scorer

from conftest import read_stsb

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
ParallelPostFit = pytest.importorskip("dask_ml.wrappers").ParallelPostFit

PAIRS, GOLD = read_stsb("test", limit=60)
TEXTS = list(dict.fromkeys(PAIRS.ravel().tolist()))  # 103 distinct sentences


def _loaded_models():
    """On a worker: the identity of each model object in the process's registry."""
    from sklearn_sentemb import _models

    return sorted(id(loaded.model) for loaded in _models._REGISTRY.values())


@pytest.fixture(scope="module")
def client():
    # Workers are new processes; they inherit HF_HUB_OFFLINE=1 from this one (conftest).
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def pipe(tiny_bert):
    return make_pipeline(TransformerFeaturizer(tiny_bert), TokenPooler("mean")).fit(TEXTS)


@pytest.fixture(scope="module")
def expected(pipe):
    return pipe.transform(TEXTS)


@pytest.fixture(scope="module")
def first_models(client, pipe):
    """Each worker's model objects after a first transform there."""
    texts = da.from_array(np.array(TEXTS, dtype=object), chunks=10)
    sdask.embed_array(pipe, texts).compute()
    return client.run(_loaded_models)


def test_pickled_pipeline_holds_no_weights(pipe, tiny_bert):
    weights = (Path(tiny_bert) / "model.safetensors").stat().st_size
    assert len(pickle.dumps(pipe)) < weights / 100


def test_transform_meta(pipe, expected):
    meta = sdask.transform_meta(pipe)
    assert type(meta) is np.ndarray
    assert meta.shape == (0, expected.shape[1]) and meta.dtype == expected.dtype


def test_parallel_post_fit_on_a_text_column_array(client, pipe, expected, first_models):
    texts = da.from_array(np.array(TEXTS, dtype=object)[:, None], chunks=(20, 1))
    wrapped = ParallelPostFit(pipe, transform_meta=sdask.transform_meta(pipe))
    np.testing.assert_allclose(wrapped.transform(texts).compute(), expected, atol=1e-6)


def test_parallel_post_fit_on_a_one_column_dataframe(client, pipe, expected):
    frame = dd.from_pandas(pd.DataFrame({"text": TEXTS}), npartitions=3)
    wrapped = ParallelPostFit(pipe, transform_meta=sdask.transform_meta(pipe))
    out = wrapped.transform(frame)
    assert isinstance(out, da.Array) and out.shape[1] == expected.shape[1]
    np.testing.assert_allclose(out.compute(), expected, atol=1e-6)


@pytest.mark.parametrize("shape", [(-1,), (-1, 1)], ids=["1d", "n_by_1"])
def test_embed_array(client, pipe, expected, shape):
    texts = da.from_array(np.array(TEXTS, dtype=object).reshape(shape), chunks=30)
    out = sdask.embed_array(pipe, texts)
    assert out.shape == expected.shape and out.chunks[0] == (30, 30, 30, 13)
    np.testing.assert_allclose(out.compute(), expected, atol=1e-6)


def test_embed_array_of_pairs(client, pipe):
    out = sdask.embed_array(pipe, da.from_array(PAIRS, chunks=(25, 1)))
    assert out.shape == (2 * len(PAIRS), out.shape[1]) and out.chunks[0] == (50, 50, 20)
    np.testing.assert_allclose(out.compute(), pipe.transform(PAIRS), atol=1e-6)


def test_embed_column(client, pipe, expected):
    index = pd.Index(np.arange(len(TEXTS)) * 3 + 1000, name="id")
    frame = pd.DataFrame({"text": TEXTS, "other": 0}, index=index)
    ddf = dd.from_pandas(frame, npartitions=4)
    out = sdask.embed_column(pipe, ddf["text"])
    assert list(out.columns) == list(pipe.get_feature_names_out())
    assert out.divisions == ddf.divisions
    result = out.compute()
    pd.testing.assert_index_equal(result.index, index)
    np.testing.assert_allclose(result.to_numpy(), expected, atol=1e-6)
    # A one-column DataFrame is that column.
    np.testing.assert_allclose(sdask.embed_column(pipe, ddf[["text"]]).compute(), result, atol=1e-6)


def test_embed_column_without_feature_names(client, pipe, expected):
    # FunctionTransformer without feature_names_out has no get_feature_names_out.
    with_tanh = make_pipeline(*pipe, FunctionTransformer(np.tanh))
    out = sdask.embed_column(with_tanh, dd.from_pandas(pd.Series(TEXTS), npartitions=2))
    result = out.compute()
    assert list(result.columns) == [f"emb_{i}" for i in range(expected.shape[1])]
    np.testing.assert_allclose(result.to_numpy(), np.tanh(expected), atol=1e-6)


def test_grid_search_on_the_dask_backend(client, tiny_bert, tmp_path):
    grid = {"tokenpooler__method": ["mean", "max", "cls"]}

    def search(cache, **kwargs):
        featurizer = TransformerFeaturizer(tiny_bert, cache=cache)
        return GridSearchCV(
            make_pipeline(featurizer, TokenPooler()),
            grid,
            scoring=make_sts_scorer(),
            cv=3,
            **kwargs,
        ).fit(PAIRS, GOLD)

    cache = DiskCache(tmp_path)
    with joblib.parallel_config(backend="dask"):
        # No refit: every forward pass, and every cache write, is a worker's.
        on_dask = search(cache, n_jobs=-1, refit=False)
    alone = search(False, n_jobs=1)
    np.testing.assert_allclose(
        on_dask.cv_results_["mean_test_score"], alone.cv_results_["mean_test_score"], atol=1e-9
    )
    # One shared cache: the candidates' and folds' texts are each stored once.
    assert len(cache) == len(set(PAIRS.ravel()))


def test_one_model_load_per_worker(client, pipe, first_models):
    texts = da.from_array(np.array(TEXTS, dtype=object), chunks=10)
    sdask.embed_array(pipe, texts).compute()
    now = client.run(_loaded_models)
    assert all(len(models) == 1 for models in now.values()), now
    for worker, models in first_models.items():
        assert not models or now[worker] == models  # loaded once, never again


# -- bad input ------------------------------------------------------------------------------


def test_embed_array_refuses_what_is_not_a_dask_array_of_texts(pipe):
    with pytest.raises(TypeError, match=r"embed_array: X must be a dask array .* got ndarray"):
        sdask.embed_array(pipe, np.array(TEXTS, dtype=object))
    with pytest.raises(TypeError, match=r"embed_array: X must hold texts .* float64"):
        sdask.embed_array(pipe, da.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"embed_array: X must have shape .* \(4, 3\)"):
        sdask.embed_array(pipe, da.from_array(np.full((4, 3), "a", dtype=object), chunks=2))
    with pytest.raises(TypeError, match="embed_column: column must be a dask Series .* Series"):
        sdask.embed_column(pipe, pd.Series(TEXTS))
    two = dd.from_pandas(pd.DataFrame({"a": ["x"], "b": ["y"]}), npartitions=1)
    with pytest.raises(ValueError, match=r"embed_column: expected one text column, .*'a', 'b'"):
        sdask.embed_column(pipe, two)


def test_a_pipeline_without_one_row_per_text(tiny_bert):
    featurizer_only = make_pipeline(TransformerFeaturizer(tiny_bert))
    with pytest.raises(TypeError, match="transform_meta: Pipeline.transform must give one row"):
        sdask.transform_meta(featurizer_only)


def test_a_missing_text_is_named_by_its_place(pipe):
    texts = np.array(TEXTS, dtype=object)
    texts[25] = None
    with pytest.raises(TypeError, match=r"embed_array: .* X\[25\] is NoneType"):
        sdask.embed_array(pipe, da.from_array(texts, chunks=10)).compute(scheduler="sync")
    pairs = PAIRS.copy()
    pairs[13, 1] = 3.5
    with pytest.raises(TypeError, match=r"embed_array: .* X\[13, 1\] is float"):
        sdask.embed_array(pipe, da.from_array(pairs, chunks=(5, 2))).compute(scheduler="sync")
    column = pd.Series(TEXTS, index=np.arange(len(TEXTS)) + 500, dtype="string")
    column.iloc[42] = pd.NA
    out = sdask.embed_column(pipe, dd.from_pandas(column, npartitions=4))
    with pytest.raises(TypeError, match="embed_column: .* index 542 holds NAType"):
        out.compute(scheduler="sync")


def test_a_step_error_names_the_block(tiny_bert):
    strict = TransformerFeaturizer(tiny_bert, max_length=8, truncation="error")
    pipe = make_pipeline(strict, TokenPooler()).fit(["Short."])
    texts = np.array(["Short."] * 40, dtype=object)
    texts[33] = "a much longer text than eight tokens can hold, by far"
    with pytest.raises(ValueError, match=r"embed_array: in X\[30:40\]: TransformerFeaturizer"):
        sdask.embed_array(pipe, da.from_array(texts, chunks=10)).compute(scheduler="sync")
    column = dd.from_pandas(pd.Series(texts, index=np.arange(40) * 2), npartitions=4)
    with pytest.raises(ValueError, match="embed_column: in the partition of index 60 to 78: Tr"):
        sdask.embed_column(pipe, column).compute(scheduler="sync")


def test_a_clear_error_without_dask(pipe, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"embed_array: needs dask .*sklearn-sentemb\[dask\]"):
        sdask.embed_array(pipe, np.array(TEXTS, dtype=object))
