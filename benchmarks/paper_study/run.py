"""The study's driver: selection, evaluation and the outputs, and its command line."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from sklearn_sentemb import set_memory_cache_limit
from sklearn_sentemb.datasets import get_data_home, load_sts
from sklearn_sentemb.evaluation import TASKS

from .capping import build_capped_data_home, choose
from .evaluation import Evaluator, data_sizes, dev_overlap, headline, prepare
from .families import Context, build_family, describe_config
from .plot import plot
from .report import Report, write_markdown
from .selection import select
from .settings import FAMILY_INFO, TASK_ORDER, StudySettings, default_l3_model
from .tables import (
    averages,
    evaluation_rows,
    isotropy_rows,
    runtime_rows,
    selection_rows,
)

__all__ = ["add_arguments", "main", "run", "run_study"]

#: Environment the entry point sets for the run (when not already set), then restores.
_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",  # every model is installed locally
    "TOKENIZERS_PARALLELISM": "false",
}
#: Warnings of the classification and refiner steps that are expected on the capped tasks.
_IGNORED_WARNINGS = (
    {"category": ConvergenceWarning},
    {"message": "n_quantiles .* is greater than the total number"},
    {"message": "The least populated class in y has only"},
)


class _Log:
    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream if stream is not None else sys.stdout

    def __call__(self, message: str) -> None:
        elapsed = time.perf_counter() - self.start
        print(f"[{elapsed / 60:6.2f} min] {message}", file=self.stream, flush=True)


def _resolve(settings: StudySettings, data_home: str) -> StudySettings:
    """Check the settings and the data home; fill in the default L3 model folder."""
    if not os.path.isdir(data_home):
        raise ValueError(f"run_study: the data home {data_home} is not a folder.")
    unknown = [f for f in settings.families if f not in FAMILY_INFO]
    if unknown:
        raise ValueError(f"unknown model families {unknown}; choose from {list(FAMILY_INFO)}.")
    bad = [t for t in settings.tasks or () if t not in TASKS]
    if bad:
        raise ValueError(f"unknown tasks {bad}; choose from {list(TASKS)}.")
    if settings.l3_model is None:
        l3 = default_l3_model(data_home)
        if "l3" in settings.families and not l3.is_dir():
            raise ValueError(
                f"run_study: paraphrase-MiniLM-L3-v2 is not in {l3} (beside the data home); "
                "give its folder with --l3-model (StudySettings.l3_model)."
            )
        settings = dataclasses.replace(settings, l3_model=str(l3))
    return settings


def run_study(
    data_home=None, output_dir="study_output", settings: StudySettings | None = None, log=None
) -> pd.DataFrame:
    """Run the selection and the evaluation, and write results.md, .csv and .png.

    Parameters
    ----------
    data_home : str or path, optional
        The evaluation data (default: ``$SKLEARN_SENTEMB_DATA``, else ``~/sentemb_data``).
    output_dir : str or path, default="study_output"
        Where results.md, results.csv and results.png go (created if needed).
    settings : StudySettings, optional
        Caps, grids' size and models (default: the full study).
    log : callable, optional
        Called with each progress message (default: timestamped lines on stdout).

    Returns
    -------
    table : pandas.DataFrame
        The tidy frame of every number (what ``results.csv`` holds).

    Notes
    -----
    Process-wide settings (warning filters, environment, the in-memory cache bound
    ``settings.cache_bytes``) are left to the caller; :func:`main` sets them for the run.
    """
    log = log or _Log()
    start = time.perf_counter()
    phases: dict[str, float] = {}
    data_home = get_data_home(data_home)
    settings = _resolve(settings or StudySettings(), data_home)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    keys = [k for k in FAMILY_INFO if k in settings.families]
    tasks = list(settings.tasks) if settings.tasks is not None else list(TASKS)
    order = [t for t in TASK_ORDER if t in tasks]
    log(f"study ({'quick' if settings.quick else 'full'}): families {keys}; data {data_home}")

    with tempfile.TemporaryDirectory(prefix="sentemb-study-") as tmp:
        capped = Path(tmp) / "data"
        capped.mkdir()
        build_capped_data_home(data_home, capped, settings)
        data_counts = data_sizes(capped, order)

        dev = load_sts("stsb", split="dev", data_home=data_home)
        keep = choose(len(dev.target), settings.dev_pairs, "stsb-dev", settings.seed)
        dev_pairs, dev_gold = dev.data[keep], dev.target[keep]
        overlap = dev_overlap(dev_pairs, data_home)

        ctx = Context(settings, data_home, log)
        with _phase(phases, "setup (models, Avg. table)"):
            families = [build_family(k, ctx) for k in keys]
        with _phase(phases, "selection on STS-B dev"):
            for family in families:
                select(family, dev_pairs, dev_gold, settings, log)
        configs = _configs(families)
        with _phase(phases, "evaluation"):
            evaluator = _evaluate(families, order, settings, capped, log)

    extra = {
        "data_counts": data_counts,
        "dev_n": len(dev_pairs),
        "overlap": overlap,
        "phases": phases,
    }
    outputs = (families, evaluator, configs, order)
    return _write_outputs(output_dir, outputs, settings, extra, start, log)


@contextlib.contextmanager
def _phase(phases: dict, name: str):
    """Time the block as the phase ``name`` of the run."""
    t0 = time.perf_counter()
    yield
    phases[name] = time.perf_counter() - t0


def _configs(families) -> dict:
    """Each family's baseline and best configuration, in words."""
    configs = {}
    for family in families:
        configs[(family.key, "baseline")] = describe_config(family, family.baseline)
        configs[(family.key, "best")] = describe_config(family, family.selection["pipeline"])
    return configs


def _evaluate(families, order, settings, capped, log) -> Evaluator:
    """Every family's baseline and best on each task of ``order``, task by task."""
    prepared = {family.key: prepare(family, log) for family in families}
    evaluator = Evaluator(settings, capped, log)
    for task in order:
        t1 = time.perf_counter()
        evaluator.run_task(task, families, prepared)
        log(f"evaluated {task} for {len(families)} families in {time.perf_counter() - t1:.0f} s")
    return evaluator


def _write_outputs(output_dir, outputs, settings, extra, start, log):
    """The tidy table, the report and the figure: results.csv, results.md, results.png.

    ``outputs`` holds the families, the evaluator, their configurations in words and the
    tasks asked for, in table order."""
    families, evaluator, configs, order = outputs
    dev_n = extra["dev_n"]
    evaluation = evaluation_rows(evaluator.frames, configs)
    means = averages(evaluation)
    selection = selection_rows(families, configs, dev_n, settings.search_cv)
    isotropy = isotropy_rows(evaluator.isotropy, configs)
    table = pd.concat([selection, evaluation, means, isotropy], ignore_index=True)
    evaluated = set(evaluation.task)
    head = headline(evaluation.rename(columns={"task_family": "family"})).rename(
        columns={"family": "task_family"}
    )
    report = Report(
        head,
        means,
        families,
        settings,
        {
            "configs": configs,
            "selection": {f.key: f.selection for f in families},
            "isotropy": isotropy,
        },
    )
    plot(output_dir / "results.png", families, report)
    wall_s = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    extra = {
        **extra,
        "skipped": [t for t in order if t not in evaluated],
        "wall_s": wall_s,
        "peak_gib": peak_gib,
    }
    table = pd.concat([table, runtime_rows(wall_s, peak_gib)], ignore_index=True)
    table["n"] = table["n"].astype("Int64")
    table.to_csv(output_dir / "results.csv", index=False, float_format="%.4f")
    write_markdown(output_dir / "results.md", families, report, isotropy, settings, extra)
    log(
        f"done: wall time {wall_s / 60:.1f} min, peak memory {peak_gib:.2f} GiB; wrote "
        f"{output_dir / 'results.md'}, {output_dir / 'results.csv'}, {output_dir / 'results.png'}"
    )
    return table


@contextlib.contextmanager
def _run_environment(settings: StudySettings):
    """Environment variables and warning filters for one run, restored afterwards; the
    in-memory cache bound is set for the process (the library has no getter to restore)."""
    saved = {name: os.environ.get(name) for name in _ENVIRONMENT}
    for name, value in _ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        with warnings.catch_warnings():
            for spec in _IGNORED_WARNINGS:
                warnings.filterwarnings("ignore", **spec)
            set_memory_cache_limit(settings.cache_bytes)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the study's options to ``parser``."""
    parser.add_argument(
        "--data-home",
        default=None,
        help="folder of the data sets (default: $SKLEARN_SENTEMB_DATA or ~/sentemb_data)",
    )
    parser.add_argument(
        "--output-dir",
        default="study_output",
        help="where results.md/.csv/.png go (default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="subsampled tasks, tiny grids and corpora (a few minutes)",
    )
    parser.add_argument(
        "--families",
        nargs="+",
        choices=list(FAMILY_INFO),
        help="model families to run (default: all)",
    )
    parser.add_argument("--tasks", nargs="+", help="tasks to evaluate (default: all present)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every sample, fold and k-means"
    )
    parser.add_argument("--clustering-texts", type=int, help="texts per clustering task")
    parser.add_argument(
        "--classification-examples", type=int, help="examples per classification split"
    )
    parser.add_argument("--wiki-sentences", type=int, help="WikiText sentences for corpus fits")
    parser.add_argument("--avg-sentences", type=int, help="WikiText sentences for Avg. (0: all)")
    parser.add_argument(
        "--l3-model",
        help="folder of paraphrase-MiniLM-L3-v2 "
        "(default: models/paraphrase-MiniLM-L3-v2 beside the data home)",
    )
    parser.add_argument(
        "--cache-gib", type=float, help="in-memory hidden-state cache bound (default 4)"
    )
    return parser


def run(args) -> int:
    """Run the study from parsed arguments (see :func:`add_arguments`)."""
    overrides = {"seed": args.seed}
    for name in ("clustering_texts", "classification_examples", "wiki_sentences"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.avg_sentences is not None:
        overrides["avg_sentences"] = args.avg_sentences or None
    if args.families:
        overrides["families"] = tuple(args.families)
    if args.tasks:
        overrides["tasks"] = tuple(args.tasks)
    if args.l3_model:
        overrides["l3_model"] = args.l3_model
    if args.cache_gib:
        overrides["cache_bytes"] = int(args.cache_gib * 2**30)
    settings = (
        StudySettings.quick_settings(**overrides) if args.quick else StudySettings(**overrides)
    )
    with _run_environment(settings):
        run_study(args.data_home, args.output_dir, settings)
    return 0


def main(argv=None) -> int:
    """The command line: ``python -m benchmarks.paper_study [options]``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.paper_study",
        description="Rerun the paper's comparison: plain mean pooling vs the best extraction "
        "found on STS-B dev, per model family, on STS, clustering and classification.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
