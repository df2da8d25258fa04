"""The original SentEval toolkit's numbers for two encoders (``../shared/data/REFERENCE.md``).

SentEval (commit 5d6dc117), Spearman x 100 of cosine similarity. Yearly tasks: the
``(mean, wmean, all)`` conventions; STS-B and SICK-R: the test split. The encoders:
``"minilm"``, all-MiniLM-L6-v2 mean over all tokens; ``"random"``, the tokenizer's random
token vectors (``default_rng(0)``, 384-d) averaged without special tokens. The tests, the
evaluation benchmark and the paper study all read them from here.
"""

SENTEVAL_REFERENCE = {
    "minilm": {
        "sts12": (70.00, 71.06, 72.37),
        "sts13": (74.46, 78.97, 80.60),
        "sts14": (75.94, 77.23, 75.60),
        "sts15": (83.40, 83.84, 85.39),
        "stsb": 82.03,
        "sickr": 77.15,
    },
    "random": {
        "sts12": (47.04, 46.65, 34.66),
        "sts13": (39.26, 47.81, 48.94),
        "sts14": (56.32, 56.78, 48.26),
        "sts15": (58.89, 61.31, 61.68),
        "stsb": 46.53,
        "sickr": 54.26,
    },
}
#: The order of the three numbers of a yearly task.
CONVENTIONS = ("mean", "wmean", "all")
