"""Grid search over extraction choices, the forward-pass cache and fitting on a corpus."""

import os
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.stats
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sentemb import (
    AllButTheTop,
    DiskCache,
    FitOn,
    TokenPooler,
    TransformerFeaturizer,
    Whitening,
    clear_caches,
    clear_memory_cache,
)
from sklearn_sentemb._models import load_model
from sklearn_sentemb.metrics import make_sts_scorer

from conftest import read_stsb


class CountingFeaturizer(TransformerFeaturizer):
    """Appends the number of texts of each forward pass to a file in its cache folder.

    A file, not a counter, so that worker processes of ``n_jobs=2`` are counted too.
    """

    def _forward(self, loaded, ids, depth, keep):
        with open(os.path.join(self.cache, "forward-counts.txt"), "a") as f:
            f.write(f"{len(ids)}\n")
        return super()._forward(loaded, ids, depth, keep)


def forwarded(folder):
    path = Path(folder) / "forward-counts.txt"
    return sum(int(x) for x in path.read_text().split()) if path.exists() else 0


@pytest.fixture(autouse=True)
def fresh_memory_cache():
    clear_memory_cache()
    yield
    clear_memory_cache()


@pytest.fixture
def forward_counter(tiny_bert):
    """Counts texts run through the tiny model in this process, from empty caches (the
    shared disk cache too, which worker processes of earlier tests may have filled)."""
    clear_caches()
    model = load_model(tiny_bert).model
    counts = []
    handle = model.register_forward_pre_hook(
        lambda module, args, kwargs: counts.append(kwargs["input_ids"].shape[0]), with_kwargs=True
    )
    yield counts
    handle.remove()


@pytest.fixture(scope="module")
def sts_pairs():
    pairs, gold = read_stsb("dev", limit=36)
    return pairs, gold


def make_pipe(model, **featurizer):
    return Pipeline(
        [
            ("fit_on", FitOn()),
            ("tokens", TransformerFeaturizer(model, **featurizer)),
            ("pool", TokenPooler("mean")),
            ("refine", "passthrough"),
        ]
    )


GRID = {
    "tokens__layers": [-1, [1, -1], [0, -1]],
    "pool__method": ["mean", "max"],
    "refine": ["passthrough", Whitening(), AllButTheTop(2), StandardScaler()],
}


def sts_by_hand(pipe, pairs, gold, train, test):
    """Fit on the training pairs, cosine + Spearman on the test pairs, with numpy/scipy."""
    fitted = clone(pipe).fit(pairs[train], gold[train])
    emb = fitted.transform(pairs[test])
    a, b = emb[0::2], emb[1::2]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return scipy.stats.spearmanr(cos, gold[test]).statistic


def test_grid_search_best_score_matches_hand_computation(tiny_bert, sts_pairs, forward_counter):
    pairs, gold = sts_pairs
    cv = KFold(3)
    search = GridSearchCV(make_pipe(tiny_bert), GRID, scoring=make_sts_scorer(), cv=cv)
    search.fit(pairs, gold)
    assert len(search.cv_results_["params"]) == 24
    # One forward pass per distinct sentence for the whole grid (layers=-1 comes first
    # and stores every layer of each text).
    assert sum(forward_counter) == len(set(pairs.ravel()))

    best = make_pipe(tiny_bert).set_params(**search.best_params_)
    folds = [sts_by_hand(best, pairs, gold, tr, te) for tr, te in cv.split(pairs)]
    assert search.best_score_ == pytest.approx(np.mean(folds), abs=1e-6)
    # and the grid really chose the best candidate by that measure
    assert search.best_score_ == pytest.approx(np.nanmax(search.cv_results_["mean_test_score"]))


def test_disk_cache_is_shared_by_worker_processes(tiny_bert, sts_pairs, tmp_path):
    pairs, gold = sts_pairs
    pipe = Pipeline(
        [
            ("tokens", CountingFeaturizer(tiny_bert, cache=str(tmp_path))),
            ("pool", TokenPooler()),
            ("refine", "passthrough"),
        ]
    )
    grid = {"tokens__layers": [-1, [1, -1]], "refine": ["passthrough", Whitening()]}
    n_distinct = len(set(pairs.ravel()))
    # Warm the disk cache through one candidate in this process, then search with
    # two worker processes: they must read every hidden state from disk.
    clone(pipe).fit(pairs, gold).transform(pairs)
    assert forwarded(tmp_path) == n_distinct
    clear_memory_cache()
    search = GridSearchCV(pipe, grid, scoring=make_sts_scorer(), cv=3, n_jobs=2)
    search.fit(pairs, gold)
    assert forwarded(tmp_path) == n_distinct
    serial = GridSearchCV(pipe, grid, scoring=make_sts_scorer(), cv=3, n_jobs=1).fit(pairs, gold)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], atol=1e-6
    )


def test_cold_disk_cache_with_two_workers_stores_each_text(tiny_bert, sts_pairs, tmp_path):
    pairs, gold = sts_pairs
    pipe = Pipeline(
        [("tokens", CountingFeaturizer(tiny_bert, cache=str(tmp_path))), ("pool", TokenPooler())]
    )
    GridSearchCV(
        pipe, {"pool__method": ["mean", "max"]}, scoring=make_sts_scorer(), cv=2, n_jobs=2
    ).fit(pairs, gold)
    n_distinct = len(set(pairs.ravel()))
    # Each worker runs a text at most once, whatever the fold and candidate (a reused worker
    # may hold some in memory from earlier work and run none), and the folder holds them all.
    assert forwarded(tmp_path) <= 2 * n_distinct
    assert len(DiskCache(tmp_path)) == n_distinct


def test_cache_key_changes_with_template_max_length_and_model(tiny_bert, tmp_path, forward_counter):
    texts = ["a first text", "a second one"]
    TransformerFeaturizer(tiny_bert).transform(texts)
    TransformerFeaturizer(tiny_bert, layers=[0, 2]).transform(texts)
    assert sum(forward_counter) == 2  # the second call is served from memory
    with_template = TransformerFeaturizer(tiny_bert, template="promptbert").transform(texts)
    assert sum(forward_counter) == 4
    assert with_template.lengths[0] > TransformerFeaturizer(tiny_bert).transform(texts).lengths[0]
    TransformerFeaturizer(tiny_bert, max_length=20).transform(texts)
    assert sum(forward_counter) == 6
    TransformerFeaturizer(tiny_bert, cache=False).transform(texts)
    assert sum(forward_counter) == 8

    # Other weights under the same path: the fingerprint changes, so nothing stale.
    import torch
    from transformers import BertModel

    other = tmp_path / "other"
    model = BertModel.from_pretrained(tiny_bert)
    torch.nn.init.normal_(model.embeddings.word_embeddings.weight)
    model.save_pretrained(other)
    load_model(tiny_bert).tokenizer.save_pretrained(other)
    a = TransformerFeaturizer(tiny_bert).transform(texts)
    b = TransformerFeaturizer(str(other)).transform(texts)
    assert not np.allclose(a.values, b.values)


def test_damaged_disk_entry_is_recomputed(tiny_bert, tmp_path):
    texts = ["some text to cache", "and another"]
    featurizer = TransformerFeaturizer(tiny_bert, cache=joblib.Memory(tmp_path, verbose=0))
    expected = featurizer.transform(texts).values
    cache = DiskCache(tmp_path)
    assert len(cache) == 2
    rows = [(cache._shard(i), key) for i in range(cache.n_shards) for key in cache._shard(i)]
    deepest = max(int(key.rpartition("#")[2]) for _, key in rows if "#" in key)
    damaged = 0
    for shard, key in rows:
        if key.endswith(f"#{deepest}"):  # each text's row of the layer asked for (the last)
            blob = bytearray(shard[key])
            if damaged == 0:
                blob[-10] ^= 0xFF  # flip bits inside the stored array
            else:
                blob = blob[:40]  # a cut entry
            shard[key] = bytes(blob)
            damaged += 1
    assert damaged == 2
    clear_memory_cache()
    with pytest.warns(RuntimeWarning, match="damaged entry"):
        again = featurizer.transform(texts).values
    np.testing.assert_allclose(again, expected, atol=1e-6)


def test_fit_on_corpus_fits_learned_steps_on_the_corpus(tiny_bert, sts_pairs):
    pairs, gold = sts_pairs
    corpus = [line for line in read_stsb("test", limit=30)[0].ravel()]
    pipe = make_pipe(tiny_bert).set_params(refine=Whitening(), fit_on__corpus=corpus)
    pipe.fit(pairs, gold)
    corpus_emb = clone(make_pipe(tiny_bert)).fit(corpus).transform(corpus)
    np.testing.assert_allclose(pipe["refine"].mean_, corpus_emb.mean(0), atol=1e-5)
    # transform is unaffected by the corpus: pairs in, one row per sentence out
    assert pipe.transform(pairs).shape[0] == 2 * len(pairs)

    search = GridSearchCV(
        make_pipe(tiny_bert).set_params(refine=Whitening(n_components=8)),
        {"fit_on__corpus": [None, corpus]},
        scoring=make_sts_scorer(),
        cv=KFold(3),
    ).fit(pairs, gold)
    for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
        candidate = make_pipe(tiny_bert).set_params(refine=Whitening(n_components=8), **params)
        by_hand = [sts_by_hand(candidate, pairs, gold, tr, te) for tr, te in KFold(3).split(pairs)]
        assert score == pytest.approx(np.mean(by_hand), abs=1e-6)


def test_fit_on_rejects_bad_corpus():
    with pytest.raises(TypeError, match=r"FitOn\(corpus=...\): .*item 1 is int"):
        FitOn(corpus=["fine", 3]).fit_transform(["x"])
    with pytest.raises(ValueError, match="no texts"):
        FitOn(corpus=[]).fit_transform(["x"])


def _with(gold, index, value):
    gold = gold.astype(object)
    gold[index] = value
    return gold


GOLD_FAULTS = {
    "nan": (lambda g: _with(g, 7, np.nan), ValueError, r"contains NaN \(first at index 7: "),
    "not-a-number": (lambda g: _with(g, 3, "x"), TypeError, r"must contain numbers; .* 3 is 'x'"),
    "constant": (lambda g: np.full_like(g, 2.5), ValueError, r"is constant \(every score is 2\.5"),
    "one-short": (lambda g: g[:-1], ValueError, r"has 35 scores but there are 36 pairs"),
}


@pytest.mark.parametrize(("bad", "exc", "message"), GOLD_FAULTS.values(), ids=GOLD_FAULTS)
def test_search_sts_checks_dev_gold_by_its_index_before_any_work(
    tiny_bert, sts_pairs, forward_counter, bad, exc, message
):
    from sklearn_sentemb.search import make_search_pipeline, search_sts

    pairs, gold = sts_pairs
    with pytest.raises(exc, match="^search_sts: dev_gold " + message):
        search_sts(make_search_pipeline(tiny_bert), "quick", pairs, bad(gold))
    assert forward_counter == []  # refused before any text reached the model


def test_search_sts_checks_test_gold_before_the_search(tiny_bert, sts_pairs, forward_counter):
    from sklearn_sentemb.search import make_search_pipeline, search_sts

    pairs, gold = sts_pairs
    pipe = make_search_pipeline(tiny_bert)
    test_gold = gold[:10].copy()
    test_gold[2] = np.inf
    with pytest.raises(ValueError, match=r"^search_sts: test_gold contains infinity .*index 2: "):
        search_sts(pipe, "quick", pairs, gold, test_pairs=pairs[:10], test_gold=test_gold)
    with pytest.raises(ValueError, match=r"^search_sts: give test_pairs and test_gold together"):
        search_sts(pipe, "quick", pairs, gold, test_pairs=pairs[:10])
    assert forward_counter == []
