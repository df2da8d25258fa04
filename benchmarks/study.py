"""Rerun the paper's comparison on the models available here, and write the results.

For each model family (random token vectors, GloVe, all-MiniLM-L6-v2 input embeddings, Avg.,
paraphrase-MiniLM-L3-v2, all-MiniLM-L6-v2, BERT + Avg.) it selects the best extraction on
STS-B dev, evaluates it and plain mean pooling on every STS, clustering and classification
task in the data folder, and writes ``results.md``, ``results.csv`` and ``results.png``
(default: ``docs/``). The work is done by :mod:`sklearn_sentemb.study`; ``sentemb study``
runs the same thing.

Run:
    python benchmarks/study.py --data-home /work/shared/data          # full (under an hour)
    python benchmarks/study.py --quick --output-dir /tmp/study_quick  # a few minutes
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # every model is installed locally

from sklearn_sentemb.study import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
