"""``sentemb export`` and ``sentemb distill``: the written folders load in model2vec and
sentence-transformers and embed as the pipeline does."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler, Whitening
from sklearn_sentemb.cli import main

pytest.importorskip("model2vec")

TEXTS = ["A man is playing a guitar.", "A woman slices an onion.", "Dogs run.", "It rains."]


@pytest.mark.parametrize("fmt", ["model2vec", "sentence-transformers"])
def test_cli_export_writes_a_loadable_folder(fmt, tiny_bert, stsb_sentences, tmp_path, capsys):
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer

    pipe = make_pipeline(RandomTokenEmbeddings(tiny_bert, dim=8), TokenPooler(), Whitening())
    expected = pipe.fit(stsb_sentences[:200]).transform(TEXTS)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    out = tmp_path / "out"
    assert main(["export", str(tmp_path / "pipe.joblib"), str(out), "--format", fmt]) == 0
    assert f"Wrote the {fmt} model" in capsys.readouterr().out
    if fmt == "model2vec":
        got = StaticModel.from_pretrained(out).encode(TEXTS)
    else:
        got = SentenceTransformer(str(out), device="cpu").encode(TEXTS)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_cli_export_names_the_step_that_cannot_fold(tiny_bert, tmp_path, capsys):
    pipe = make_pipeline(RandomTokenEmbeddings(tiny_bert, dim=8), TokenPooler("max")).fit(TEXTS)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    code = main(["export", str(tmp_path / "pipe.joblib"), str(tmp_path), "--format", "model2vec"])
    assert code == 2
    assert "to_model2vec: cannot fold TokenPooler(method='max')" in capsys.readouterr().err


def test_cli_distill_exports_the_best_static_pipeline(tiny_bert, tmp_path, capsys):
    from model2vec import StaticModel

    from sklearn_sentemb.datasets import load_sts
    from sklearn_sentemb.metrics import sts_score

    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        "\n".join(f"{t} Number {i} of the corpus ." for i, t in enumerate(TEXTS * 20)) + "\n"
    )
    out = tmp_path / "distilled"
    argv = ["distill", "--model", tiny_bert, "--corpus", str(corpus), "--corpus-size", "60"]
    argv += ["--featurizers", "input", "random", "--output-dir", str(out), "--no-compare"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    model = StaticModel.from_pretrained(out)
    test = load_sts("stsb", split="test")
    vectors = model.encode(list(test.data.ravel()))
    score = 100 * sts_score(vectors[0::2], vectors[1::2], test.target)
    assert f"STS-B test {score:6.2f}" in printed
    assert "Best on STS-B dev: " in printed
