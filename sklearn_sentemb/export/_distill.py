"""A small search over the static recipes, scored on STS pairs: the best foldable static
pipeline for a model, ready for `to_model2vec`.

Each featurizer is fitted and run once, each pooler once per featurizer, and each refiner
is fitted on the pooled corpus, so the whole search costs one pass of the model over the
corpus (for "Avg.") and a few table look-ups per candidate.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from .._featurize import TransformerFeaturizer
from .._pooling import TokenPooler
from .._refine import AllButTheTop, CommonComponentRemoval, Whitening
from .._static import AveragedTokenEmbeddings, InputTokenEmbeddings, RandomTokenEmbeddings
from ..metrics import sts_score

__all__ = ["DistillResult", "distill_static", "static_candidates"]

#: The token weightings and exclusions tried for every featurizer.
WEIGHTINGS = (None, "idf", "sif", "usif")
EXCLUSIONS = (("special",), ("special", "punctuation"))


def _refiners() -> dict:
    """The refiners tried on every pooled candidate, by name."""
    return {
        "none": "passthrough",
        "whitening": Whitening(),
        "whitening-256": Whitening(n_components=256),
        "abtt-1": AllButTheTop(1),
        "abtt-3": AllButTheTop(3),
        "ccr-1": CommonComponentRemoval(1),
    }


def static_candidates(model, featurizers=("input", "avg", "random"), **featurizer_params):
    """The static featurizers of the search, by name: the model's input embeddings, "Avg."
    of its last layer (fitted on the corpus) and seeded random vectors as wide.

    ``featurizer_params`` go to the `TransformerFeaturizer` that "Avg." averages.
    """
    made = {
        "input": lambda: InputTokenEmbeddings(model),
        "avg": lambda: AveragedTokenEmbeddings(
            TransformerFeaturizer(model, cache=False, **featurizer_params)
        ),
        "random": lambda: RandomTokenEmbeddings(model, dim=_hidden_size(model)),
    }
    unknown = sorted(set(featurizers) - set(made))
    if unknown:
        raise ValueError(
            f"distill_static: unknown featurizer {unknown[0]!r}; choose from {sorted(made)}."
        )
    return {name: made[name]() for name in featurizers}


def _hidden_size(model) -> int:
    return InputTokenEmbeddings(model).get_table().shape[1]


@dataclass
class DistillResult:
    """The search's outcome: the best fitted pipeline and every candidate's dev score.

    Parameters
    ----------
    best_pipeline : Pipeline
        The best candidate, fitted on the corpus; it folds into a model2vec table.
    best_name : str
        Its name in ``scores``.
    best_score : float
        Its Spearman x 100 on the dev pairs.
    scores : dict
        Candidate name -> Spearman x 100 on the dev pairs.
    """

    best_pipeline: Pipeline
    best_name: str
    best_score: float
    scores: dict  # candidate name -> Spearman x 100 on the dev pairs


def _score(embeddings: np.ndarray, gold) -> float:
    return 100.0 * sts_score(embeddings[0::2], embeddings[1::2], gold)


def _search_pooled(pooled_corpus, pooled_dev, dev_gold):
    """Each refiner fitted on the pooled corpus and scored on the pooled dev pairs."""
    for name, refiner in _refiners().items():
        if refiner == "passthrough":
            yield name, refiner, _score(pooled_dev, dev_gold)
            continue
        if getattr(refiner, "n_components", None) and refiner.n_components > min(
            pooled_corpus.shape
        ):
            continue
        fitted = clone(refiner).fit(pooled_corpus)
        yield name, fitted, _score(fitted.transform(pooled_dev), dev_gold)


def distill_static(
    model,
    corpus,
    dev_pairs,
    dev_gold,
    *,
    featurizers=("input", "avg", "random"),
    progress=False,
    **featurizer_params,
) -> DistillResult:
    """Search static pipelines of ``model`` fitted on ``corpus`` and scored on STS pairs.

    Candidates: each featurizer of `static_candidates`, a mean `TokenPooler` with each
    weighting (none, idf, SIF, uSIF) and exclusion (special tokens, and punctuation too),
    and a refiner (none, whitening, whitening to 256 dimensions, all-but-the-top 1 or 3,
    common-component removal), all fitted on ``corpus``; every candidate folds into a
    model2vec table.

    Parameters
    ----------
    model : str or path
        Hub id or local folder of the encoder.
    corpus : sequence of str
        Texts the featurizer ("Avg."), the token weights and the refiners are fitted on.
    dev_pairs : array-like of shape (n_pairs, 2)
        Sentence pairs to select on.
    dev_gold : array-like of shape (n_pairs,)
        Their gold scores.
    featurizers : sequence of str, default=("input", "avg", "random")
        Names from `static_candidates`.
    progress : bool, default=False
        Print one line per featurizer.
    **featurizer_params
        Passed to the `TransformerFeaturizer` of "Avg." (``batch_size``, ``device``, ...).

    Returns
    -------
    DistillResult
    """
    corpus = list(corpus)
    dev_texts = list(np.asarray(dev_pairs, dtype=object).ravel())
    best = (-np.inf, None, None)
    scores = {}
    for feat_name, featurizer in static_candidates(model, featurizers, **featurizer_params).items():
        featurizer.fit(corpus)
        if progress:
            print(f"distill: {feat_name} fitted, scoring its candidates", flush=True)
        corpus_tokens, dev_tokens = featurizer.transform(corpus), featurizer.transform(dev_texts)
        for weighting, exclude in itertools.product(WEIGHTINGS, EXCLUSIONS):
            pooler = TokenPooler("mean", weighting=weighting, exclude=exclude).fit(corpus_tokens)
            pooled = pooler.transform(corpus_tokens), pooler.transform(dev_tokens)
            for ref_name, refiner, score in _search_pooled(*pooled, dev_gold):
                name = f"{feat_name} | {weighting or 'mean'} | {'+'.join(exclude)} | {ref_name}"
                scores[name] = score
                if score > best[0]:
                    best = (score, name, (featurizer, pooler, refiner))
    score, name, (featurizer, pooler, refiner) = best
    pipeline = Pipeline([("tokens", featurizer), ("pool", pooler), ("refine", refiner)])
    return DistillResult(pipeline, name, float(score), scores)
