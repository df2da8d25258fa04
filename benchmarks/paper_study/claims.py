"""The reading of the paper's four claims on a run's scores: each with its verdict here."""

from __future__ import annotations

import math

import numpy as np

from .families import REFINER_WORDS, refiner_name
from .selection import best_with_refiner
from .settings import CONTEXTUAL, STATIC
from .tables import Scores, signed

__all__ = ["claims"]


def claims(scores: Scores) -> str:
    """The paper's four claims in markdown, each with its verdict on the scores of a run."""
    fams = [f.key for f in scores.families]
    g = {}
    for k in fams:
        g[k] = {
            "sts": scores.avg(k, "best", "sts", "spearman")
            - scores.avg(k, "baseline", "sts", "spearman"),
            "acc": scores.avg(k, "best+l2", "clustering", "accuracy")
            - scores.avg(k, "baseline", "clustering", "accuracy"),
            "nmi": scores.avg(k, "best+l2", "clustering", "nmi")
            - scores.avg(k, "baseline", "clustering", "nmi"),
            "l2": scores.avg(k, "baseline+l2", "clustering", "accuracy")
            - scores.avg(k, "baseline", "clustering", "accuracy"),
            "cls": scores.avg(k, "best", "classification", "accuracy")
            - scores.avg(k, "baseline", "classification", "accuracy"),
            "held": float(
                np.mean(
                    [
                        scores.s(k, "best", t, "spearman") - scores.s(k, "baseline", t, "spearman")
                        for t in ("stsb", "sickr")
                    ]
                )
            ),
        }
    short = {f.key: f.short for f in scores.families}
    out = []

    def listing(metric):
        return ", ".join(f"{short[k]} {signed(g[k][metric])}" for k in fams)

    # (1)
    sts_up = [k for k in fams if g[k]["sts"] >= 1]
    clu_up = [k for k in fams if g[k]["acc"] >= 1 or g[k]["nmi"] >= 1]
    verdict = (
        "Supported"
        if len(sts_up) == len(fams) and len(clu_up) == len(fams)
        else "Partly supported"
        if sts_up or clu_up
        else "Not supported"
    )
    out.append(
        "**1. The right aggregation and post-processing lift unsupervised STS and clustering "
        f"far above plain averaging, for every model.** {verdict} here. Gain of the best "
        f"extraction over plain mean pooling, STS average (Spearman x 100): {listing('sts')}; "
        f"on the fully held-out STS-B test and SICK-R alone (their mean): {listing('held')}. "
        f"Clustering accuracy average (best + L2 vs plain baseline): {listing('acc')}; NMI: "
        f"{listing('nmi')}. A gain of at least 1 point on STS holds for "
        f"{len(sts_up)} of {len(fams)} families"
        + (
            f" (not for {', '.join(short[k] for k in fams if k not in sts_up)})"
            if len(sts_up) < len(fams)
            else ""
        )
        + f"; on clustering (accuracy or NMI) for {len(clu_up)} of {len(fams)}"
        + (
            f" (not for {', '.join(short[k] for k in fams if k not in clu_up)})"
            if len(clu_up) < len(fams)
            else ""
        )
        + f". L2 normalisation alone changes the baseline's clustering accuracy by {listing('l2')}."
    )
    ctx = [k for k in CONTEXTUAL if k in fams]
    if ctx:
        notes = []
        for k in ctx:
            cands = scores.extra["selection"][k]["candidates"]
            white = best_with_refiner(cands, "Whitening")
            base = scores.extra["selection"][k]["dev_baseline"]
            if white is not None:
                notes.append(
                    f"{short[k]}: best whitening candidate {100 * white['mean']:.2f} vs baseline "
                    f"{100 * base:.2f} on STS-B dev ({signed(100 * (white['mean'] - base))})"
                )
        if notes:
            cosines = scores.cosines(ctx)
            others = scores.cosines([k for k in fams if k not in ctx])
            out[-1] += (
                " Both contextual models here are sentence-fine-tuned (trained on sentence pairs "
                "for cosine similarity), unlike the paper's plain BERT, and whitening, the "
                "paper's main post-processing, hurts them on STS-B dev: "
                + "; ".join(notes)
                + "."
                + (
                    " By the average cosine between their plain mean-pooled STS-B test "
                    f"embeddings they are already nearly isotropic ({cosines}; the other "
                    f"families: {others})."
                    if cosines
                    else ""
                )
            )
    # (2)
    static = [k for k in STATIC if k in fams]
    if static and ctx:
        ref = "l6" if "l6" in fams else ctx[0]
        ref_best = scores.avg(ref, "best", "sts", "spearman")
        ref_base = scores.avg(ref, "baseline", "sts", "spearman")
        parts, close = [], []
        for k in static:
            best = scores.avg(k, "best", "sts", "spearman")
            base = scores.avg(k, "baseline", "sts", "spearman")
            gap_before, gap_after = ref_base - base, ref_best - best
            closed = (gap_before - gap_after) / gap_before if gap_before > 0 else float("nan")
            parts.append(
                f"{short[k]} {best:.2f} (gap {gap_after:.2f}; "
                f"{'–' if not math.isfinite(closed) else f'{100 * closed:.0f}%'} of the baseline gap closed)"
            )
            if gap_after <= 5:
                close.append(k)
        verdict = (
            "Supported"
            if len(close) == len(static)
            else "Partly supported"
            if close
            else "Not supported"
        )
        out.append(
            "**2. Static token models, even random token vectors, come close to a contextual "
            f'model once reshaped.** {verdict} here ("close": within 5 points of the '
            f"contextual model's best STS average). {short[ref]} best STS average {ref_best:.2f} "
            f"(baseline {ref_base:.2f}); best static STS averages: {'; '.join(parts)}. The "
            "contextual models here are sentence-fine-tuned, a much stronger reference than the "
            "paper's plain BERT."
        )
    # (3)
    if "bert_avg" in fams and "l6" in fams:
        items = []
        signs = []
        for metric, label in (("accuracy", "accuracy"), ("nmi", "NMI")):
            for v_mix, v_ref, what in (
                ("baseline", "baseline", "baselines"),
                ("best+l2", "best+l2", "best (+ L2)"),
            ):
                d = scores.avg("bert_avg", v_mix, "clustering", metric) - scores.avg(
                    "l6", v_ref, "clustering", metric
                )
                items.append(f"{label}, {what}: {signed(d)}")
                signs.append(d)
        verdict = (
            "Supported"
            if all(d >= 0.5 for d in signs)
            else "Not supported"
            if all(d <= 0 for d in signs)
            else "Partly supported"
        )
        out.append(
            "**3. BERT + Avg. helps clustering.** "
            f"{verdict} here: clustering averages of all-MiniLM-L6-v2 + Avg. minus "
            f'all-MiniLM-L6-v2 alone: {"; ".join(items)} ("helps": at least +0.5 in every '
            "comparison)."
        )
    # (4)
    big = [k for k in fams if g[k]["cls"] >= 2]
    losses = [k for k in fams if g[k]["cls"] <= -2]
    top = max(fams, key=lambda k: g[k]["cls"])
    verdict = (
        "Supported" if not big else "Not supported" if len(big) == len(fams) else "Partly supported"
    )
    text = (
        "**4. Classification gains little.** "
        f'{verdict} here ("little": no family gains 2 points or more; largest gain '
        f"{signed(g[top]['cls'])}, {short[top]}). Classification accuracy average, best minus "
        f"baseline: {listing('cls')}; compare the STS gains under claim 1."
    )
    if losses:
        refine = {
            k: scores.extra["selection"][k]["params"].get("refine", "passthrough") for k in losses
        }
        post = [k for k in losses if refine[k] != "passthrough"]
        text += f" The configuration chosen on STS costs {', '.join(short[k] for k in losses)} 2 points or more."
        if post:
            names = sorted({REFINER_WORDS[refiner_name(refine[k])].split(" (")[0] for k in post})
            text += (
                f" For {', '.join(short[k] for k in post)} it ends in "
                + " or ".join(names)
                + ", fitted on each task's own texts: a post-processing that removes or "
                "equalises the dominant directions of the embeddings, which cosine similarity "
                "on STS does better without but which the classifier (and k-means, claim 1) "
                "can use. That is the likely reading; this study does not isolate it."
            )
        rest = [k for k in losses if k not in post]
        if rest:
            text += (
                f" For {', '.join(short[k] for k in rest)} the chosen change is in the "
                "pooling alone (token weights or exclusions)."
            )
    out.append(text)
    return "\n\n".join(out)
