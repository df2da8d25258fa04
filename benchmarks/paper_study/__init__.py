"""The paper's comparison, rerun on the models available here with the library's public API:
plain mean pooling against the best extraction found on STS-B dev, for each model family.

For every model family (random token vectors, GloVe, a model's input token embeddings,
"Avg.", two contextual sentence models and "BERT + Avg."), the study

1. **selects** an extraction method by grid search over layers, templates, token weighting,
   token exclusion, refiners and what the learned steps are fitted on
   (``fit_on__corpus``: the task's texts or WikiText-103 sentences), scored only on the
   STS-B dev split by k-fold cross-validation (:func:`sklearn_sentemb.search.search_sts`);
2. **evaluates** the plain mean-pooling baseline and the selected method on every STS,
   clustering and classification task found in the data home
   (:func:`sklearn_sentemb.evaluation.evaluate`), reusing the configuration chosen on
   STS-B dev for clustering (with L2 normalisation before k-means) and classification;
3. **writes** ``results.md`` (a table per family, the configuration in words, isotropy
   figures, a claim-by-claim reading of the paper's four claims), ``results.csv`` (every
   number, selection and evaluation rows kept apart) and ``results.png``.

Run ``python -m benchmarks.paper_study --data-home DIR`` from the repository root
(``--quick`` for a run of a few minutes on subsampled tasks with tiny grids). The caps that
keep the full run within an hour on two CPU cores (texts per clustering task, examples per
classification split, WikiText sentences, folds) are parameters, recorded in the outputs.

One module per stage: ``settings`` (what sets the numbers), ``capping`` (the capped copy
of the data), ``families`` (pipelines and grids), ``selection``, ``evaluation``, ``tables``
(results.csv), ``report`` and ``claims`` (results.md), ``plot`` (results.png) and ``run``.
"""

from .capping import build_capped_data_home
from .families import Family, build_family, describe_config
from .run import add_arguments, main, run, run_study
from .settings import FAMILY_INFO, Corpus, StudySettings

__all__ = [
    "FAMILY_INFO",
    "Corpus",
    "Family",
    "StudySettings",
    "add_arguments",
    "build_capped_data_home",
    "build_family",
    "describe_config",
    "main",
    "run",
    "run_study",
]
