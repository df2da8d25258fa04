"""The ``sentemb`` command (also ``python -m sklearn_sentemb``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEMO_SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing an instrument.",
    "A woman is slicing an onion.",
    "The stock market fell sharply today.",
]
DEV_SPLITS = {"stsb": ("dev", "test"), "sickr": ("trial", "test")}


class UsageError(Exception):
    """A bad argument or missing input: exit code 2 with a one-line message."""


# -- search ------------------------------------------------------------------------------
def _search(args) -> int:
    import joblib

    from .datasets import load_sts
    from .search import load_grid, make_search_pipeline, plot_heatmap, search_sts

    if args.task not in DEV_SPLITS:
        raise UsageError(
            f"--task must have a dev split to select on: one of {', '.join(DEV_SPLITS)}."
        )
    dev_split, test_split = DEV_SPLITS[args.task]
    dev = load_sts(args.task, split=dev_split, data_home=args.data_home)
    test = load_sts(args.task, split=test_split, data_home=args.data_home)
    dev_pairs, dev_gold = _limit(dev.data, dev.target, args.max_pairs)
    test_pairs, test_gold = _limit(test.data, test.target, args.max_pairs)
    grid = load_grid(args.grid)
    n_candidates = int(np.prod([len(v) for v in grid.values()]))
    print(
        f"Searching {n_candidates} candidates x {args.cv} folds for {args.model} on "
        f"{args.task} {dev_split} ({len(dev_pairs)} pairs); reporting on {test_split} "
        f"({len(test_pairs)} pairs).",
        flush=True,
    )
    pipe = make_search_pipeline(args.model, cache=args.cache, progress=not args.quiet)
    result = search_sts(
        pipe,
        grid,
        dev_pairs,
        dev_gold,
        test_pairs=test_pairs,
        test_gold=test_gold,
        cv=args.cv,
        n_jobs=args.n_jobs,
        verbose=0 if args.quiet else 1,
    )
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(result.best_pipeline, out / "best_pipeline.joblib")
    result.to_csv(out / "results.csv")
    plot_heatmap(result.table, out / "heatmap.png", f"{args.model} on {args.task} {dev_split}")

    print(f"\n{'rank':>4}  {'dev Spearman':>12}  configuration")
    for row in result.table[: args.top]:
        config = ", ".join(
            f"{k.split('__')[-1]}={v}"
            for k, v in row.items()
            if k not in ("rank", "dev_spearman", "dev_std")
        )
        print(f"{row['rank']:>4}  {100 * row['dev_spearman']:>12.2f}  {config}")
    print(
        f"\nBest on {args.task} {dev_split} (mean over {args.cv} folds): "
        f"{100 * result.search.best_score_:.2f}; refitted on all of {dev_split}, "
        f"{args.task} {test_split}: {100 * result.test_score:.2f} (Spearman x 100)."
    )
    print(f"Wrote {out / 'best_pipeline.joblib'}, {out / 'results.csv'}, {out / 'heatmap.png'}")
    return 0


def _limit(pairs, gold, n):
    return (pairs, gold) if n is None else (pairs[:n], gold[:n])


# -- embed -------------------------------------------------------------------------------
def _embed(args) -> int:
    pipeline = _load_pipeline(args.pipeline)
    if args.input == "-":
        texts = sys.stdin.read().splitlines()
    else:
        path = Path(args.input)
        if not path.is_file():
            raise UsageError(f"input file {path} does not exist.")
        texts = path.read_text(encoding="utf-8").splitlines()
    embeddings = np.asarray(pipeline.transform(texts))
    np.save(args.output, embeddings)
    print(
        f"Wrote {embeddings.shape[0]} x {embeddings.shape[1]} embeddings to {args.output}",
        file=sys.stderr,
    )
    return 0


def _load_pipeline(path):
    import joblib

    if not Path(path).is_file():
        raise UsageError(f"pipeline file {path} does not exist (make one with `sentemb search`).")
    return joblib.load(path)


# -- evaluate ----------------------------------------------------------------------------
def _evaluate(args) -> int:
    from .evaluation import evaluate, format_table

    if (args.pipeline is None) == (args.recipe is None):
        raise UsageError("give either a saved pipeline file or --recipe NAME.")
    if args.recipe is not None:
        from .recipes import make_recipe

        embedder = make_recipe(args.recipe, model=args.model)
        fit_on = args.fit_on or "task"
    else:
        embedder = _load_pipeline(args.pipeline)
        fit_on = args.fit_on or "none"
    results = evaluate(
        embedder, tasks=args.tasks, data_home=args.data_home, fit_on=fit_on, progress=True
    )
    print(format_table(results))
    if args.output:
        _to_frame(results).to_csv(args.output, index=False)
        print(f"Wrote {args.output}")
    return 0


def _to_frame(results):
    import pandas as pd

    return results if isinstance(results, pd.DataFrame) else pd.DataFrame(results)


# -- similarity --------------------------------------------------------------------------
def _similarity(args) -> int:
    from sklearn.pipeline import make_pipeline

    from . import TokenPooler, TransformerFeaturizer

    sentences = args.sentences or DEMO_SENTENCES
    pipe = make_pipeline(TransformerFeaturizer(args.model, layers=args.layers), TokenPooler("mean"))
    X = pipe.fit_transform(sentences)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    sims = (X / np.where(norms > 0, norms, 1)) @ (X / np.where(norms > 0, norms, 1)).T
    print(f"Cosine similarity, {args.model}, layers {args.layers}, mean pooling\n")
    for i, text in enumerate(sentences):
        print(f"[{i}] {text}")
    print("\n     " + "".join(f"{j:>7}" for j in range(len(sentences))))
    for i, row in enumerate(sims):
        print(f"[{i}]  " + "".join(f"{v:7.3f}" for v in row))
    return 0


# -- study -------------------------------------------------------------------------------
def _study(args) -> int:
    from .study import run

    return run(args)


# -- parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sentemb",
        description="Sentence embeddings from pretrained transformers, as scikit-learn pipelines.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    search = commands.add_parser(
        "search",
        help="grid-search extraction choices on an STS dev split (the default command)",
        description="Grid-search layers, pooling and refiners for a model on an STS task's dev "
        "split, report the best on its test split, and write the best fitted pipeline "
        "(joblib), every candidate's score (CSV) and a heatmap (PNG).",
    )
    search.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="Hugging Face hub id or local model folder (default: %(default)s)",
    )
    search.add_argument(
        "--task",
        default="stsb",
        help="STS task with a dev split: stsb or sickr "
        "(default: %(default)s; STS-B ships with the package)",
    )
    search.add_argument(
        "--grid",
        default="default",
        help="a named grid (default, quick) or a JSON file mapping parameters "
        "(tokens__layers, pool__method, refine, fit_on__corpus, ...) to lists; "
        "refiners by name: none, whitening, zca, abtt, ccr, zscore, quantile, l2",
    )
    search.add_argument(
        "--data-home",
        help="folder of the data sets (default: "
        "$SKLEARN_SENTEMB_DATA or ~/sentemb_data; bundled STS-B as fallback)",
    )
    search.add_argument("--cv", type=int, default=3, help="folds on the dev split (default: 3)")
    search.add_argument("--max-pairs", type=int, help="use only the first N pairs of each split")
    search.add_argument(
        "--cache",
        help="folder for a disk cache of hidden states (reused across runs); default: in memory",
    )
    search.add_argument("--n-jobs", type=int, default=None, help="parallel candidates")
    search.add_argument(
        "--output-dir",
        default="sentemb_output",
        help="where to write results (default: %(default)s)",
    )
    search.add_argument("--top", type=int, default=10, help="rows of the ranked table to print")
    search.add_argument("--quiet", action="store_true", help="no progress output")
    search.set_defaults(func=_search)

    evaluate = commands.add_parser(
        "evaluate",
        help="run the STS / clustering / classification suite for a pipeline or recipe",
        description="Evaluate a saved pipeline (or a named recipe) on the evaluation suite, "
        "print the table and optionally write it as CSV.",
    )
    evaluate.add_argument("pipeline", nargs="?", help="a pipeline saved with joblib")
    evaluate.add_argument("--recipe", help="a named recipe instead of a saved pipeline")
    evaluate.add_argument("--model", default=DEFAULT_MODEL, help="model of the recipe")
    evaluate.add_argument(
        "--tasks",
        nargs="+",
        default=["sts"],
        help="tasks or families (sts, clustering, classification, all)",
    )
    evaluate.add_argument(
        "--fit-on",
        help="fit learned steps on: task, none, or a corpus "
        "name such as wikitext103 (default: none for a saved pipeline, "
        "task for a recipe)",
    )
    evaluate.add_argument("--data-home", help="folder of the data sets")
    evaluate.add_argument("--output", help="CSV file for the results table")
    evaluate.set_defaults(func=_evaluate)

    embed = commands.add_parser(
        "embed",
        help="embed a text file (one text per line) or stdin into a .npy file",
        description="Embed each line of a text file (or of stdin, with '-') with a saved "
        "pipeline and save the (n, d) array with numpy.",
    )
    embed.add_argument("pipeline", help="a fitted pipeline saved with joblib")
    embed.add_argument("input", help="text file, one text per line, or - for stdin")
    embed.add_argument("-o", "--output", required=True, help="output .npy file")
    embed.set_defaults(func=_embed)

    sim = commands.add_parser(
        "similarity", help="embed a few sentences and print their cosine similarities"
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

    from .study import add_arguments as add_study_arguments

    study = commands.add_parser(
        "study",
        help="rerun the paper's comparison: mean pooling vs the best extraction per model family",
        description="For each model family, select the best extraction on STS-B dev, evaluate "
        "it and plain mean pooling on every STS, clustering and classification task, and write "
        "results.md, results.csv and results.png (see benchmarks/study.py).",
    )
    add_study_arguments(study)
    study.set_defaults(func=_study)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `sentemb` alone runs the default search
        args = parser.parse_args(["search", *(argv or [])])
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return args.func(args)
    except (UsageError, ValueError, FileNotFoundError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"sentemb {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
