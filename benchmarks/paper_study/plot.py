"""The study's figure: baseline and best per family, for each task family's average."""

from __future__ import annotations

import math

import numpy as np

from .tables import Scores

__all__ = ["plot"]


def plot(path, families, report: Scores) -> None:
    """Bars of the baseline and the best per family, for each task family's average."""
    from matplotlib.figure import Figure  # no pyplot: the process's backend is left alone

    panels = [
        ("sts", "spearman", "baseline", "best", "STS: Spearman x 100"),
        ("clustering", "accuracy", "baseline+l2", "best+l2", "Clustering (+ L2): accuracy x 100"),
        ("clustering", "nmi", "baseline+l2", "best+l2", "Clustering (+ L2): NMI x 100"),
        ("classification", "accuracy", "baseline", "best", "Classification: accuracy x 100"),
    ]
    panels = [p for p in panels if report.tasks(p[0])]
    n_cols = 2 if len(panels) > 1 else 1
    n_rows = math.ceil(len(panels) / n_cols)
    fig = Figure(figsize=(5.2 * n_cols, 3.6 * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    x = np.arange(len(families))
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (tf, metric, base, best, title) in zip(axes.flat, panels):
        a = [report.avg(f.key, base, tf, metric) for f in families]
        b = [report.avg(f.key, best, tf, metric) for f in families]
        ax.bar(x - 0.2, a, 0.4, label="baseline (mean pooling)", color="#9aa7b8")
        ax.bar(x + 0.2, b, 0.4, label="best on STS-B dev", color="#2f6db3")
        for xi, value in zip(x + 0.2, b):
            if math.isfinite(value):
                ax.text(xi, value, f"{value:.0f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [f.short for f in families], rotation=40, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=2)
    fig.suptitle(
        "Per-task-family averages: plain mean pooling vs the best extraction on STS-B dev",
        fontsize=10,
        x=0.02,
        ha="left",
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
