"""Fit the learned steps on WikiText (as the paper does), pickle the pipeline, reload it.

The corpus, not the task, supplies the statistics for idf weights and whitening;
`FitOn` makes that one parameter of the pipeline. Needs the WikiText-103 files in
the data home (``SKLEARN_SENTEMB_DATA`` or ``--data-home``).

Run: python examples/refiners_on_wikitext.py --data-home ../shared/data
"""

import argparse
import os
import pickle

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sklearn.pipeline import Pipeline  # noqa: E402

from sklearn_sentemb import FitOn, TokenPooler, TransformerFeaturizer, Whitening  # noqa: E402
from sklearn_sentemb.datasets import load_sts  # noqa: E402
from sklearn_sentemb.metrics import make_sts_scorer  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--data-home")
parser.add_argument("--max-texts", type=int, default=500, help="corpus lines to fit on")
args = parser.parse_args()

pipe = Pipeline(
    [
        ("fit_on", FitOn("wikitext103", data_home=args.data_home, max_texts=args.max_texts)),
        ("tokens", TransformerFeaturizer("sentence-transformers/all-MiniLM-L6-v2", max_length=128)),
        ("pool", TokenPooler("mean", weighting="idf")),
        ("refine", Whitening(n_components=256)),
    ]
)
pipe.fit([])  # the texts given to fit are ignored: the learned steps see WikiText
blob = pickle.dumps(pipe)
print(
    f"fitted on {pipe['fit_on'].n_fit_texts_} WikiText lines; pickled size {len(blob) / 1e6:.1f} MB"
)

reloaded = pickle.loads(blob)
test = load_sts("stsb", split="test")
score = make_sts_scorer()(reloaded, test.data, test.target)
print(f"STS-B test Spearman of the reloaded pipeline: {100 * score:.2f}")
