"""The `sentemb` console script, run for real in a subprocess."""

import json
import os
import shutil
import subprocess
import sys

import joblib
import numpy as np
import pytest


def sentemb(*args, stdin=None, cwd=None):
    # The console script pip installed beside this interpreter (a shim on PATH may not
    # exist yet on a fresh machine).
    exe = shutil.which("sentemb", path=os.path.dirname(sys.executable)) or shutil.which("sentemb")
    assert exe is not None, "the console script is installed with the package"
    return subprocess.run(
        [exe, *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={
            "HF_HUB_OFFLINE": "1",
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd or "/tmp"),
            "PYTHONPATH": ":".join(sys.path),
        },
        timeout=600,
    )


@pytest.fixture(scope="module")
def search_run(tiny_bert, tmp_path_factory):
    out = tmp_path_factory.mktemp("search")
    grid = out / "grid.json"
    grid.write_text(json.dumps({"tokens__layers": [-1, [0, -1]], "refine": ["none", "zscore"]}))
    proc = sentemb(
        "search",
        "--model",
        tiny_bert,
        "--grid",
        grid,
        "--max-pairs",
        40,
        "--data-home",
        "bundled",
        "--output-dir",
        out / "result",
        "--quiet",
        cwd=out,
    )
    return proc, out / "result"


def test_search_writes_pipeline_csv_and_png(search_run):
    proc, result = search_run
    assert proc.returncode == 0, proc.stderr
    assert "Best on stsb dev" in proc.stdout
    pipeline = joblib.load(result / "best_pipeline.joblib")
    emb = pipeline.transform(["a sentence", "another one"])
    assert emb.shape == (2, 32)
    lines = (result / "results.csv").read_text().splitlines()
    assert lines[0].split(",")[:1] == ["rank"] and len(lines) == 1 + 4
    assert (result / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_embed_equals_pipeline_transform(search_run, tmp_path):
    _, result = search_run
    texts = ["first line of text", "second, longer line of text here", "third"]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    proc = sentemb(
        "embed",
        result / "best_pipeline.joblib",
        tmp_path / "in.txt",
        "-o",
        tmp_path / "out.npy",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    expected = joblib.load(result / "best_pipeline.joblib").transform(texts)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-6)
    proc = sentemb(
        "embed",
        result / "best_pipeline.joblib",
        "-",
        "-o",
        tmp_path / "stdin.npy",
        stdin="\n".join(texts),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(np.load(tmp_path / "stdin.npy"), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--task", "sts12"], "--task must have a dev split"),
        (["search", "--grid", "no-such-grid"], "neither a named grid"),
        (["search", "--cv", "many"], "invalid int value"),
        (
            ["embed", "missing.joblib", "-", "-o", "x.npy"],
            "pipeline file missing.joblib does not exist",
        ),
        (["frobnicate"], "invalid choice"),
        (["search", "--task", "sickr", "--data-home", "{empty}"], "SICK_trial.txt"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path):
    args = [a.replace("{empty}", str(tmp_path)) for a in args]
    proc = sentemb(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_evaluate_saved_pipeline_writes_table_and_csv(search_run, tmp_path):
    import pandas as pd
    import scipy.stats

    from conftest import read_stsb

    _, result = search_run
    proc = sentemb(
        "evaluate",
        result / "best_pipeline.joblib",
        "--tasks",
        "stsb",
        "--data-home",
        "bundled",
        "--output",
        tmp_path / "eval.csv",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "STS-B" in proc.stdout
    table = pd.read_csv(tmp_path / "eval.csv")
    row = table[(table.task == "stsb") & (table.metric == "spearman")].iloc[0]
    assert row.fit_on == "none"  # a saved pipeline is used as fitted
    pairs, gold = read_stsb("test")
    emb = joblib.load(result / "best_pipeline.joblib").transform(pairs)
    a, b = emb[0::2], emb[1::2]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert row.score == pytest.approx(scipy.stats.spearmanr(cos, gold).statistic, abs=1e-6)
