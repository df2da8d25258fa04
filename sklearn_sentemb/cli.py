"""The ``sentemb`` command."""

from __future__ import annotations

import argparse
import sys

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEMO_SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing an instrument.",
    "A woman is slicing an onion.",
    "The stock market fell sharply today.",
]


def _similarity(args) -> int:
    from sklearn.pipeline import make_pipeline

    from . import TokenPooler, TransformerFeaturizer

    sentences = args.sentences or DEMO_SENTENCES
    pipe = make_pipeline(TransformerFeaturizer(args.model, layers=args.layers), TokenPooler("mean"))
    X = pipe.fit_transform(sentences)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    X = X / np.where(norms > 0, norms, 1)
    sims = X @ X.T
    print(f"Cosine similarity, {args.model}, layers {args.layers}, mean pooling\n")
    for i, text in enumerate(sentences):
        print(f"[{i}] {text}")
    print("\n     " + "".join(f"{j:>7}" for j in range(len(sentences))))
    for i, row in enumerate(sims):
        print(f"[{i}]  " + "".join(f"{v:7.3f}" for v in row))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sentemb", description="Sentence embeddings from pretrained transformers."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sim = commands.add_parser(
        "similarity", help="embed sentences and print their cosine similarities"
    )
    sim.add_argument("sentences", nargs="*", help="texts to compare (default: a demo set)")
    sim.add_argument("--model", default=DEFAULT_MODEL, help="hub id or local model folder")
    sim.add_argument(
        "--layers",
        type=int,
        nargs="+",
        default=[-1],
        help="hidden layers to average (0: embeddings)",
    )
    sim.set_defaults(func=_similarity)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"sentemb: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
