"""The `sentemb` console script: run for real in a subprocess, and in-process through `main`."""

import json
import os
import re
import shutil
import subprocess
import sys

import joblib
import numpy as np
import pytest

from sklearn_sentemb.cli import main


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


# -- in-process: sklearn_sentemb.cli.main(argv) -------------------------------------------


def run_main(argv, capsys):
    """``main(argv)``'s exit code (argparse's SystemExit too), stdout and stderr."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_the_package_version(capsys):
    import sklearn_sentemb

    assert run_main(["--version"], capsys) == (0, f"sentemb {sklearn_sentemb.__version__}\n", "")


def test_evaluate_help_lists_every_task_and_family(capsys):
    from sklearn_sentemb.evaluation import FAMILIES, TASKS

    code, out, _ = run_main(["evaluate", "--help"], capsys)
    assert code == 0
    words = set(re.findall(r"[\w-]+", out.split("\n  --tasks", 1)[1].split("\n  --fit-on")[0]))
    assert set(TASKS) | set(FAMILIES) | {"all"} <= words


def mean_layers_by_hand(model_path, texts, layers):
    """Mean over the text tokens (no [CLS]/[SEP]) of the chosen hidden states, averaged."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModel.from_pretrained(model_path).eval()
    rows = []
    for text in texts:
        batch = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            states = model(**batch, output_hidden_states=True).hidden_states
        tokens = torch.stack([states[k][0] for k in layers]).mean(0)[1:-1]
        rows.append(tokens.mean(0).numpy())
    return np.array(rows)


def printed_matrix(out):
    rows = re.findall(r"^\[\d+\]((?:\s+-?\d\.\d{3})+)$", out, flags=re.MULTILINE)
    return np.array([[float(x) for x in row.split()] for row in rows])


def test_similarity_layers_option_leaves_the_sentences_alone(tiny_bert, capsys):
    texts = ["a cat sits on the mat", "a dog runs in the park", "stocks fell sharply"]
    argv = ["similarity", "--model", tiny_bert, "--layers", "1", "--layers", "-1", *texts]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "layers [1, -1]" in out
    for i, text in enumerate(texts):
        assert f"[{i}] {text}\n" in out
    X = mean_layers_by_hand(tiny_bert, texts, [1, 4])  # the tiny BERT has 4 layers
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(printed_matrix(out), X @ X.T, atol=6e-4)

    # One layer before the sentences: it is a layer, the rest are sentences.
    code, out, err = run_main(
        ["similarity", "--model", tiny_bert, "--layers", "0", "a", "b"], capsys
    )
    assert code == 0, err
    assert printed_matrix(out).shape == (2, 2) and "layers [0]" in out


@pytest.fixture
def bf16_batches(tiny_bert):
    """Sizes of the forward batches the tiny BERT loaded in bfloat16 on the CPU runs."""
    from sklearn_sentemb import clear_memory_cache
    from sklearn_sentemb._models import load_model

    clear_memory_cache()
    model = load_model(tiny_bert, "cpu", "bfloat16").model
    sizes = []
    handle = model.register_forward_pre_hook(
        lambda module, args, kwargs: sizes.append(kwargs["input_ids"].shape[0]), with_kwargs=True
    )
    yield sizes
    handle.remove()
    clear_memory_cache()


RUN_OPTIONS = ["--batch-size", "2", "--device", "cpu", "--dtype", "bfloat16"]


def test_similarity_runs_the_model_as_the_options_say(tiny_bert, bf16_batches, capsys):
    texts = ["one", "two words", "three words here", "four words right here", "five"]
    code, _, err = run_main(["similarity", "--model", tiny_bert, *RUN_OPTIONS, *texts], capsys)
    assert code == 0, err
    assert sorted(bf16_batches) == [1, 2, 2]  # 5 texts, 2 per batch, on the bfloat16 model


def test_embed_gives_the_options_to_every_featurizer(tiny_bert, bf16_batches, tmp_path, capsys):
    from sklearn.pipeline import Pipeline

    from sklearn_sentemb import TokenMixer, TokenPooler, TransformerFeaturizer

    def mixed(**options):
        # TokenMixer runs fitted clones of its featurizers (first_, second_): both must change.
        mixer = TokenMixer(
            TransformerFeaturizer(tiny_bert, cache=False, **options),
            TransformerFeaturizer(tiny_bert, layers=0, cache=False, **options),
        )
        return Pipeline([("tokens", mixer), ("pool", TokenPooler())]).fit(["a text"])

    joblib.dump(mixed(), tmp_path / "p.joblib")
    texts = ["one", "two words", "three words here", "four words right here", "five"]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    argv = ["embed", tmp_path / "p.joblib", tmp_path / "in.txt", "-o", tmp_path / "o.npy"]
    code, _, err = run_main([*argv, *RUN_OPTIONS], capsys)
    assert code == 0, err
    assert sorted(bf16_batches) == [1, 1, 2, 2, 2, 2]  # both featurizers, 2 texts per batch
    expected = mixed(batch_size=2, device="cpu", dtype="bfloat16").transform(texts)
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), expected)


def test_search_gives_the_options_to_its_featurizer(tiny_bert, bf16_batches, tmp_path, capsys):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"refine": ["none"]}))
    argv = ["search", "--model", tiny_bert, "--grid", grid, "--max-pairs", 6, "--cv", 2]
    argv += ["--data-home", "bundled", "--output-dir", tmp_path / "out", "--quiet", *RUN_OPTIONS]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert bf16_batches and max(bf16_batches) == 2
    best = joblib.load(tmp_path / "out" / "best_pipeline.joblib")
    assert best["tokens"].get_params()["batch_size"] == 2
    assert best["tokens"].get_params()["dtype"] == "bfloat16"


def test_embed_runs_the_onnx_backend_when_asked(tiny_bert, tmp_path, capsys):
    from sklearn.pipeline import make_pipeline

    from sklearn_sentemb import TokenPooler, TransformerFeaturizer

    texts = ["one", "two words", "three words here"]
    pipe = make_pipeline(TransformerFeaturizer(tiny_bert, cache=False), TokenPooler()).fit(texts)
    joblib.dump(pipe, tmp_path / "p.joblib")
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    argv = ["embed", tmp_path / "p.joblib", tmp_path / "in.txt", "-o", tmp_path / "o.npy"]
    code, _, err = run_main([*argv, "--backend", "onnx", "--quantize", "int8"], capsys)
    assert code == 0, err
    onnx = pipe.set_params(transformerfeaturizer__backend="onnx")
    expected = onnx.set_params(transformerfeaturizer__quantize="int8").transform(texts)
    np.testing.assert_allclose(np.load(tmp_path / "o.npy"), expected, atol=1e-6)
    torch_out = pipe.set_params(
        transformerfeaturizer__backend="torch", transformerfeaturizer__quantize=None
    ).transform(texts)
    assert not np.allclose(np.load(tmp_path / "o.npy"), torch_out, atol=1e-6)  # int8 ran


def test_default_model_is_written_once():
    import ast
    import inspect
    from pathlib import Path

    import sklearn_sentemb
    from sklearn_sentemb import TransformerFeaturizer
    from sklearn_sentemb._models import DEFAULT_MODEL
    from sklearn_sentemb.cli import build_parser
    from sklearn_sentemb.recipes import make_recipe

    parser = build_parser()
    for argv in (["search"], ["evaluate"], ["similarity"]):
        assert parser.parse_args(argv).model == DEFAULT_MODEL
    assert inspect.signature(make_recipe).parameters["model"].default == DEFAULT_MODEL
    assert TransformerFeaturizer().model == DEFAULT_MODEL
    package = Path(sklearn_sentemb.__file__).parent
    spelled = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        spelled += [
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "all-MiniLM-L6-v2" in node.value
            and id(node) not in docstrings
        ]
    assert spelled == ["_models.py"]


def test_plot_heatmap_leaves_the_matplotlib_backend_alone(tmp_path):
    script = f"""
import sys
import matplotlib
matplotlib.use("svg")
from sklearn_sentemb.search import plot_heatmap
table = [
    dict(rank=1, tokens__layers="-1", refine="none", dev_spearman=0.8, dev_std=0.01),
    dict(rank=2, tokens__layers="[1, -1]", refine="none", dev_spearman=0.7, dev_std=0.02),
]
plot_heatmap(table, {str(tmp_path / "h.png")!r}, "a title")
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert "matplotlib.pyplot" not in sys.modules
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import matplotlib.image

    image = matplotlib.image.imread(tmp_path / "h.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


@pytest.fixture
def static_pipeline(tiny_bert, tmp_path):
    from sklearn.pipeline import make_pipeline

    from sklearn_sentemb import RandomTokenEmbeddings, TokenPooler

    pipe = make_pipeline(RandomTokenEmbeddings(tiny_bert, dim=8), TokenPooler("mean")).fit([])
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    return pipe, path


@pytest.mark.parametrize("suffix", [".npy", ".parquet"])
def test_embed_streams_a_file_chunk_by_chunk(
    static_pipeline, tmp_path, monkeypatch, capsys, suffix
):
    from sklearn_sentemb import _tokens

    pipe, path = static_pipeline
    texts = [f"line number {i} of a long file" for i in range(23)]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(texts) + "\n", encoding="utf-8")
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 5)  # five chunks of lines, the last of three
    out = tmp_path / f"vectors{suffix}"
    code, _, err = run_main(["embed", path, corpus, "-o", out, "--quiet"], capsys)
    assert code == 0, err
    assert err.strip() == f"Wrote 23 x 8 embeddings to {out}"
    if suffix == ".npy":
        got = np.load(out)
    else:
        import pyarrow.parquet as pq

        got = np.stack(pq.read_table(out).column("embedding").to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(got, pipe.transform(texts))
    assert not list(tmp_path.glob("*.partial"))


def test_embed_names_the_bad_line_of_a_later_chunk_and_leaves_no_output(
    static_pipeline, tmp_path, monkeypatch, capsys
):
    from sklearn_sentemb import _tokens

    _, path = static_pipeline
    lines = [f"text {i}" for i in range(12)]
    lines[8] = "   "  # line 9
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_tokens, "CHUNK_SIZE", 4)
    out = tmp_path / "vectors.npy"
    code, _, err = run_main(["embed", path, corpus, "-o", out], capsys)
    assert code == 2
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith(f"input file {corpus}, line 9 is empty; give one text per line.")
    )
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
