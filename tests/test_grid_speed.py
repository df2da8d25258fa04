"""What makes a grid cost about one candidate: the block of distinct texts per layer choice,
hidden states shared by worker processes without a cache given, and the memos of fits."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from joblib.externals.loky import get_reusable_executor
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_sentemb import (
    AllButTheTop,
    FitOn,
    TokenPooler,
    TransformerFeaturizer,
    Whitening,
    _featurize,
    clear_caches,
)
from sklearn_sentemb._cache import SHARED_CACHE_ENV, shared_disk_cache
from sklearn_sentemb._memo import fit_memo, pca_memo
from sklearn_sentemb.metrics import make_sts_scorer

from conftest import read_stsb

COUNTS_ENV = "SENTEMB_TEST_FORWARD_COUNTS"


class CountingFeaturizer(TransformerFeaturizer):
    """Appends ``pid texts`` for each forward pass to the file named in the environment, so
    that worker processes (which inherit it) are counted too."""

    def _forward(self, loaded, ids, depth, keep):
        with open(os.environ[COUNTS_ENV], "a") as f:
            f.write(f"{os.getpid()} {len(ids)}\n")
        return super()._forward(loaded, ids, depth, keep)


def forwarded(path, pid=None):
    if not path.exists():
        return 0
    rows = [line.split() for line in path.read_text().splitlines()]
    return sum(int(n) for p, n in rows if pid is None or int(p) == pid)


@pytest.fixture(autouse=True)
def fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def counts(tmp_path, monkeypatch):
    path = tmp_path / "forward-counts.txt"
    monkeypatch.setenv(COUNTS_ENV, str(path))
    get_reusable_executor().shutdown(wait=True)  # new workers inherit the variable
    yield path
    get_reusable_executor().shutdown(wait=True)


def test_two_workers_share_hidden_states_without_a_cache_given(tiny_bert, counts):
    pairs, gold = read_stsb("dev", limit=36)
    pipe = Pipeline([("tokens", CountingFeaturizer(tiny_bert)), ("pool", TokenPooler())])
    grid = {"tokens__layers": [-1, [1, -1]], "pool__method": ["mean", "max"]}
    n_distinct = len(set(pairs.ravel()))

    search = GridSearchCV(pipe, grid, scoring=make_sts_scorer(), cv=3, n_jobs=2)
    search.fit(pairs, gold)
    # Each worker runs a text at most once; the refit in this process runs none: it reads
    # what the workers stored.
    assert n_distinct <= forwarded(counts) <= 2 * n_distinct
    assert forwarded(counts, pid=os.getpid()) == 0
    disk, writes = shared_disk_cache()
    assert not writes and len(disk) == n_distinct

    # Fresh workers (nothing in their memory) find every hidden state on the disk.
    get_reusable_executor().shutdown(wait=True)
    before = forwarded(counts)
    again = GridSearchCV(pipe, grid, scoring=make_sts_scorer(), cv=3, n_jobs=2).fit(pairs, gold)
    assert forwarded(counts) == before

    clear_caches()
    serial = GridSearchCV(pipe, grid, scoring=make_sts_scorer(), cv=3, n_jobs=1).fit(pairs, gold)
    for parallel in (search, again):
        np.testing.assert_allclose(
            parallel.cv_results_["mean_test_score"],
            serial.cv_results_["mean_test_score"],
            atol=1e-6,
        )


def _leak_allowance_after_embedding(model):
    from joblib.externals.loky import process_executor

    from sklearn_sentemb._cache import memory_cache, recent_outputs

    TransformerFeaturizer(model).transform(["a text"])
    bound = memory_cache.max_bytes + recent_outputs.max_bytes
    return os.getpid(), process_executor._MAX_MEMORY_LEAK_SIZE, bound


def test_loky_workers_are_not_restarted_as_leaking_while_the_caches_fill(tiny_bert):
    """loky restarts a worker whose memory grew 300 MB past its size after the first task,
    which threw away the model and the cached hidden states again and again in a grid."""
    from joblib import Parallel, delayed
    from joblib.externals.loky import process_executor

    before = process_executor._MAX_MEMORY_LEAK_SIZE
    results = Parallel(n_jobs=2)(
        delayed(_leak_allowance_after_embedding)(tiny_bert) for _ in range(2)
    )
    for pid, allowance, bound in results:
        assert pid != os.getpid()
        assert allowance >= bound + before
    TransformerFeaturizer(tiny_bert).transform(["a text"])
    assert process_executor._MAX_MEMORY_LEAK_SIZE == before  # not a worker: left as it is


def test_a_serial_run_writes_nothing_to_disk(tiny_bert):
    TransformerFeaturizer(tiny_bert).transform(["a text", "another text"])
    disk, writes = shared_disk_cache()  # the folder exists once workers have written to it
    assert not writes
    assert disk is None or len(disk) == 0  # emptied by clear_caches before the test


SCRIPT = """
import os, sys
from joblib import Parallel, delayed
from sklearn_sentemb import TransformerFeaturizer
from sklearn_sentemb._cache import SHARED_CACHE_ENV

def embed(text):
    return TransformerFeaturizer(sys.argv[1]).transform([text]).values.shape

Parallel(n_jobs=2)(delayed(embed)(t) for t in ["one text", "two texts"])
folder = os.environ[SHARED_CACHE_ENV].partition(":")[2]
print(folder, os.path.isdir(os.path.join(folder, "sentemb_hidden_states")))
"""


def test_shared_folder_is_removed_when_the_first_process_exits(tiny_bert):
    env = {k: v for k, v in os.environ.items() if k != SHARED_CACHE_ENV}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tiny_bert)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    ).stdout.split()
    folder, existed = out[-2], out[-1]
    assert existed == "True"  # the workers wrote there
    assert not os.path.exists(folder)


def test_block_reuses_tokenisation_and_equals_a_fresh_computation(tiny_bert, monkeypatch):
    calls = []
    tokenize = _featurize.tokenize

    def counting(tokenizer, texts, **kwargs):
        calls.append(list(texts))
        return tokenize(tokenizer, texts, **kwargs)

    monkeypatch.setattr(_featurize, "tokenize", counting)
    seen = ["a cat sat", "on the mat", "a dog ran", "far away"]
    featurizer = TransformerFeaturizer(tiny_bert, layers=[1, -1])
    featurizer.transform(seen)
    assert calls == [seen]
    # A fold: a subset, in another order, with a duplicate; then two new texts.
    for texts, new in (
        (["far away", "a cat sat", "far away"], []),
        (["new one", *seen], ["new one"]),
    ):
        calls.clear()
        got = featurizer.transform(texts)
        assert calls == ([new] if new else [])
        expected = TransformerFeaturizer(tiny_bert, layers=[1, -1], cache=False).transform(texts)
        np.testing.assert_allclose(got.values, expected.values, atol=1e-6)
        for name in ("offsets", "token_ids", "roles"):
            np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))


def test_block_stays_bounded_on_a_stream_of_new_texts(tiny_bert, monkeypatch):
    """Past ``_BLOCK_BYTES`` the block restarts from the call's own texts; outputs stay exact."""
    featurizer = TransformerFeaturizer(tiny_bert, layers=[1, -1])
    one = featurizer.transform(["a first text"]).values.nbytes
    monkeypatch.setattr(_featurize, "_BLOCK_BYTES", 3 * one)
    stream = [[f"text number {i} of {j}" for i in range(2)] for j in range(6)]
    blocks = []
    for texts in [*stream, [stream[-1][0], "a last one"]]:
        got = featurizer.transform(texts)
        expected = TransformerFeaturizer(tiny_bert, layers=[1, -1], cache=False).transform(texts)
        np.testing.assert_allclose(got.values, expected.values, atol=1e-6)
        (block,) = [
            v
            for v in _featurize.recent_outputs._entries.values()
            if isinstance(v, _featurize._Block) and texts[-1] in v.rows
        ]
        blocks.append(len(block.rows))
    assert max(blocks) <= 4  # never every text seen
    assert stream[-1][0] in block.rows and "a last one" in block.rows


def test_cuts_of_a_block_never_keep_an_older_block_alive(tiny_bert, monkeypatch):
    """Seen texts come back as cuts of the block (not copies); when the block grows the cuts
    move to the new one, and when it restarts they are gathered and let go of it."""
    import weakref

    featurizer = TransformerFeaturizer(tiny_bert, layers=[1, -1])
    reference = TransformerFeaturizer(tiny_bert, layers=[1, -1], cache=False)
    featurizer.transform(["one text", "two texts", "three texts"])
    assert featurizer.transform(["one text", "two texts", "one text"]).source is not None
    cut = featurizer.transform(["three texts", "one text"])
    assert cut.source is not None and cut._values is None
    first_block = weakref.ref(cut.source[0])
    fresh = featurizer.transform(["a new text", "one text"])
    assert fresh.source is None  # the block grew for it: a copy
    (block,) = [
        v for v in _featurize.recent_outputs._entries.values() if isinstance(v, _featurize._Block)
    ]
    assert cut.source[0] is block.tokens is not first_block()  # moved to the grown block
    np.testing.assert_allclose(
        cut.values, reference.transform(["three texts", "one text"]).values, atol=1e-6
    )

    again = featurizer.transform(["two texts", "a new text"])
    assert again.source is not None
    monkeypatch.setattr(_featurize, "_BLOCK_BYTES", 1)  # the next new text restarts the block
    featurizer.transform(["something else entirely"])
    assert again.source is None  # gathered: the restarted block is not kept by it
    np.testing.assert_allclose(
        again.values, reference.transform(["two texts", "a new text"]).values, atol=1e-6
    )


def test_block_still_warns_naming_the_callers_item(tiny_bert):
    long = "word " * 40
    featurizer = TransformerFeaturizer(tiny_bert, max_length=16)
    with pytest.warns(UserWarning, match="first being item 2"):
        featurizer.transform(["short", "also short", long])
    with pytest.warns(UserWarning, match="first being item 0"):
        featurizer.transform([long, "short"])
    with pytest.raises(ValueError, match="first being item 1"):
        TransformerFeaturizer(tiny_bert, max_length=16, truncation="error").transform(
            ["short", long]
        )


def test_refiner_memo_gives_a_fresh_fit_and_misses_on_other_params_or_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6)) * np.arange(1, 7) + 2
    first = Whitening().fit(X)
    assert len(fit_memo) == 1
    hit = Whitening().fit(X.copy())
    assert len(fit_memo) == 1
    fit_memo.clear()
    pca_memo.clear()
    fresh = Whitening().fit(X)
    for name in ("mean_", "whitening_matrix_", "components_", "explained_variance_"):
        np.testing.assert_array_equal(getattr(hit, name), getattr(fresh, name))
    # The memo hands out copies: changing a fitted attribute changes no later fit.
    hit.mean_[:] = 0
    np.testing.assert_array_equal(Whitening().fit(X).mean_, first.mean_)

    fewer = Whitening(n_components=3).fit(X)
    assert fewer.whitening_matrix_.shape == (6, 3)
    other = X.copy()
    other[5, 2] += 1.0
    moved = Whitening().fit(other)
    np.testing.assert_allclose(moved.mean_, other.mean(axis=0))
    assert len(fit_memo) == 3
    # Whitened training data has identity covariance: checked by numpy, not by the code.
    Z = moved.transform(other)
    np.testing.assert_allclose(np.cov(Z.T, bias=True), np.eye(6), atol=1e-3)


def test_refiner_memo_is_bounded():
    rng = np.random.RandomState(1)
    bound = fit_memo.max_bytes
    fit_memo.resize(10_000)
    try:
        for _ in range(20):
            Whitening().fit(rng.normal(size=(30, 8)))
        assert 0 < fit_memo.n_bytes <= 10_000
        assert len(fit_memo) < 20
    finally:
        fit_memo.resize(bound)


def test_abtt_shares_the_pca_of_whitening_on_the_same_data():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(80, 10)) @ rng.normal(size=(10, 10)) + 3
    Whitening().fit(X)
    abtt = AllButTheTop(2).fit(X)
    assert len(pca_memo) == 1  # one decomposition for both
    reference = PCA(n_components=2, svd_solver="covariance_eigh").fit(X)
    np.testing.assert_allclose(abtt.components_, reference.components_, atol=1e-8)
    np.testing.assert_allclose(abtt.explained_variance_, reference.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(abtt.mean_, X.mean(axis=0), atol=1e-12)


def test_grid_with_identical_refiner_inputs_matches_separate_fits(tiny_bert):
    corpus = list(read_stsb("test", limit=20)[0].ravel())
    pairs, gold = read_stsb("dev", limit=30)
    pipe = Pipeline(
        [
            ("fit_on", FitOn(corpus=corpus)),
            ("tokens", TransformerFeaturizer(tiny_bert)),
            ("pool", TokenPooler()),
            ("refine", Whitening(n_components=8)),
        ]
    )
    fitted = [clone(pipe).fit(pairs[i::2], gold[i::2]) for i in range(2)]
    # Both folds fit the refiner on the same corpus embeddings: one memo entry.
    assert len(fit_memo) == 1
    fit_memo.clear()
    pca_memo.clear()
    fresh = clone(pipe).fit(pairs, gold)
    for model in fitted:
        np.testing.assert_array_equal(
            model["refine"].whitening_matrix_, fresh["refine"].whitening_matrix_
        )
