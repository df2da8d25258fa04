"""Evaluate one embedding method on the three task families of the paper.

STS (Spearman of cosine), short-text clustering (k-means accuracy / NMI) and
classification (logistic regression on frozen embeddings), with the learned steps
fitted on each task's own texts. Tasks whose files are missing are skipped.

Run: python examples/evaluate_three_families.py --data-home ../shared/data
"""

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_sentemb import TokenPooler, TransformerFeaturizer  # noqa: E402
from sklearn_sentemb.evaluation import evaluate, format_table  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--data-home")
parser.add_argument(
    "--tasks",
    nargs="+",
    default=["stsb", "sickr", "tweet", "trec", "mrpc"],
    help="task names or families (sts, clustering, classification, all)",
)
args = parser.parse_args()

embedder = make_pipeline(
    TransformerFeaturizer("sentence-transformers/all-MiniLM-L6-v2", layers=[1, -1]),
    TokenPooler("mean"),
    StandardScaler(),
)
results = evaluate(embedder, tasks=args.tasks, data_home=args.data_home, fit_on="task")
print(format_table(results))
