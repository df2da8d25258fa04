"""The study's markdown report: the summary, a section per model family, the reading of
the paper's claims, and the data, caps and protocol."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from .claims import claims
from .families import Family, short_params
from .selection import best_with_refiner
from .settings import FAMILY_INFO, REFERENCE_STS, StudySettings
from .tables import Scores, display, md_table, signed

__all__ = ["Report", "write_markdown"]

_BASELINE_BEST = (("baseline", "baseline"), ("best", "best"))
#: The score tables of a family: title, task family, (metric, row label prefix), variants.
_SCORE_TABLES = (
    ("STS (Spearman x 100)", "sts", (("spearman", ""),), _BASELINE_BEST),
    (
        "Clustering (x 100)",
        "clustering",
        (("accuracy", "acc. "), ("nmi", "NMI ")),
        (("baseline", "baseline"), ("baseline+l2", "baseline + L2"), ("best+l2", "best (+ L2)")),
    ),
    ("Classification (accuracy x 100)", "classification", (("accuracy", ""),), _BASELINE_BEST),
)


class Report(Scores):
    """The scores of a run, and the markdown made of them."""

    def family_section(self, family: Family, isotropy: pd.DataFrame) -> str:
        """A family's configurations, selection, and STS, clustering, classification and
        isotropy tables."""
        out = self._selection_lines(family)
        for title, task_family, metrics, variants in _SCORE_TABLES:
            tasks = self.tasks(task_family)
            if tasks:
                header = [title, *[display(t) for t in tasks], "Avg."]
                rows = []
                for metric, prefix in metrics:
                    rows += self._score_rows(
                        family.key, tasks, task_family, metric, variants, prefix
                    )
                out += [md_table(header, rows), ""]
        out += _isotropy_table(isotropy[isotropy.model_family == family.key])
        return "\n".join(out)

    def _selection_lines(self, family: Family) -> list[str]:
        """The heading, the baseline and best configurations, and the selection's scores."""
        sel = family.selection
        key = family.key
        out = [f"### {family.short}: {family.title}", ""]
        out.append(f"- **Baseline**: {self.extra['configs'][(key, 'baseline')]}.")
        out.append(f"- **Best on STS-B dev**: {self.extra['configs'][(key, 'best')]}.")
        out.append(
            f"- **Selection** (STS-B dev, {self.settings.search_cv}-fold CV, "
            f"{len(sel['candidates'])} candidates): baseline "
            f"{100 * sel['dev_baseline']:.2f} ± {100 * sel['dev_baseline_std']:.2f}, best "
            f"{100 * sel['dev_best']:.2f} ± {100 * sel['dev_best_std']:.2f} (tuned on these "
            "folds: not a held-out score)."
        )
        if family.notes:
            out.append(f"- {family.notes}")
        whitening = best_with_refiner(sel["candidates"], "Whitening")
        if whitening is not None:
            out.append(
                f"- Best whitening candidate on dev: {100 * whitening['mean']:.2f} "
                f"({short_params(whitening['params'])})."
            )
        out.append("")
        return out

    def _score_rows(self, key, tasks, task_family, metric, variants, prefix) -> list[list]:
        """A row per ``(variant, label)``: its scores on ``tasks`` and their average; then the
        gain of the last variant over the one before it (best + L2 over baseline + L2 for
        clustering: like for like)."""
        rows = [
            [f"{prefix}{label}"]
            + [self.s(key, variant, t, metric) for t in tasks]
            + [self.avg(key, variant, task_family, metric)]
            for variant, label in variants
        ]
        rows.append([f"{prefix}gain"] + [signed(b - a) for a, b in zip(rows[-2][1:], rows[-1][1:])])
        return rows

    # -- summary -------------------------------------------------------------------
    def summary_table(self) -> str:
        """Every family's averages per task family: baseline, best and gain."""
        header = ["model family", "STS base", "STS best", "gain", "clust. acc base (+L2)", "best (+L2)",
                  "gain", "NMI base (+L2)", "best (+L2)", "gain", "classif. base", "best", "gain"]  # fmt: skip
        rows = []
        for family in self.families:
            k = family.key
            cells = [family.short]
            for tf, metric, base, best in (
                ("sts", "spearman", "baseline", "best"),
                ("clustering", "accuracy", "baseline+l2", "best+l2"),
                ("clustering", "nmi", "baseline+l2", "best+l2"),
                ("classification", "accuracy", "baseline", "best"),
            ):
                a, b = self.avg(k, base, tf, metric), self.avg(k, best, tf, metric)
                cells += [a, b, signed(b - a)]
            rows.append(cells)
        return md_table(header, rows)

    def reference_check(self) -> str:
        """How far two baselines are from the original SentEval toolkit's STS numbers."""
        if self.settings.sts_pairs is not None:
            return ""
        parts = []
        for key, numbers in REFERENCE_STS.items():
            diffs = [
                abs(self.s(key, "baseline", task, "spearman") - value)
                for task, value in numbers.items()
            ]
            diffs = [d for d in diffs if math.isfinite(d)]
            if diffs:
                parts.append(f"{FAMILY_INFO[key][1]} {max(diffs):.2f} ({len(diffs)} tasks)")
        if not parts:
            return ""
        return (
            "- Check: the STS baselines of MiniLM-L6 and Random are the two encoders measured "
            "with the original SentEval toolkit in `../shared/data/REFERENCE.md`; the largest "
            "difference from those numbers is " + ", ".join(parts) + " Spearman x 100 points."
        )

    def claims(self) -> str:
        """The paper's four claims, each with its verdict on these models."""
        return claims(self)

    def b2s_comparison(self) -> str:
        """B2S against Avg. and the input embeddings (the paper: Avg. beats B2S); "" without
        a B2S family."""
        keys = [f.key for f in self.families]
        b2s = [k for k in ("b2s", "b2s100") if k in keys]
        others = [k for k in ("avg", "input") if k in keys]
        if not b2s or not others:
            return ""
        short = {f.key: f.short for f in self.families}
        parts = []
        for variant in ("baseline", "best"):
            cells = [
                f"{short[k]} {self.avg(k, variant, 'sts', 'spearman'):.2f}" for k in b2s + others
            ]
            parts.append(f"{variant}: " + ", ".join(cells))
        verdict = ""
        if "avg" in others:
            beats = [
                all(
                    self.avg("avg", v, "sts", "spearman") > self.avg(k, v, "sts", "spearman")
                    for v in ("baseline", "best")
                )
                for k in b2s
            ]
            verdict = (
                " The paper's finding that Avg. beats B2S "
                + (
                    "holds here"
                    if all(beats)
                    else "holds here only in part"
                    if any(beats)
                    else "does not hold here"
                )
                + " (STS average, baseline and best)."
            )
        return (
            "**B2S against Avg. and input embeddings.** STS averages, "
            + "; ".join(parts)
            + "."
            + verdict
        )


def _isotropy_table(iso: pd.DataFrame) -> list[str]:
    """The isotropy figures of a family's baseline and best on STS-B test; none if absent."""
    if iso.empty:
        return []
    header = ["Isotropy on STS-B test", "avg. cosine", "isotropy ratio", "top PC variance share"]
    rows = []
    for variant in ("baseline", "best"):
        part = iso[iso.variant == variant].set_index("metric").score_x100 / 100
        if part.empty:
            continue
        rows.append(
            [
                variant,
                f"{part['average_cosine']:.3f}",
                f"{part['isotropy_ratio']:.3g}",
                f"{part['top_pc_variance']:.3f}",
            ]
        )
    return [md_table(header, rows), ""]


def caps_lines(settings: StudySettings, data_counts: dict, dev_n: int, overlap: dict) -> list[str]:
    """The protocol, the caps and the examples per task, as markdown lines."""
    lines = _protocol_lines(settings, dev_n) + _overlap_lines(overlap)
    lines.append("")
    lines.append("Examples per task as evaluated:")
    lines.append("")
    rows = []
    for task, n in data_counts.items():
        hit = overlap.get(task)
        rows.append([display(task), n, "" if hit is None else f"{hit[0]} of {hit[1]}"])
    lines.append(
        md_table(["task", "as evaluated (after the caps)", "pairs also in STS-B dev"], rows)
    )
    return lines


def _protocol_lines(s: StudySettings, dev_n: int) -> list[str]:
    """The selection data, the caps and the protocol of each task family."""
    return [
        f"- **Selection data**: STS-B dev only, {dev_n} pairs, {s.search_cv}-fold cross-validation "
        f"(folds shuffled with seed {s.seed}); the same folds for every candidate. "
        "No evaluation task's labels select anything.",
        f"- STS: {'every pair' if s.sts_pairs is None else f'at most {s.sts_pairs} pairs per task (per year, spread over its subsets in proportion)'}"
        "; STS12–16 are scored as one Spearman correlation over all pairs of the year "
        "(SimCSE's 'all'; the CSV also has SentEval's mean and weighted mean and each subset); "
        "STS-B and SICK-R on their test splits.",
        f"- Clustering: at most {s.clustering_texts} texts per task (seeded sample); k-means "
        f"(k = number of labels in the sample, k-means++, {s.n_seeds} seeds), accuracy under "
        "the Hungarian matching and NMI, averaged over the seeds. **L2 switch**: the baseline is "
        "clustered as it is; the best configuration is L2-normalised before k-means (its "
        "selection criterion, cosine similarity, ignores vector norms); the tables also show the "
        "baseline with L2 normalisation, so the effect of L2 alone is visible.",
        f"- Classification: at most {s.classification_examples} examples per split file "
        "(MR, CR, SUBJ, MPQA: per task, in proportion to the label files; SST-2 train and test, "
        "TREC train, MRPC train and test, SICK-E train; SICK-E's test split is SICK-R's, kept "
        f"whole); logistic regression (lbfgs) on standardised features; MR/CR/SUBJ/MPQA "
        f"{s.cv}-fold outer CV, C chosen by {s.inner_cv}-fold inner CV; TREC and MRPC: C by "
        f"{s.inner_cv}-fold CV on train; SST-2 and SICK-E: C by the dev (trial) split; "
        f"C from {list(s.Cs)} (SentEval's 2^-2..2^3 converged about 10x slower on these "
        "standardised features and was less accurate on the capped training sets); MRPC and "
        "SICK-E classify [u, v, |u - v|, u * v].",
        f"- Corpus fits: `fit_on__corpus` is searched over the task's own texts (None) and "
        f"{s.wiki_sentences} WikiText-103 valid+test sentences (seeded sample of the "
        "sentence-split text, at least 3 tokens each). Avg. averages all-MiniLM-L6-v2's last "
        "layer over "
        + (
            "every sentence (at least 3 tokens)"
            if s.avg_sentences is None
            else f"a seeded sample of {s.avg_sentences} sentences"
        )
        + " of WikiText-103 valid+test; ids never seen keep their input embedding.",
        "- A learned step 'fitted on the task' is fitted on the task's own texts without labels "
        '(all splits of a classification task, test included), as `evaluate(fit_on="task")` does.',
        "- Caps are seeded samples of the release files' lines in file order; the loaders read "
        "the capped copies as they read the release.",
    ]


def _overlap_lines(overlap: dict) -> list[str]:
    """What STS-B dev shares with the evaluation tasks (task -> (shared, all) pairs)."""
    lines = []
    shared = {t: v for t, v in overlap.items() if v[0]}
    if shared:
        lines.append(
            "- **Caveat**: STS-B was assembled from the STS 2012–2017 tasks, so some STS-B dev "
            "pairs are also pairs of the yearly STS tasks (counts below, over each release "
            "file's pairs). Those yearly scores are therefore not fully independent of the "
            "selection (the gold scores of the shared pairs took part in choosing the "
            "configuration, though nothing was trained on them)."
        )
    clean = [t for t in ("stsb", "sickr") if t in overlap and not overlap[t][0]]
    if clean:
        lines.append(
            f"- {' and '.join(display(t) for t in clean)} "
            f"{'share' if len(clean) > 1 else 'shares'} no pair with STS-B dev: "
            "the fully held-out STS scores."
        )
    return lines


def write_markdown(path, families, report: Report, isotropy, settings, extra) -> None:
    """Write results.md: summary, claims, a section per family, protocol and runtime."""
    s = settings
    out = _intro_lines(s) + [
        "## Summary (family averages)",
        "",
        report.summary_table(),
        "",
        "![baseline vs best per model family](results.png)",
        "",
        "## The paper's four claims on these models",
        "",
        report.claims(),
        "",
        "## Per model family",
        "",
    ]
    comparison = report.b2s_comparison()
    if comparison:
        out[out.index("## Per model family") : out.index("## Per model family")] = [comparison, ""]
    for family in families:
        out.append(report.family_section(family, isotropy))
    out += ["## Evaluation data, caps and protocol", ""]
    caps = caps_lines(s, extra["data_counts"], extra["dev_n"], extra["overlap"])
    check = report.reference_check()
    if check:
        caps.insert(caps.index("Examples per task as evaluated:") - 1, check)
    out += caps
    skipped = extra.get("skipped") or []
    if skipped:
        out += [
            "",
            "Not in the data folder, so not evaluated: "
            + ", ".join(display(t) for t in skipped)
            + ".",
        ]
    out += ["", "## Runtime", ""]
    out.append(
        f"Wall time {extra['wall_s'] / 60:.1f} min, peak resident memory "
        f"{extra['peak_gib']:.2f} GiB ({os.cpu_count()} CPU cores; forward passes cached in "
        f"memory, bound {s.cache_bytes / 2**30:.0f} GiB). Phases: "
        + ", ".join(f"{name} {sec / 60:.1f} min" for name, sec in extra["phases"].items())
        + "."
    )
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def _intro_lines(s: StudySettings) -> list[str]:
    """The title, how the file was made and how to read it."""
    mode = "quick" if s.quick else "full"
    return [
        "# Results: plain mean pooling vs the best extraction, per model family",
        "",
        "Generated by `python -m benchmarks.paper_study"
        + (" --quick" if s.quick else "")
        + "`; do not edit by hand. "
        f"Mode: **{mode}**. Every number is Spearman, accuracy or NMI x 100. `results.csv` holds "
        "every number (the `role` column separates `selection` rows, tuned on STS-B dev, from "
        "`evaluation` rows and the `isotropy` figures); `results.png` plots the averages.",
        "",
        "How to read it: each family's **baseline** is plain mean pooling of its token vectors "
        "(contextual models: the last layer over all tokens, as sentence-transformers pools "
        "them; static models: the text's tokens, special tokens left out). Its **best** is the "
        "configuration with the highest mean Spearman over the cross-validation folds of **STS-B "
        "dev** among a grid of layers, templates, token weights, token exclusions, refiners and "
        "what the learned steps are fitted on. Only the *Selection* lines are tuned scores; every "
        "table is on evaluation data that selected nothing.",
        "",
    ]
