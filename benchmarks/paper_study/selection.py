"""Selection of each family's extraction on STS-B dev, by cross-validated grid search."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_val_score

from sklearn_sentemb.metrics import make_sts_scorer
from sklearn_sentemb.search import search_sts

from .families import Family, refiner_name, short_params
from .settings import StudySettings

__all__ = ["best_with_refiner", "select"]


def select(family: Family, dev_pairs, dev_gold, settings: StudySettings, log) -> dict:
    """Grid-search the family on STS-B dev; return the chosen pipeline and the scores.

    Every grid is searched on the same shuffled folds; the best candidate over all grids
    (the first of ties) is the family's selection, also stored as ``family.selection``.
    """
    start = time.perf_counter()
    folds = KFold(settings.search_cv, shuffle=True, random_state=settings.seed)
    baseline_scores = cross_val_score(
        clone(family.baseline), dev_pairs, dev_gold, scoring=make_sts_scorer(), cv=folds
    )
    candidates = []
    for grid in family.grids:
        result = search_sts(
            clone(family.baseline),
            grid,
            dev_pairs,
            dev_gold,
            cv=settings.search_cv,
            random_state=settings.seed,
        )
        found = result.search.cv_results_
        for i, params in enumerate(found["params"]):
            candidates.append(
                {
                    "params": params,
                    "mean": float(found["mean_test_score"][i]),
                    "std": float(found["std_test_score"][i]),
                }
            )
    best = max(candidates, key=lambda c: c["mean"])  # first of ties
    pipeline = clone(family.baseline).set_params(**clone(best["params"], safe=False))
    selection = {
        "pipeline": pipeline,
        "params": best["params"],
        "dev_best": best["mean"],
        "dev_best_std": best["std"],
        "dev_baseline": float(np.mean(baseline_scores)),
        "dev_baseline_std": float(np.std(baseline_scores)),
        "candidates": candidates,
        "seconds": time.perf_counter() - start,
    }
    family.selection = selection
    log(
        f"{family.key}: {len(candidates)} candidates x {settings.search_cv} folds on STS-B dev in "
        f"{selection['seconds']:.0f} s; baseline {100 * selection['dev_baseline']:.2f}, best "
        f"{100 * best['mean']:.2f} ({short_params(best['params'])})"
    )
    return selection


def best_with_refiner(candidates, refiner: str):
    """The best candidate whose refiner has the given class name (None if none)."""
    chosen = [
        c for c in candidates if refiner_name(c["params"].get("refine", "passthrough")) == refiner
    ]
    return max(chosen, key=lambda c: c["mean"]) if chosen else None
