"""Tests of the data set loaders against the real release files and a local mirror.

Counts and the spot-checked lines below were read by hand from the release files (wc, grep,
head/tail), not from the loaders.
"""

import functools
import hashlib
import http.server
import io
import os
import shutil
import tarfile
import threading
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sklearn_sentemb.datasets import (
    DOWNLOADS,
    _download,
    fetch_dataset,
    get_data_home,
    load_classification,
    load_clustering,
    load_corpus,
    load_sts,
)
from sklearn_sentemb.datasets._tasks import card


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("SKLEARN_SENTEMB_DATA", raising=False)
    monkeypatch.delenv("SKLEARN_SENTEMB_DOWNLOAD_URL", raising=False)


def _assert_str_pairs(data):
    assert data.dtype == object and data.ndim == 2 and data.shape[1] == 2
    assert all(isinstance(s, str) for s in data.ravel())


# --------------------------------------------------------------------------------------
# STS
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, per_subset",
    [
        (
            "sts12",
            {
                "MSRpar": 750,
                "MSRvid": 750,
                "SMTeuroparl": 459,
                "surprise.OnWN": 750,
                "surprise.SMTnews": 399,
            },
        ),
        ("sts13", {"FNWN": 189, "headlines": 750, "OnWN": 561}),
        (
            "sts14",
            {
                "deft-forum": 450,
                "deft-news": 300,
                "headlines": 750,
                "images": 750,
                "OnWN": 750,
                "tweet-news": 750,
            },
        ),
        (
            "sts15",
            {
                "answers-forums": 375,
                "answers-students": 750,
                "belief": 375,
                "headlines": 750,
                "images": 750,
            },
        ),
    ],
)
def test_sts_yearly_counts(data_home, name, per_subset):
    sts = load_sts(name, data_home=data_home)
    total = {"sts12": 3108, "sts13": 1500, "sts14": 3750, "sts15": 3000}[name]
    assert len(sts.data) == len(sts.target) == len(sts.subset) == total
    assert sum(per_subset.values()) == total
    _assert_str_pairs(sts.data)
    assert sts.target.dtype == np.float64
    assert np.all((sts.target >= 0) & (sts.target <= 5))
    names, counts = np.unique(sts.subset, return_counts=True)
    assert dict(zip(names, counts)) == per_subset
    # Subsets come in SentEval's order, contiguous.
    assert list(dict.fromkeys(sts.subset)) == list(per_subset)
    one = next(iter(per_subset))
    X, y = load_sts(name, subset=one, data_home=data_home, return_X_y=True)
    assert len(X) == len(y) == per_subset[one]


def test_sts12_first_and_last_pairs(data_home):
    sts = load_sts("sts12", data_home=data_home)
    assert tuple(sts.data[0]) == (
        "The problem likely will mean corrective changes before the shuttle fleet starts "
        "flying again.",
        "He said the problem needs to be corrected before the space shuttle fleet is cleared "
        "to fly again.",
    )
    assert sts.target[0] == 4.4
    msr = sts.data[sts.subset == "MSRpar"]
    assert msr[-1][1] == (
        "The 25 percent hike takes annual UC undergraduate tuition to $4,794 and graduate "
        "fees to $5,019."
    )
    assert sts.target[sts.subset == "MSRpar"][-1] == 2.5
    # Last line of surprise.SMTnews; the first one ends in two spaces, stripped.
    assert tuple(sts.data[-1]) == (
        "He did, but the initiative did not get very far.",
        "What it did without the initiative not going very far.",
    )
    assert sts.target[-1] == 3.5
    smt = sts.data[sts.subset == "surprise.SMTnews"]
    assert smt[0][1] == "Last year it was sought to murder."


def test_sts15_blank_gold_lines_drop_pairs_keeping_alignment(data_home):
    sts = load_sts("sts15", subset="answers-forums", data_home=data_home)
    # Gold lines 1, 5, ..., 1994 are the non-empty ones (grep -n -v '^$').
    assert sts.target[:2].tolist() == [3.0, 0.6]
    assert tuple(sts.data[1]) == (
        "I am not aware of any university run participant pools.",
        "At the universities I've worked in North America, human-subject studies (esp.",
    )
    assert tuple(sts.data[-1]) == (
        "I have been doing a lot of my outlining/pre-writing work in Workflowy.",
        "Am I allowed to beat the drum for Scrivener again?",
    )
    assert sts.target[-1] == pytest.approx(0.2)


@pytest.mark.parametrize("split, n", [("train", 5749), ("dev", 1500), ("test", 1379)])
def test_stsb_split_counts(data_home, split, n):
    sts = load_sts("stsb", split=split, data_home=data_home)
    assert sts.data.shape == (n, 2)
    assert set(sts.split) == {split}
    assert sts.target.dtype == np.float64


def test_stsb_all_splits_and_extra_fields(data_home):
    sts = load_sts("stsb", data_home=data_home)
    assert len(sts.data) == 8628
    assert [(s, int((sts.split == s).sum())) for s in dict.fromkeys(sts.split)] == [
        ("train", 5749),
        ("dev", 1500),
        ("test", 1379),
    ]
    test = load_sts("stsb", split="test", data_home=data_home)
    assert tuple(test.data[0]) == ("A girl is styling her hair.", "A girl is brushing her hair.")
    assert test.target[0] == 2.5 and test.genre[0] == "main-captions"
    # The last line carries two licence fields after s2: they are not part of the pair.
    assert tuple(test.data[-1]) == (
        "South Korea declares end to MERS outbreak",
        "North Korea Delegation Meets With South Korean Officials",
    )
    assert test.target[-1] == 0.0
    assert not any("\t" in s or "Europe Media Monitor" in s for s in sts.data.ravel())


@pytest.mark.parametrize("split, n", [("train", 4500), ("trial", 500), ("test", 4927)])
def test_sickr_counts(data_home, split, n):
    sick = load_sts("sickr", split=split, data_home=data_home)
    assert sick.data.shape == (n, 2)
    assert np.all((sick.target >= 1) & (sick.target <= 5))


def test_sickr_first_last_and_crlf(data_home):
    train = load_sts("sickr", split="train", data_home=data_home)
    assert tuple(train.data[0]) == (
        "A group of kids is playing in a yard and an old man is standing in the background",
        "A group of boys in a yard is playing and a man is standing in the background",
    )
    assert train.target[0] == 4.5
    test = load_sts("sickr", split="test", data_home=data_home)  # CRLF line ends
    assert tuple(test.data[-1]) == (
        "A man is in a parking lot and is playing tennis against a large wall",
        "The snowboarder is leaping fearlessly over white snow",
    )
    assert test.target[-1] == 1.0
    assert not any("\r" in s for s in test.data.ravel())


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


STS16_SUBSETS = ("answer-answer", "headlines", "plagiarism", "postediting", "question-question")


def _sts16_release(root, prefix="STS2016"):
    """A synthetic STS 2016 folder: headlines has blank gold lines, CRLF, cp1252, extras."""
    for i, sub in enumerate(STS16_SUBSETS):
        _write(root / "sts16" / f"{prefix}.input.{sub}.txt", f"{sub} a\t{sub} b\n".encode())
        _write(root / "sts16" / f"{prefix}.gs.{sub}.txt", f"{i}\n".encode())
    _write(
        root / "sts16" / f"{prefix}.input.headlines.txt",
        b"A cat sits.\tA cat is sitting.\r\n"
        b"Unscored one.\tUnscored two.\r\n"
        b"He said \x93hi\x94.\tHe greeted.\tsource-a\tsource-b\r\n"
        b"Dogs run.\tA dog runs.\r\n"
        b"No gold.\tAt the end.\r\n",
    )
    _write(root / "sts16" / f"{prefix}.gs.headlines.txt", b"4.2\n\n3\n0.5\n\n")


def test_sts16_synthetic_blank_gold(tmp_path):
    _sts16_release(tmp_path)
    sts = load_sts("sts16", subset="headlines", data_home=tmp_path)
    assert [tuple(p) for p in sts.data] == [
        ("A cat sits.", "A cat is sitting."),
        ("He said \u201chi\u201d.", "He greeted."),
        ("Dogs run.", "A dog runs."),
    ]
    assert sts.target.tolist() == [4.2, 3.0, 0.5]
    everything = load_sts("sts16", data_home=tmp_path)
    assert list(everything.subset) == [
        "answer-answer",
        "headlines",
        "headlines",
        "headlines",
        "plagiarism",
        "postediting",
        "question-question",
    ]
    assert everything.target.tolist() == [0.0, 4.2, 3.0, 0.5, 2.0, 3.0, 4.0]


def test_sts16_senteval_file_names(tmp_path):
    _sts16_release(tmp_path, prefix="STS")
    sts = load_sts("sts16", subset="headlines", data_home=tmp_path)
    assert sts.target.tolist() == [4.2, 3.0, 0.5]


def test_sts_misaligned_or_bad_gold(tmp_path):
    _sts16_release(tmp_path)
    _write(tmp_path / "sts16" / "STS2016.gs.headlines.txt", b"4.2\n\n3\n")
    with pytest.raises(ValueError, match="one line .* per input pair"):
        load_sts("sts16", subset="headlines", data_home=tmp_path)
    _write(tmp_path / "sts16" / "STS2016.gs.headlines.txt", b"4.2\n\nhigh\n0.5\n\n")
    with pytest.raises(ValueError, match="line 3: gold score 'high'"):
        load_sts("sts16", subset="headlines", data_home=tmp_path)


def test_load_sts_argument_errors(data_home):
    with pytest.raises(ValueError, match="unknown data set 'sts17'"):
        load_sts("sts17", data_home=data_home)
    with pytest.raises(ValueError, match="split='dev' is not valid for 'sts12'"):
        load_sts("sts12", split="dev", data_home=data_home)
    with pytest.raises(ValueError, match="subset='images' is not valid for 'sts12'"):
        load_sts("sts12", subset="images", data_home=data_home)
    with pytest.raises(ValueError, match="subset is only for the yearly"):
        load_sts("stsb", subset="MSRvid", data_home=data_home)
    with pytest.raises(ValueError, match="split='dev' is not valid for 'sickr'"):
        load_sts("sickr", split="dev", data_home=data_home)


# --------------------------------------------------------------------------------------
# Bundled STS-B
# --------------------------------------------------------------------------------------


def test_bundled_files_resolve_through_importlib_resources(data_home):
    folder = resources.files("sklearn_sentemb").joinpath("data", "stsb")
    for name in ("sts-dev.csv", "sts-test.csv", "LICENSE.txt", "readme.txt"):
        bundled = folder.joinpath(name).read_bytes()
        assert hashlib.sha256(bundled).digest() == (
            hashlib.sha256((data_home / "stsb" / name).read_bytes()).digest()
        )
    assert get_data_home("bundled") == str(Path(str(resources.files("sklearn_sentemb"))) / "data")


@pytest.mark.parametrize("split, n", [("dev", 1500), ("test", 1379)])
def test_bundled_stsb(data_home, tmp_path, split, n):
    shared = load_sts("stsb", split=split, data_home=data_home)
    explicit = load_sts("stsb", split=split, data_home="bundled")
    fallback = load_sts("stsb", split=split, data_home=tmp_path)  # empty folder
    for sts in (explicit, fallback):
        assert sts.data.shape == (n, 2)
        np.testing.assert_array_equal(sts.data, shared.data)
        np.testing.assert_array_equal(sts.target, shared.target)
        assert sts.filenames[0].startswith(get_data_home("bundled"))


def test_bundled_has_no_train(tmp_path):
    with pytest.raises(FileNotFoundError, match="sts-train.csv") as err:
        load_sts("stsb", data_home=tmp_path)
    assert "data_home='bundled'" in str(err.value)
    with pytest.raises(FileNotFoundError, match="sts-train.csv"):
        load_sts("stsb", split="train", data_home="bundled")


# --------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, counts, names",
    [
        ("mr", [5331, 5331], ["negative", "positive"]),
        ("cr", [1366, 2405], ["negative", "positive"]),
        ("subj", [5000, 5000], ["subjective", "objective"]),
        ("mpqa", [7292, 3311], ["negative", "positive"]),
    ],
)
def test_one_text_per_line_counts(data_home, name, counts, names):
    ds = load_classification(name, data_home=data_home)
    assert len(ds.data) == {"mr": 10662, "cr": 3771, "subj": 10000, "mpqa": 10603}[name]
    assert np.bincount(ds.target).tolist() == counts
    assert ds.target_names.tolist() == names
    assert ds.data.dtype == object and ds.data.ndim == 1
    assert all(isinstance(t, str) and t for t in ds.data)
    assert "split" not in ds


def test_empty_lines_dropped_or_kept_like_senteval(data_home):
    cr = load_classification("cr", data_home=data_home)
    assert cr.data[0] == "im a more happier person after discovering the i/p button ! ."
    # custrev.pos line 2323 is empty: lines 2322 and 2324 become neighbours.
    i = list(cr.data).index(
        "you can even use the ipod to store files from your pc and export your outlook "
        "files to it ."
    )
    assert cr.data[i + 1] == "so reliability is the winner here for the ipod ."
    kept = load_classification("cr", data_home=data_home, keep_empty=True)
    assert len(kept.data) == 3775 and sum(t == "" for t in kept.data) == 4
    mpqa = load_classification("mpqa", data_home=data_home, keep_empty=True)
    assert len(mpqa.data) == 10606 and sum(t == "" for t in mpqa.data) == 3


def test_sst2(data_home):
    sst = load_classification("sst2", data_home=data_home)
    assert [(s, int((sst.split == s).sum())) for s in dict.fromkeys(sst.split)] == [
        ("train", 67349),
        ("dev", 872),
        ("test", 1821),
    ]
    test = load_classification("sst2", split="test", data_home=data_home)
    assert np.bincount(test.target).tolist() == [912, 909]
    assert test.data[0] == "uneasy mishmash of styles and genres ."
    assert test.target[0] == 0
    assert test.data[-1].startswith("dazzling and sugar-sweet , a blast of shallow")
    assert test.target[-1] == 1
    X, y = load_classification("sst2", split=["dev"], data_home=data_home, return_X_y=True)
    assert len(X) == len(y) == 872 and np.bincount(y).tolist() == [428, 444]


def test_sst5_both_layouts(tmp_path):
    for split in ("train", "dev"):
        _write(tmp_path / "sst5" / f"sentiment-{split}", b"a good film . \t3\nawful . \t0\n")
    _write(tmp_path / "sst5" / "sentiment-test", b"4 a great film .\n2 it is a film .\n")
    sst = load_classification("sst5", data_home=tmp_path)
    assert sst.target.tolist() == [3, 0, 3, 0, 4, 2]
    assert list(sst.data[-2:]) == ["a great film .", "it is a film ."]
    assert len(sst.target_names) == 5
    _write(tmp_path / "sst5" / "sentiment-dev", b"a film . \t7\n")
    with pytest.raises(ValueError, match="label '7'"):
        load_classification("sst5", split="dev", data_home=tmp_path)


def test_trec(data_home):
    trec = load_classification("trec", data_home=data_home)
    assert [(s, int((trec.split == s).sum())) for s in dict.fromkeys(trec.split)] == [
        ("train", 5452),
        ("test", 500),
    ]
    test = load_classification("trec", split="test", data_home=data_home)
    assert test.target_names.tolist() == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
    # cut -d: -f1 TREC_10.label | sort | uniq -c
    assert np.bincount(test.target).tolist() == [9, 138, 94, 65, 81, 113]
    assert (test.data[0], test.fine_label[0]) == (
        "How far is it from Denver to Aspen ?",
        "NUM:dist",
    )
    assert test.target_names[test.target[0]] == "NUM"
    assert (test.data[-1], test.target_names[test.target[-1]]) == ("What is e-coli ?", "DESC")
    train = load_classification("trec", split="train", data_home=data_home)
    assert np.bincount(train.target).tolist() == [86, 1162, 1250, 1223, 835, 896]
    # Line 66 holds the byte 0xf0, latin-1 for "ð".
    assert train.data[65] == (
        "Which city has the oldest relationship as a sister\u00f0city with Los Angeles ?"
    )


def test_mrpc_header_and_bom(data_home):
    mrpc = load_classification("mrpc", data_home=data_home)
    assert len(mrpc.data) == 5801
    train = load_classification("mrpc", split="train", data_home=data_home)
    test = load_classification("mrpc", split="test", data_home=data_home)
    assert train.data.shape == (4076, 2) and test.data.shape == (1725, 2)
    _assert_str_pairs(train.data)
    assert np.bincount(train.target).tolist() == [1323, 2753]
    assert np.bincount(test.target).tolist() == [578, 1147]
    # The BOM header is not an example, and quotes are text.
    assert tuple(train.ids[0]) == ("702876", "702977") and train.target[0] == 1
    assert train.data[0][0] == (
        'Amrozi accused his brother , whom he called " the witness " , of deliberately '
        "distorting his evidence ."
    )
    assert not any("#1 String" in s or "\ufeff" in s for s in mrpc.data.ravel())
    assert test.data[-1][0].startswith("Sobig.F spreads when unsuspecting computer users")
    assert test.target[-1] == 1


def test_mrpc_rejects_wrong_header(tmp_path):
    _write(tmp_path / "mrpc" / "msr_paraphrase_test.txt", b"1\t1\t2\ta\tb\n")
    with pytest.raises(ValueError, match="expected the header"):
        load_classification("mrpc", split="test", data_home=tmp_path)


def test_sicke(data_home):
    sick = load_classification("sicke", data_home=data_home)
    assert sick.target_names.tolist() == ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"]
    expected = {"train": [665, 2536, 1299], "trial": [74, 282, 144], "test": [720, 2793, 1414]}
    for split, counts in expected.items():
        assert np.bincount(sick.target[sick.split == split]).tolist() == counts
    assert sick.target.dtype == np.int64
    _assert_str_pairs(sick.data)


def test_classification_argument_errors(data_home):
    with pytest.raises(ValueError, match="no official split"):
        load_classification("mr", split="train", data_home=data_home)
    with pytest.raises(ValueError, match="unknown data set 'imdb'"):
        load_classification("imdb", data_home=data_home)
    with pytest.raises(ValueError, match="split='dev' is not valid for 'trec'"):
        load_classification("trec", split="dev", data_home=data_home)


# --------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, n, k",
    [("agnews_8000", 8000, 4), ("searchsnippets", 12340, 8), ("stackoverflow", 20000, 20)]
    + [("tweet", 2472, 89)],
)
def test_clustering_counts(data_home, name, n, k):
    ds = load_clustering(name, data_home=data_home)
    assert len(ds.data) == len(ds.target) == n
    assert len(ds.target_names) == len(np.unique(ds.target)) == k
    # Texts may hold a tab (one StackOverflow title does) but no line end or trailing tab.
    assert all(isinstance(t, str) and "\r" not in t and not t.endswith("\t") for t in ds.data)


def test_clustering_labels_and_texts(data_home):
    ag = load_clustering("agnews_8000", data_home=data_home)
    assert np.bincount(ag.target).tolist() == [2000] * 4
    assert ag.target_names[ag.target[0]] == "3"
    assert ag.data[-1].startswith("odd attack damages art berlin woman handsprings")
    snip = load_clustering("searchsnippets", data_home=data_home)
    assert np.bincount(snip.target).tolist() == [1500, 1500, 2210, 2660, 370, 1180, 1500, 1420]
    so = load_clustering("stackoverflow", data_home=data_home)  # label<TAB>text<TAB>
    assert so.data[0] == "How do I fill a DataSet or a DataTable from a LINQ query resultset ?"
    assert so.target_names[so.target[0]] == "18"
    assert so.data[-1] == "Magento : Call to a member function count() on a non-object"
    tweet = load_clustering("tweet", data_home=data_home)
    # Integer labels sort numerically; the labels of this file run 1, 10, 11, ...
    assert tweet.target_names[:3].tolist() == ["1", "10", "11"]
    assert [int(t) for t in tweet.target_names] == sorted(int(t) for t in tweet.target_names)
    assert tweet.data[0] == "brain fluid buildup delay giffords rehab"


def test_clustering_any_file(data_home, tmp_path):
    path = tmp_path / "mine.tsv"
    # U+2028 and a form feed are not line ends; "\r\n" is; the empty line is skipped.
    path.write_bytes("b\tone\u2028two\r\na\tthree\x0cfour\t\r\n\nb\tfive\n".encode())
    X, y = load_clustering(path, return_X_y=True)
    assert X.tolist() == ["one\u2028two", "three\x0cfour", "five"]
    ds = load_clustering(str(path))
    assert ds.target_names.tolist() == ["a", "b"] and y.tolist() == [1, 0, 1]
    with pytest.raises(FileNotFoundError, match="neither a known data set"):
        load_clustering(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="unknown data set 'tweets'"):
        load_clustering("tweets", data_home=data_home)
    path.write_bytes(b"no tab here\n")
    with pytest.raises(ValueError, match="line 1: expected 'label<TAB>text'"):
        load_clustering(path)


# --------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------

# wc -l, grep -c '^ *$' and grep -cE '^ = .* = $' on the release files.
WIKI_LINES = {"valid": (3760, 1299, 620), "test": (4358, 1467, 706)}


def test_wikitext_lines_without_headings_and_empty_lines(data_home):
    for split, (total, empty, headings) in WIKI_LINES.items():
        raw = (data_home / "wikitext103" / f"wiki.{split}.tokens").read_text("utf-8")
        assert raw.count("\n") == total
        texts = load_corpus(split=split, data_home=data_home)
        assert len(texts) == total - empty - headings  # 1841 and 2185
    both = load_corpus(data_home=data_home)
    assert len(both) == 1841 + 2185
    assert both[0].startswith("Homarus gammarus , known as the European lobster")
    assert not any(t.startswith("= ") and t.endswith(" =") for t in both)
    # A legend line that starts like a heading but is not one stays.
    assert "= Qualified for the next round" in both


def test_wikitext_sentences_and_limits(data_home):
    sentences = load_corpus(split="valid", data_home=data_home, sentence_split=True)
    assert sentences[:2] == [
        "Homarus gammarus , known as the European lobster or common lobster , is a species of "
        "clawed lobster from the eastern Atlantic Ocean , Mediterranean Sea and parts of the "
        "Black Sea .",
        "It is closely related to the American lobster , H. americanus .",
    ]
    assert len(sentences) > 1841
    assert (
        load_corpus(split="valid", data_home=data_home, sentence_split=True, max_sentences=5)
        == (sentences[:5])
    )
    long = load_corpus(split="valid", data_home=data_home, sentence_split=True, min_tokens=20)
    assert long and all(len(s.split()) >= 20 for s in long)
    assert len(long) < len(sentences)


def test_corpus_from_path(data_home, tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(" = Title = \n \n a b . c d ! e f ? g\n H. americanus is . x\n", "utf-8")
    assert load_corpus(path) == ["a b . c d ! e f ? g", "H. americanus is . x"]
    assert load_corpus(path, sentence_split=True) == [
        "a b .",
        "c d !",
        "e f ?",
        "g",
        "H. americanus is .",
        "x",
    ]
    assert load_corpus(path, sentence_split=True, min_tokens=4) == ["H. americanus is ."]
    with pytest.raises(ValueError, match="split='dev'"):
        load_corpus(split="dev", data_home=data_home)


# --------------------------------------------------------------------------------------
# data_home, DESCR and missing files
# --------------------------------------------------------------------------------------


def test_get_data_home(data_home, monkeypatch, tmp_path):
    assert get_data_home(tmp_path) == str(tmp_path)
    assert get_data_home() == os.path.join(os.path.expanduser("~"), "sentemb_data")
    monkeypatch.setenv("SKLEARN_SENTEMB_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert get_data_home(tmp_path) == str(tmp_path)
    monkeypatch.setenv("SKLEARN_SENTEMB_DATA", str(data_home))
    assert len(load_sts("sts13").data) == 1500


@pytest.mark.parametrize(
    "loader, name, kwargs",
    [
        (load_sts, "stsb", {"split": "dev"}),
        (load_sts, "sts14", {}),
        (load_sts, "sickr", {"split": "trial"}),
        (load_classification, "subj", {}),
        (load_classification, "mrpc", {"split": "test"}),
        (load_clustering, "tweet", {}),
    ],
)
def test_descr_names_source_size_licence_and_citation(data_home, loader, name, kwargs):
    ds = loader(name, data_home=data_home, **kwargs)
    for field in ("Source: http", "Size: ", "Licence: ", "Citation: ", "Loaded: "):
        assert field in ds.DESCR
    assert str(len(ds.data)) in ds.DESCR


def test_missing_file_message(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError) as err:
        load_sts("sts12", data_home=tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "sts12" / "STS.input.MSRpar.txt") in msg
    assert f"data_home {tmp_path}" in msg and "data_home parameter" in msg
    assert "https://www.cs.york.ac.uk/semeval-2012/task6/" in msg
    assert "download=True" in msg and "STS2012-en-test.zip" in msg

    monkeypatch.setenv("SKLEARN_SENTEMB_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        load_classification("trec", split="test")
    msg = str(err.value)
    assert str(tmp_path / "trec" / "TREC_10.label") in msg
    assert "SKLEARN_SENTEMB_DATA environment variable" in msg
    assert "https://cogcomp.seas.upenn.edu/Data/QA/QC/" in msg

    with pytest.raises(FileNotFoundError) as err:
        load_clustering("biomedical", data_home=tmp_path, download=True)
    msg = str(err.value)
    assert str(tmp_path / "biomedical" / "biomedical.tsv") in msg
    assert "https://github.com/jacoxu/STC2" in msg
    assert "not available" in msg and "download=True" not in msg

    with pytest.raises(FileNotFoundError, match="wiki.test.tokens"):
        load_corpus(split="test", data_home=tmp_path)


# --------------------------------------------------------------------------------------
# Downloads from a local mirror
# --------------------------------------------------------------------------------------


class _MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; /truncated/<file> announces the full length but sends half, and
    /nolength/<file> sends half without announcing a length."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        prefix, _, name = self.path.lstrip("/").partition("/")
        if prefix in ("truncated", "nolength"):
            body = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            if prefix == "truncated":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        super().do_GET()


def _tar_gz(path, members):
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.fixture(scope="module")
def mirror(data_home, tmp_path_factory):
    """Release files built from the shared data, served on 127.0.0.1."""
    srv = tmp_path_factory.mktemp("mirror")
    stsb = {
        f"stsbenchmark/{n}": (data_home / "stsb" / n).read_bytes()
        for n in ("sts-train.csv", "sts-dev.csv", "sts-test.csv", "LICENSE.txt", "readme.txt")
    }
    stsb["../escape.txt"] = b"must never be written"
    _tar_gz(srv / "Stsbenchmark.tar.gz", stsb)
    shutil.copyfile(data_home / "tweet" / "tweet.tsv", srv / "tweet-original-order.txt")
    (srv / "tampered").mkdir()
    tampered = (data_home / "tweet" / "tweet.tsv").read_bytes().replace(b"rehab", b"REHAB", 1)
    (srv / "tampered" / "tweet-original-order.txt").write_bytes(tampered)
    _zip(
        srv / "wikitext-103-v1.zip",
        {
            f"wikitext-103/wiki.{s}.tokens": (
                data_home / "wikitext103" / f"wiki.{s}.tokens"
            ).read_bytes()
            for s in ("valid", "test")
        },
    )
    for split in ("train", "trial"):  # sick_test_annotated.zip is left out: a 404
        name = f"SICK_{split}.txt"
        members = {name: (data_home / "sick" / name).read_bytes()}
        if split == "train":
            members["readme.txt"] = (data_home / "sick" / "readme.txt").read_bytes()
        _zip(srv / f"sick_{split}.zip", members)
    handler = functools.partial(_MirrorHandler, directory=str(srv))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _files_under(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*"))


def test_download_table_is_consistent():
    for folder, remotes in DOWNLOADS.items():
        assert card(folder)
        for remote in remotes:
            assert remote.url.startswith(("http://", "https://"))
            assert remote.files
            for member, target in remote.files.items():
                assert _download._safe_relpath(member) == member
                assert target.startswith(f"{folder}/") and ".." not in target
            if _download._archive_kind(remote.url) is None:
                assert list(remote.files) == [_download._basename(remote.url)]


def test_download_stsb_from_mirror_via_environment(data_home, tmp_path, mirror, monkeypatch):
    # The archive is rebuilt here, so it cannot match the official archive's checksum.
    (remote,) = DOWNLOADS["stsb"]
    monkeypatch.setitem(DOWNLOADS, "stsb", (remote._replace(checksum=None),))
    monkeypatch.setenv("SKLEARN_SENTEMB_DOWNLOAD_URL", mirror)
    home = tmp_path / "home"
    sts = load_sts("stsb", split="train", data_home=home, download=True)
    assert sts.data.shape == (5749, 2)
    assert _files_under(home) == [
        "stsb",
        "stsb/LICENSE.txt",
        "stsb/readme.txt",
        "stsb/sts-dev.csv",
        "stsb/sts-test.csv",
        "stsb/sts-train.csv",
    ]
    assert (home / "stsb" / "sts-test.csv").read_bytes() == (
        data_home / "stsb" / "sts-test.csv"
    ).read_bytes()
    # The archive's '../escape.txt' member was never written anywhere.
    assert not (tmp_path / "escape.txt").exists() and not (home / "escape.txt").exists()
    # Present files are not downloaded again (this URL would refuse the connection).
    assert fetch_dataset("stsb", data_home=home, base_url="http://127.0.0.1:9") == []


def test_download_checksum_mismatch_leaves_nothing(tmp_path, mirror):
    with pytest.raises(OSError, match="md5 checksum .* does not match"):
        fetch_dataset("stsb", data_home=tmp_path, base_url=mirror)
    assert _files_under(tmp_path) == []
    with pytest.raises(OSError, match="sha256 checksum"):
        fetch_dataset("tweet", data_home=tmp_path, base_url=f"{mirror}/tampered")
    assert _files_under(tmp_path) == []


def test_download_verifies_real_checksum(tmp_path, mirror):
    placed = fetch_dataset("tweet", data_home=tmp_path, base_url=mirror, timeout=10)
    assert placed == [str(tmp_path / "tweet" / "tweet.tsv")]
    tweet = load_clustering("tweet", data_home=tmp_path)
    assert len(tweet.data) == 2472 and len(tweet.target_names) == 89
    again = fetch_dataset("tweet", data_home=tmp_path, base_url=mirror, force=True)
    assert again == placed and _files_under(tmp_path) == ["tweet", "tweet/tweet.tsv"]


def test_download_extracted_file_checksums(tmp_path, mirror, monkeypatch):
    (remote,) = DOWNLOADS["wikitext103"]
    files = {m: t for m, t in remote.files.items() if "train" not in m}
    monkeypatch.setitem(DOWNLOADS, "wikitext103", (remote._replace(files=files),))
    monkeypatch.setenv("SKLEARN_SENTEMB_DOWNLOAD_URL", mirror)
    texts = load_corpus(data_home=tmp_path, download=True)
    assert len(texts) == 1841 + 2185
    # A wrong checksum for an extracted file fails the whole download.
    bad = dict(remote.file_checksums, **{"wikitext103/wiki.test.tokens": "sha1:" + "0" * 40})
    monkeypatch.setitem(
        DOWNLOADS, "wikitext103", (remote._replace(files=files, file_checksums=bad),)
    )
    with pytest.raises(OSError, match="wiki.test.tokens .* sha1 checksum"):
        fetch_dataset("wikitext103", data_home=tmp_path / "other", base_url=mirror)
    assert _files_under(tmp_path / "other") == []


def test_download_missing_archive_member(tmp_path, mirror):
    with pytest.raises(
        OSError, match="does not contain the expected file 'wikitext-103/wiki.train"
    ):
        fetch_dataset("wikitext103", data_home=tmp_path, base_url=mirror)
    assert _files_under(tmp_path) == []


def test_download_404_is_all_or_nothing(tmp_path, mirror):
    # sick_train.zip and sick_trial.zip download fine; sick_test_annotated.zip is a 404.
    with pytest.raises(OSError, match="HTTP 404"):
        fetch_dataset("sickr", data_home=tmp_path, base_url=mirror)
    assert _files_under(tmp_path) == []
    with pytest.raises(OSError, match="HTTP 404"):
        fetch_dataset("sts12", data_home=tmp_path, base_url=mirror)
    assert _files_under(tmp_path) == []


def test_download_truncated(tmp_path, mirror, monkeypatch):
    # Without a checksum to fall back on, the announced length catches the short body.
    (remote,) = DOWNLOADS["stsb"]
    monkeypatch.setitem(DOWNLOADS, "stsb", (remote._replace(checksum=None),))
    with pytest.raises(OSError, match=r"received \d+ of \d+ bytes"):
        fetch_dataset("stsb", data_home=tmp_path, base_url=f"{mirror}/truncated")
    assert _files_under(tmp_path) == []
    with pytest.raises(OSError, match=r"received \d+ of \d+ bytes"):
        fetch_dataset("tweet", data_home=tmp_path, base_url=f"{mirror}/truncated")
    assert _files_under(tmp_path) == []
    # Without a length either, the broken archive fails extraction.
    with pytest.raises(OSError, match="not a valid tar archive"):
        fetch_dataset("stsb", data_home=tmp_path, base_url=f"{mirror}/nolength")
    assert _files_under(tmp_path) == []


def test_download_interrupted(tmp_path, mirror, monkeypatch):
    class Interrupting:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    monkeypatch.setattr(_download, "tqdm", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        fetch_dataset("tweet", data_home=tmp_path, base_url=mirror)
    assert _files_under(tmp_path) == []


def test_download_refuses_unsafe_targets_and_bundled(tmp_path, mirror, monkeypatch):
    (remote,) = DOWNLOADS["tweet"]
    evil = remote._replace(files={"tweet-original-order.txt": "../evil.tsv"})
    monkeypatch.setitem(DOWNLOADS, "tweet", (evil,))
    with pytest.raises(ValueError, match="unsafe path '../evil.tsv'"):
        fetch_dataset("tweet", data_home=tmp_path / "home", base_url=mirror)
    assert not (tmp_path / "evil.tsv").exists()
    with pytest.raises(ValueError, match="bundled"):
        fetch_dataset("stsb", data_home="bundled")
    with pytest.raises(ValueError, match="no download for 'biomedical'"):
        fetch_dataset("biomedical", data_home=tmp_path)
