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
    reading = _Reading(scores)
    out = [reading.claim_1()]
    for claim in (reading.claim_2, reading.claim_3):
        text = claim()
        if text:
            out.append(text)
    out.append(reading.claim_4())
    return "\n\n".join(out)


def _verdict(all_hold: bool, some_hold: bool) -> str:
    if all_hold:
        return "Supported"
    return "Partly supported" if some_hold else "Not supported"


def _not_for(short: dict, keys: list, held: list) -> str:
    """`` (not for A, B)`` naming the families in ``keys`` outside ``held``; "" when none."""
    if len(held) >= len(keys):
        return ""
    return f" (not for {', '.join(short[k] for k in keys if k not in held)})"


class _Reading:
    """A run's gains per family, and each claim's paragraph on them."""

    def __init__(self, scores: Scores):
        self.scores = scores
        self.fams = [f.key for f in scores.families]
        self.short = {f.key: f.short for f in scores.families}
        self.gains = {k: self._gains(k) for k in self.fams}
        self.ctx = [k for k in CONTEXTUAL if k in self.fams]

    def _gains(self, k) -> dict[str, float]:
        """Best minus baseline of family ``k`` on each average the claims read."""
        avg = self.scores.avg
        held = [
            self.scores.s(k, "best", t, "spearman") - self.scores.s(k, "baseline", t, "spearman")
            for t in ("stsb", "sickr")
        ]
        return {
            "sts": avg(k, "best", "sts", "spearman") - avg(k, "baseline", "sts", "spearman"),
            # Clustering: the best and the baseline both L2-normalised (like for like).
            "acc": avg(k, "best+l2", "clustering", "accuracy")
            - avg(k, "baseline+l2", "clustering", "accuracy"),
            "nmi": avg(k, "best+l2", "clustering", "nmi")
            - avg(k, "baseline+l2", "clustering", "nmi"),
            "l2": avg(k, "baseline+l2", "clustering", "accuracy")
            - avg(k, "baseline", "clustering", "accuracy"),
            "cls": avg(k, "best", "classification", "accuracy")
            - avg(k, "baseline", "classification", "accuracy"),
            "held": float(np.mean(held)),
        }

    def listing(self, metric) -> str:
        return ", ".join(f"{self.short[k]} {signed(self.gains[k][metric])}" for k in self.fams)

    def claim_1(self) -> str:
        fams, g, listing = self.fams, self.gains, self.listing
        sts_up = [k for k in fams if g[k]["sts"] >= 1]
        clu_up = [k for k in fams if g[k]["acc"] >= 1 or g[k]["nmi"] >= 1]
        verdict = _verdict(
            len(sts_up) == len(fams) and len(clu_up) == len(fams), bool(sts_up or clu_up)
        )
        return (
            "**1. The right aggregation and post-processing lift unsupervised STS and clustering "
            f"far above plain averaging, for every model.** {verdict} here. Gain of the best "
            f"extraction over plain mean pooling, STS average (Spearman x 100): {listing('sts')}; "
            f"on the fully held-out STS-B test and SICK-R alone (their mean): {listing('held')}. "
            f"Clustering accuracy average (best + L2 vs baseline + L2): {listing('acc')}; NMI: "
            f"{listing('nmi')}. A gain of at least 1 point on STS holds for "
            f"{len(sts_up)} of {len(fams)} families"
            + _not_for(self.short, fams, sts_up)
            + f"; on clustering (accuracy or NMI) for {len(clu_up)} of {len(fams)}"
            + _not_for(self.short, fams, clu_up)
            + f". L2 normalisation alone changes the baseline's clustering accuracy by {listing('l2')}."
            + self._whitening_note()
        )

    def _whitening_note(self) -> str:
        """How whitening fares on the contextual families' dev folds; "" without them."""
        short = self.short
        notes = []
        for k in self.ctx:
            selection = self.scores.extra["selection"][k]
            white = best_with_refiner(selection["candidates"], "Whitening")
            base = selection["dev_baseline"]
            if white is not None:
                notes.append(
                    f"{short[k]}: best whitening candidate {100 * white['mean']:.2f} vs baseline "
                    f"{100 * base:.2f} on STS-B dev ({signed(100 * (white['mean'] - base))})"
                )
        if not notes:
            return ""
        cosines = self.scores.cosines(self.ctx)
        others = self.scores.cosines([k for k in self.fams if k not in self.ctx])
        return (
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

    def claim_2(self) -> str | None:
        static = [k for k in STATIC if k in self.fams]
        if not (static and self.ctx):
            return None
        avg, short = self.scores.avg, self.short
        ref = "l6" if "l6" in self.fams else self.ctx[0]
        ref_best = avg(ref, "best", "sts", "spearman")
        ref_base = avg(ref, "baseline", "sts", "spearman")
        parts, close = [], []
        for k in static:
            best = avg(k, "best", "sts", "spearman")
            base = avg(k, "baseline", "sts", "spearman")
            gap_before, gap_after = ref_base - base, ref_best - best
            closed = (gap_before - gap_after) / gap_before if gap_before > 0 else float("nan")
            parts.append(
                f"{short[k]} {best:.2f} (gap {gap_after:.2f}; "
                f"{'–' if not math.isfinite(closed) else f'{100 * closed:.0f}%'} of the baseline gap closed)"
            )
            if gap_after <= 5:
                close.append(k)
        verdict = _verdict(len(close) == len(static), bool(close))
        return (
            "**2. Static token models, even random token vectors, come close to a contextual "
            f'model once reshaped.** {verdict} here ("close": within 5 points of the '
            f"contextual model's best STS average). {short[ref]} best STS average {ref_best:.2f} "
            f"(baseline {ref_base:.2f}); best static STS averages: {'; '.join(parts)}. The "
            "contextual models here are sentence-fine-tuned, a much stronger reference than the "
            "paper's plain BERT."
        )

    def claim_3(self) -> str | None:
        if "bert_avg" not in self.fams or "l6" not in self.fams:
            return None
        items, signs = [], []
        for metric, label in (("accuracy", "accuracy"), ("nmi", "NMI")):
            for variant, what in (("baseline", "baselines"), ("best+l2", "best (+ L2)")):
                d = self.scores.avg("bert_avg", variant, "clustering", metric) - self.scores.avg(
                    "l6", variant, "clustering", metric
                )
                items.append(f"{label}, {what}: {signed(d)}")
                signs.append(d)
        verdict = _verdict(all(d >= 0.5 for d in signs), not all(d <= 0 for d in signs))
        return (
            "**3. BERT + Avg. helps clustering.** "
            f"{verdict} here: clustering averages of all-MiniLM-L6-v2 + Avg. minus "
            f'all-MiniLM-L6-v2 alone: {"; ".join(items)} ("helps": at least +0.5 in every '
            "comparison)."
        )

    def claim_4(self) -> str:
        fams, g, short = self.fams, self.gains, self.short
        big = [k for k in fams if g[k]["cls"] >= 2]
        top = max(fams, key=lambda k: g[k]["cls"])
        verdict = _verdict(not big, len(big) < len(fams))
        return (
            "**4. Classification gains little.** "
            f'{verdict} here ("little": no family gains 2 points or more; largest gain '
            f"{signed(g[top]['cls'])}, {short[top]}). Classification accuracy average, best minus "
            f"baseline: {self.listing('cls')}; compare the STS gains under claim 1."
            + self._losses_note([k for k in fams if g[k]["cls"] <= -2])
        )

    def _losses_note(self, losses: list) -> str:
        """What the configuration chosen on STS ends in for the families it costs 2 points or
        more of classification accuracy; "" when none."""
        if not losses:
            return ""
        short = self.short
        selection = self.scores.extra["selection"]
        refine = {k: selection[k]["params"].get("refine", "passthrough") for k in losses}
        post = [k for k in losses if refine[k] != "passthrough"]
        text = f" The configuration chosen on STS costs {', '.join(short[k] for k in losses)} 2 points or more."
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
        return text
