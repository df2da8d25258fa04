"""The study's evaluator: the baseline and the selected pipeline of every family on each task,
task by task so that hidden states are reused, and the facts the report quotes about the data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import clone

from sklearn_sentemb.datasets import load_classification, load_clustering, load_sts
from sklearn_sentemb.evaluation import FAMILIES, evaluate
from sklearn_sentemb.metrics import (
    average_cosine_similarity,
    isotropy_ratio,
    top_component_variance_ratio,
)

from .families import Family
from .settings import STS_YEARS, StudySettings

__all__ = ["Evaluator", "data_sizes", "dev_overlap", "headline", "prepare"]


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of evaluate's frame that the tables show (one score per task and metric)."""
    rows = frame[frame.task != "avg"]
    years = rows.task.isin(STS_YEARS)
    keep = (
        (rows.family == "sts")
        & ((years & (rows.subset == "all")) | (~years & (rows.subset == "test")))
    ) | (rows.family != "sts")
    return rows[keep]


class Evaluator:
    """evaluate() one task at a time for every family, so hidden states are reused."""

    def __init__(self, settings: StudySettings, data_home, log):
        self.settings = settings
        self.data_home = data_home
        self.log = log
        self.frames: list[pd.DataFrame] = []
        self.isotropy: list[dict] = []

    def _evaluate(self, embedder, task, fit_on, name, normalize=False) -> pd.DataFrame:
        s = self.settings
        frame = evaluate(
            embedder,
            tasks=[task],
            data_home=self.data_home,
            fit_on=fit_on,
            missing="ignore",
            name=name,
            n_seeds=s.n_seeds,
            normalize=normalize,
            cv=s.cv,
            inner_cv=s.inner_cv,
            Cs=s.Cs,
            random_state=s.seed,
        )
        return frame[frame.task != "avg"]

    def run_task(self, task: str, families: list[Family], prepared: dict) -> None:
        """Evaluate every family's embedders (see :func:`prepare`) on one task."""
        clustering = task in FAMILIES["clustering"]
        for family in families:
            for variant, (embedder, fit_on, fit_label) in prepared[family.key].items():
                frame = self._evaluate(embedder, task, fit_on, family.key)
                if frame.empty:
                    continue
                frame = frame.assign(variant=variant, fit_label=fit_label)
                if clustering:
                    frame = frame.assign(l2=False)
                    l2 = self._evaluate(embedder, task, fit_on, family.key, normalize=True)
                    frame = pd.concat(
                        [frame, l2.assign(variant=variant, fit_label=fit_label, l2=True)]
                    )
                else:
                    frame = frame.assign(l2=False)
                self.frames.append(frame)
                if task == "stsb":
                    self.isotropy.append(self._isotropy(family, variant, embedder, fit_on))

    def _isotropy(self, family, variant, embedder, fit_on) -> dict:
        pairs = load_sts("stsb", split="test", data_home=self.data_home).data
        texts = list(dict.fromkeys(pairs.ravel().tolist()))
        model = embedder if fit_on == "none" else clone(embedder).fit(texts)
        X = np.asarray(model.transform(texts), dtype=np.float64)
        return {
            "model_family": family.key,
            "variant": variant,
            "n": len(texts),
            "average_cosine": average_cosine_similarity(X),
            "isotropy_ratio": isotropy_ratio(X),
            "top_pc_variance": top_component_variance_ratio(X),
        }


def prepare(family: Family, log) -> dict:
    """Embedders to evaluate: the baseline (fit on the task: nothing is learned) and the
    chosen pipeline, fitted once on its corpus when it is fitted on one.

    Each entry is ``variant -> (embedder, evaluate's fit_on, what it was fitted on)``.
    """
    best = family.selection["pipeline"]
    corpus = best.get_params()["fit_on__corpus"]
    if corpus is None:
        best_entry = (best, "task", "each task's texts")
    else:
        start = time.perf_counter()
        fitted = clone(best).fit(list(corpus))
        log(
            f"{family.key}: best pipeline fitted on {corpus!r} in {time.perf_counter() - start:.0f} s"
        )
        best_entry = (fitted, "none", repr(corpus))
    return {"baseline": (family.baseline, "task", "nothing learned"), "best": best_entry}


def data_sizes(data_home, tasks) -> dict[str, str]:
    """What each task holds as evaluated (after the caps), in words."""
    sizes = {}
    for task in tasks:
        try:
            if task in FAMILIES["sts"]:
                split = "test" if task in ("stsb", "sickr") else None
                sizes[task] = (
                    f"{len(load_sts(task, split=split, data_home=data_home).target)} pairs"
                )
            elif task in FAMILIES["clustering"]:
                data = load_clustering(task, data_home=data_home)
                sizes[task] = f"{len(data.target)} texts, {len(np.unique(data.target))} classes"
            else:
                data = load_classification(task, data_home=data_home)
                what = "pairs" if data.data.ndim == 2 else "texts"
                if "split" not in data:
                    sizes[task] = f"{len(data.target)} {what} (cross-validated)"
                else:
                    names, counts = np.unique(data.split, return_counts=True)
                    found = dict(zip(names.tolist(), counts.tolist()))
                    order = [n for n in ("train", "dev", "trial", "test") if n in found]
                    sizes[task] = " / ".join(f"{n} {found[n]}" for n in order) + f" {what}"
        except FileNotFoundError:
            continue
    return sizes


def dev_overlap(dev_pairs, data_home) -> dict[str, tuple[int, int]]:
    """Per STS task: how many of its scored pairs are also STS-B dev pairs (either order)."""
    dev = {(a, b) for a, b in dev_pairs.tolist()} | {(b, a) for a, b in dev_pairs.tolist()}
    found = {}
    for task in (*STS_YEARS, "stsb", "sickr"):
        try:
            split = "test" if task in ("stsb", "sickr") else None
            pairs = load_sts(task, split=split, data_home=data_home).data
        except FileNotFoundError:
            continue
        found[task] = (sum((a, b) in dev for a, b in pairs.tolist()), len(pairs))
    return found
