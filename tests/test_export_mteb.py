"""to_mteb: a fitted pipeline runs in mteb on a task built from local data (no download)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import InputTokenEmbeddings, TokenPooler
from sklearn_sentemb.export import to_mteb

from conftest import read_stsb

mteb = pytest.importorskip("mteb")


def _local_sts_task(pairs, gold):
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.sts import AbsTaskSTS
    from mteb.abstasks.task_metadata import TaskMetadata

    class LocalSTSB(AbsTaskSTS):
        metadata = TaskMetadata(
            name="LocalSTSB",
            type="STS",
            description="STS-B test pairs read from the files bundled with sklearn-sentemb.",
            reference="https://ixa2.si.ehu.eus/stswiki",
            dataset={"path": "NA", "revision": "NA"},
            category="t2t",
            eval_splits=["test"],
            eval_langs=["eng-Latn"],
            main_score="cosine_spearman",
            date=("2017-01-01", "2017-12-31"),
            dialect=["Written"],
            domains=[],
            task_subtypes=[],
            license="cc-by-sa-4.0",
            annotations_creators="human-annotated",
            modalities=["text"],
            sample_creation="found",
            bibtex_citation="",
        )
        min_score = 0
        max_score = 5

        def load_data(self, num_proc=None, **kwargs):
            columns = {"sentence1": pairs[:, 0], "sentence2": pairs[:, 1], "score": gold}
            self.dataset = DatasetDict({"test": Dataset.from_dict(columns)})
            self.data_loaded = True

    return LocalSTSB()


def test_to_mteb_scores_a_pipeline_on_a_local_sts_task(minilm_path, tmp_path):
    pairs, gold = read_stsb("test", limit=200)
    pipe = make_pipeline(InputTokenEmbeddings(minilm_path), TokenPooler("mean")).fit(["a"])
    result = mteb.evaluate(
        to_mteb(pipe, name="sklearn-sentemb/input-mean"),
        _local_sts_task(pairs, gold),
        cache=None,
        show_progress_bar=False,
    )
    score = result.task_results[0].scores["test"][0]["cosine_spearman"]
    a, b = pipe.transform(list(pairs[:, 0])), pipe.transform(list(pairs[:, 1]))
    cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert score == pytest.approx(spearmanr(cosine, gold).statistic, abs=1e-6)
