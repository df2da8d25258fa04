"""The tidy table of every number (what results.csv holds) and the score lookups and cell
formats that the report, the claims and the figure share."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sklearn_sentemb.evaluation import DISPLAY_NAMES

from .evaluation import headline
from .families import Family, short_params
from .settings import TASK_ORDER

__all__ = [
    "CSV_COLUMNS",
    "Scores",
    "averages",
    "display",
    "evaluation_rows",
    "isotropy_rows",
    "md_table",
    "runtime_rows",
    "selection_rows",
    "signed",
]

CSV_COLUMNS = (
    "model_family",
    "variant",
    "role",
    "task_family",
    "task",
    "subset",
    "metric",
    "score_x100",
    "std_x100",
    "n",
    "fitted_on",
    "config",
)


def evaluation_rows(frames: list[pd.DataFrame], configs: dict) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True)
    variant = np.where(frame.l2, frame.variant + "+l2", frame.variant)
    out = pd.DataFrame(
        {
            "model_family": frame.embedder,
            "variant": variant,
            "role": "evaluation",
            "task_family": frame.family,
            "task": frame.task,
            "subset": frame.subset,
            "metric": frame.metric,
            "score_x100": 100 * frame.score,
            "std_x100": 100 * frame["std"],
            "n": frame.n,
            "fitted_on": frame.fit_label,
            "config": [configs[(f, v)] for f, v in zip(frame.embedder, frame.variant)],
        }
    )
    return out


def averages(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Per family, variant and task family: the mean of the headline scores over tasks."""
    rows = []
    head = headline(
        evaluation.rename(columns={"task_family": "family"}).assign(score=evaluation.score_x100)
    )
    for (fam, variant, task_family, metric), part in head.groupby(
        ["model_family", "variant", "family", "metric"], sort=False
    ):
        if task_family == "classification" and metric != "accuracy":
            continue
        rows.append(
            {
                "model_family": fam,
                "variant": variant,
                "role": "evaluation",
                "task_family": task_family,
                "task": "avg",
                "subset": "all" if task_family == "sts" else "mean",
                "metric": metric,
                "score_x100": part.score_x100.mean(),
                "std_x100": np.nan,
                "n": len(part),
                "fitted_on": part.fitted_on.iloc[0],
                "config": part.config.iloc[0],
            }
        )
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def selection_rows(families: list[Family], configs: dict, dev_n: int, cv: int) -> pd.DataFrame:
    rows = []
    for family in families:
        sel = family.selection
        base = {
            "model_family": family.key,
            "role": "selection",
            "task_family": "sts",
            "task": "stsb",
            "subset": "dev",
            "metric": f"spearman ({cv}-fold CV mean)",
            "n": dev_n,
            "fitted_on": "training folds of STS-B dev, or the corpus named in config",
        }
        rows.append(
            {
                **base,
                "variant": "baseline",
                "score_x100": 100 * sel["dev_baseline"],
                "std_x100": 100 * sel["dev_baseline_std"],
                "config": configs[(family.key, "baseline")],
            }
        )
        rows.append(
            {
                **base,
                "variant": "best",
                "score_x100": 100 * sel["dev_best"],
                "std_x100": 100 * sel["dev_best_std"],
                "config": configs[(family.key, "best")],
            }
        )
        for cand in sorted(sel["candidates"], key=lambda c: -c["mean"]):
            rows.append(
                {
                    **base,
                    "variant": "candidate",
                    "score_x100": 100 * cand["mean"],
                    "std_x100": 100 * cand["std"],
                    "config": short_params(cand["params"]),
                }
            )
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def isotropy_rows(isotropy: list[dict], configs: dict) -> pd.DataFrame:
    rows = []
    for item in isotropy:
        for metric in ("average_cosine", "isotropy_ratio", "top_pc_variance"):
            rows.append(
                {
                    "model_family": item["model_family"],
                    "variant": item["variant"],
                    "role": "isotropy",
                    "task_family": "sts",
                    "task": "stsb",
                    "subset": "test",
                    "metric": metric,
                    "score_x100": 100 * item[metric],
                    "std_x100": np.nan,
                    "n": item["n"],
                    "fitted_on": "",
                    "config": configs[(item["model_family"], item["variant"])],
                }
            )
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def runtime_rows(wall_s: float, peak_gib: float) -> pd.DataFrame:
    """The run's wall time and peak memory, as rows of the tidy table."""
    return pd.DataFrame(
        [
            {
                "role": "runtime",
                "metric": "wall_minutes",
                "score_x100": np.nan,
                "config": f"{wall_s / 60:.2f}",
            },
            {
                "role": "runtime",
                "metric": "peak_memory_gib",
                "score_x100": np.nan,
                "config": f"{peak_gib:.2f}",
            },
        ],
        columns=CSV_COLUMNS,
    )


# -- cells and lookups ------------------------------------------------------------------


def md_table(header: list[str], rows: list[list]) -> str:
    def cell(value):
        if isinstance(value, float):
            return "–" if not math.isfinite(value) else f"{value:.2f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def signed(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:+.2f}"


def display(task: str) -> str:
    """A task's name in the tables."""
    return DISPLAY_NAMES.get(task, task)


def _score(table: pd.DataFrame, fam, variant, task, metric) -> float:
    hit = table[
        (table.model_family == fam)
        & (table.variant == variant)
        & (table.task == task)
        & (table.metric == metric)
    ]
    return float(hit.score_x100.iloc[0]) if len(hit) else float("nan")


class Scores:
    """The headline scores and averages of a run, looked up by family, variant and task."""

    def __init__(self, head: pd.DataFrame, averages: pd.DataFrame, families, settings, extra):
        self.table = pd.concat([head, averages], ignore_index=True)
        self.families = families
        self.settings = settings
        self.extra = extra

    def s(self, fam, variant, task, metric):
        return _score(self.table, fam, variant, task, metric)

    def tasks(self, task_family) -> list[str]:
        present = set(self.table[self.table.task_family == task_family].task) - {"avg"}
        return [t for t in TASK_ORDER if t in present]

    def avg(self, fam, variant, task_family, metric):
        hit = self.table[
            (self.table.model_family == fam)
            & (self.table.variant == variant)
            & (self.table.task_family == task_family)
            & (self.table.task == "avg")
            & (self.table.metric == metric)
        ]
        return float(hit.score_x100.iloc[0]) if len(hit) else float("nan")

    def cosines(self, keys) -> str:
        """Average cosine of the baseline embeddings of STS-B test of some families, in words."""
        iso = self.extra.get("isotropy")
        if iso is None or iso.empty:
            return ""
        part = iso[(iso.variant == "baseline") & (iso.metric == "average_cosine")]
        values = dict(zip(part.model_family, part.score_x100 / 100))
        return ", ".join(
            f"{f.short} {values[f.key]:.3f}"
            for f in self.families
            if f.key in values and f.key in keys
        )
