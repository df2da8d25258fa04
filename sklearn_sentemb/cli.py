"""The ``sentemb`` command (also ``python -m sklearn_sentemb``)."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import difflib
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from . import __version__
from ._models import DEFAULT_MODEL

DEMO_SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing an instrument.",
    "A woman is slicing an onion.",
    "The stock market fell sharply today.",
]
DEV_SPLITS = {"stsb": ("dev", "test"), "sickr": ("trial", "test")}


class UsageError(Exception):
    """A bad argument or missing input: exit code 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low):
    """An argparse type: an int ``>= low`` (argparse reports anything else, exit code 2)."""

    def parse(value):
        number = int(value)  # argparse says "invalid int value" for a ValueError
        if number < low:
            raise argparse.ArgumentTypeError(f"{value!r} is not an integer >= {low}")
        return number

    parse.__name__ = "int"
    return parse


def _n_jobs(value):
    number = int(value)
    if number == 0:
        raise argparse.ArgumentTypeError("0 jobs: give a positive number, or -1 for all cores")
    return number


_n_jobs.__name__ = "int"


def _layer(value):
    """An argparse type: one layer number; several layers repeat the option."""
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a layer number (0: the embeddings, -1: the last layer); "
            "repeat the option for several layers: --layers 1 --layers -1"
        ) from None


def _writable_dir(path, option) -> Path:
    """Create ``path`` (a folder for results) now, so a bad one fails before the work."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file, not a folder.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot create the folder ({exc.strerror}).") from None
    return path


def _writable_file(path, option) -> Path:
    """Check that ``path`` can be written as a file before the work that produces it."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name.")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {path.parent} does not exist.")
    return path


def _load_model(model, args, option="--model"):
    """Load ``model`` into the registry now: a folder without weights fails in one line."""
    from ._models import load_model

    try:
        load_model(model, args.device or "auto", args.dtype)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot load {option} {model}: {_one_line(exc)}") from None


# -- search ------------------------------------------------------------------------------
def _search(args) -> int:
    import joblib

    from .search import load_grid, make_search_pipeline, plot_heatmap, search_sts

    if args.task not in DEV_SPLITS:
        raise UsageError(
            f"--task must have a dev split to select on: one of {', '.join(DEV_SPLITS)}."
        )
    dev_split, test_split = DEV_SPLITS[args.task]
    grid = load_grid(args.grid)
    pipe = make_search_pipeline(args.model, cache=args.cache, progress=not args.quiet)
    _set_run_options(pipe, args, "the search pipeline")
    _check_grid_keys(grid, pipe, args.grid)
    out = _writable_dir(args.output_dir, "--output-dir")
    if args.cache is not None:
        _writable_dir(args.cache, "--cache")
    dev_pairs, dev_gold = _split_pairs(args, dev_split)
    test_pairs, test_gold = _split_pairs(args, test_split)
    _load_model(args.model, args)
    n_candidates = int(np.prod([len(v) for v in grid.values()]))
    print(
        f"Searching {n_candidates} candidates x {args.cv} folds for {args.model} on "
        f"{args.task} {dev_split} ({len(dev_pairs)} pairs); reporting on {test_split} "
        f"({len(test_pairs)} pairs).",
        flush=True,
    )
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
    joblib.dump(result.best_pipeline, out / "best_pipeline.joblib")
    result.to_csv(out / "results.csv")
    plot_heatmap(
        result.table,
        out / "heatmap.png",
        f"{args.model} on {args.task} {dev_split}",
        n_pairs=len(dev_pairs),
        cv=args.cv,
    )
    _print_ranking(result, args, dev_split, test_split)
    print(f"Wrote {out / 'best_pipeline.joblib'}, {out / 'results.csv'}, {out / 'heatmap.png'}")
    return 0


def _split_pairs(args, split):
    """The pairs and gold of one split of the search task, cut to --max-pairs."""
    from .datasets import load_sts

    data = load_sts(args.task, split=split, data_home=args.data_home)
    return _limit(data.data, data.target, args.max_pairs)


def _print_ranking(result, args, dev_split, test_split) -> None:
    """The --top candidates by dev score, then the best one's dev and test scores."""
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


def _set_run_options(estimator, args, source) -> None:
    """Give the run options (--batch-size, --device, --dtype, --backend, --quantize) to every
    TransformerFeaturizer of ``estimator``."""
    options = {name: getattr(args, name) for name in _RUN_OPTIONS}
    options = {name: value for name, value in options.items() if value is not None}
    if not options:
        return
    featurizers = _featurizers(estimator)
    if not featurizers:
        flags = ", ".join("--" + name.replace("_", "-") for name in options)
        raise UsageError(
            f"{flags}: {source} runs no transformer model (it holds no TransformerFeaturizer)."
        )
    for featurizer in featurizers:
        featurizer.set_params(**options)


def _featurizers(estimator) -> list:
    """Every TransformerFeaturizer in ``estimator``: its parameters, and the fitted copies that
    steps such as TokenMixer keep in attributes ending in ``_`` (``first_``, ``featurizer_``)."""
    from ._featurize import TransformerFeaturizer

    found, seen, todo = [], set(), [estimator]
    while todo:
        item = todo.pop()
        if isinstance(item, (list, tuple)):
            todo += item
            continue
        if not hasattr(item, "get_params") or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, TransformerFeaturizer):
            found.append(item)
        todo += item.get_params(deep=False).values()
        fitted = getattr(item, "__dict__", {}).items()
        todo += [v for k, v in fitted if k.endswith("_") and not k.startswith("_")]
    return found


def _limit(pairs, gold, n):
    return (pairs, gold) if n is None else (pairs[:n], gold[:n])


def _check_grid_keys(grid, pipe, name) -> None:
    """Refuse grid keys the search pipeline does not have, before any work."""
    valid = pipe.get_params(deep=True)
    for key in grid:
        if key not in valid:
            close = difflib.get_close_matches(key, list(valid), n=1)
            hint = "a key is a step (fit_on, tokens, pool, refine) or step__parameter"
            if close:
                hint = f"did you mean {close[0]!r}?"
            raise UsageError(f"grid {name}: unknown parameter {key!r}; {hint}")


# -- embed -------------------------------------------------------------------------------
def _embed(args) -> int:
    """Embed a file of any length, one chunk of lines at a time, into .npy or Parquet."""
    pipeline = _load_pipeline(args.pipeline)
    _set_run_options(pipeline, args, f"pipeline file {args.pipeline}")
    output = Path(args.output)
    if output.suffix not in (".npy", ".parquet"):  # what np.save would do: say the truth
        output = output.with_name(output.name + ".npy")
    output = _writable_file(output, "--output")
    with contextlib.ExitStack() as stack:
        if args.input == "-":
            name, path = "stdin", _spool_stdin(stack)
        else:
            path = Path(args.input)
            if not path.is_file():
                raise UsageError(f"input file {path} does not exist.")
            name = f"input file {path}"
        n_texts = _count_lines(path, name)
        partial = output.with_name(output.name + ".partial")
        writer = stack.enter_context(_EmbeddingWriter(partial, n_texts))
        bar = stack.enter_context(_progress(n_texts, quiet=args.quiet))
        for texts in _read_chunks(path, name):
            writer.write(_as_matrix(pipeline.transform(texts), len(texts), args.pipeline))
            bar.update(len(texts))
    os.replace(partial, output)  # a complete file, or none
    print(f"Wrote {n_texts} x {writer.dim} embeddings to {output}", file=sys.stderr)
    return 0


def _spool_stdin(stack) -> Path:
    """Copy stdin to a temporary file (read twice: to count the lines, then to embed)."""
    import shutil
    import tempfile

    spool = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".txt"))
    stdin = sys.stdin
    if hasattr(stdin, "buffer"):
        shutil.copyfileobj(stdin.buffer, spool)
    else:  # a text stream without bytes beneath (e.g. replaced in tests)
        spool.write(stdin.read().encode())
    spool.flush()
    return Path(spool.name)


def _progress(total: int, quiet: bool):
    from tqdm.auto import tqdm

    # A bar for long inputs only, on stderr, never with --quiet.
    return tqdm(total=total, unit="text", desc="sentemb embed", disable=quiet or total < 5000)


def _count_lines(path: Path, name: str) -> int:
    """Lines of the file (a last line without a line break counts), read in blocks."""
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    n += last != b"\n"
    if n == 0:
        raise UsageError(f"{name} is empty; give one text per line.")
    return n


def _read_chunks(path: Path, name: str):
    """The texts of each chunk of ``CHUNK_SIZE`` lines of the file, checked line by line."""
    from ._tokens import CHUNK_SIZE

    with open(path, "rb") as f:
        first, lines = 1, []
        for line in f:
            lines.append(line)
            if len(lines) == CHUNK_SIZE:
                yield _read_texts(b"".join(lines), name, first)
                first, lines = first + CHUNK_SIZE, []
        if lines:
            yield _read_texts(b"".join(lines), name, first)


class _EmbeddingWriter:
    """Rows written chunk by chunk: a memory-mapped .npy (its shape known from the line
    count) or a Parquet file with one ``embedding`` column of fixed-size float32 lists."""

    def __init__(self, path: Path, n_rows: int):
        self.path, self.n_rows, self.dim, self.row = path, n_rows, None, 0
        self.parquet = path.name.endswith(".parquet.partial")
        self._out = None

    def __enter__(self):
        return self

    def write(self, embeddings: np.ndarray) -> None:
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        if self._out is None:
            self.dim = embeddings.shape[1]
            self._out = self._open()
        if self.parquet:
            import pyarrow as pa

            column = pa.FixedSizeListArray.from_arrays(pa.array(embeddings.ravel()), self.dim)
            self._out.write_table(pa.table({"embedding": column}))
        else:
            self._out[self.row : self.row + len(embeddings)] = embeddings
        self.row += len(embeddings)

    def _open(self):
        if not self.parquet:
            return np.lib.format.open_memmap(
                self.path, mode="w+", dtype=np.float32, shape=(self.n_rows, self.dim)
            )
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise UsageError("--output FILE.parquet needs pyarrow: pip install pyarrow") from None
        schema = pa.schema([("embedding", pa.list_(pa.float32(), self.dim))])
        return pq.ParquetWriter(self.path, schema)

    def __exit__(self, exc_type, *_):
        if self._out is not None:
            if self.parquet:
                self._out.close()
            else:
                self._out.flush()
            self._out = None
        if exc_type is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
        return False


def _read_texts(data: bytes, name: str, first_line: int = 1) -> list[str]:
    r"""One text per line of UTF-8 ``data``: lines end in "\n" or "\r\n"; none may be empty.

    ``first_line`` is the number of ``data``'s first line in its file, for the messages.
    """
    if first_line == 1 and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        lineno = data.count(b"\n", 0, data.index(b"\x00")) + first_line
        raise UsageError(f"{name}, line {lineno}: NUL byte; this is not a text file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = data.count(b"\n", 0, exc.start) + first_line
        raise UsageError(f"{name}, line {lineno}: not UTF-8 text ({exc.reason}).") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines:
        raise UsageError(f"{name} is empty; give one text per line.")
    texts = [line[:-1] if line.endswith("\r") else line for line in lines]
    for lineno, line in enumerate(texts, start=first_line):
        if not line.strip():
            raise UsageError(f"{name}, line {lineno} is empty; give one text per line.")
    return texts


def _as_matrix(out, n_texts: int, source) -> np.ndarray:
    """``out`` as an ``(n_texts, d)`` numeric array, or a UsageError saying what it is."""
    if hasattr(out, "toarray"):  # a sparse matrix
        out = out.toarray()
    try:
        matrix = np.asarray(out)
    except (TypeError, ValueError):
        matrix = None
    if (
        matrix is None
        or matrix.dtype.kind not in "biuf"
        or matrix.ndim != 2
        or matrix.shape[0] != n_texts
    ):
        what = type(out).__name__ if matrix is None else f"an array of shape {matrix.shape}"
        raise UsageError(
            f"pipeline {source} gives {what} for {n_texts} texts, not one row of numbers per "
            "text; does it end in a pooler?"
        )
    return matrix


def _load_pipeline(path):
    import joblib

    if not Path(path).is_file():
        raise UsageError(f"pipeline file {path} does not exist (make one with `sentemb search`).")
    try:
        pipeline = joblib.load(path)
    except Exception as exc:  # joblib/pickle raise many types for a file that is not theirs
        raise UsageError(
            f"pipeline file {path} cannot be read with joblib ({_one_line(exc, typed=True)})."
        ) from None
    if not callable(getattr(pipeline, "transform", None)):
        raise UsageError(
            f"pipeline file {path} holds a {type(pipeline).__name__}, not an estimator with "
            "transform() (save a fitted pipeline with joblib.dump, or use `sentemb search`)."
        )
    return pipeline


# -- evaluate ----------------------------------------------------------------------------
def _evaluate(args) -> int:
    from .evaluation import evaluate, format_table

    if (args.pipeline is None) == (args.recipe is None):
        raise UsageError("give either a saved pipeline file or --recipe NAME.")
    if args.output:
        _writable_file(args.output, "--output")
    if args.recipe is not None:
        from .recipes import make_recipe

        embedder = make_recipe(args.recipe, model=args.model)
        _set_run_options(embedder, args, f"recipe {args.recipe}")
        fit_on = args.fit_on or "task"
    else:
        embedder = _load_pipeline(args.pipeline)
        _set_run_options(embedder, args, f"pipeline file {args.pipeline}")
        fit_on = args.fit_on or "none"
    results = evaluate(
        embedder, tasks=args.tasks, data_home=args.data_home, fit_on=fit_on, progress=True
    )
    if len(results) == 0:  # every task was skipped: a table of nothing is not a success
        missing = ", ".join(getattr(results, "attrs", {}).get("skipped") or args.tasks)
        raise UsageError(f"nothing evaluated: the data of {missing} is missing (see --data-home).")
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
    for i, text in enumerate(sentences):
        if not text.strip():
            raise UsageError(f"sentence {i + 1} is empty.")
    layers = args.layers or [-1]
    _load_model(args.model, args)
    pipe = make_pipeline(TransformerFeaturizer(args.model, layers=layers), TokenPooler("mean"))
    _set_run_options(pipe, args, "the similarity pipeline")
    X = pipe.fit_transform(sentences)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    sims = (X / np.where(norms > 0, norms, 1)) @ (X / np.where(norms > 0, norms, 1)).T
    print(f"Cosine similarity, {args.model}, layers {layers}, mean pooling\n")
    for i, text in enumerate(sentences):
        print(f"[{i}] {text}")
    print("\n     " + "".join(f"{j:>7}" for j in range(len(sentences))))
    for i, row in enumerate(sims):
        print(f"[{i}]  " + "".join(f"{v:7.3f}" for v in row))
    return 0


# -- parser ------------------------------------------------------------------------------
#: How the transformer model runs: TransformerFeaturizer parameter -> its option's settings.
_RUN_OPTIONS = {
    "batch_size": {"type": _int_at_least(1), "help": "texts per forward pass (featurizer: 32)"},
    "device": {
        "help": "torch device: cpu, cuda, cuda:1, mps, auto (featurizer: auto, CUDA if any)"
    },
    "dtype": {
        "choices": ("float32", "float16", "bfloat16", "auto"),
        "help": "model weights' dtype (featurizer: float32; auto: bfloat16 on CPUs with AMX, "
        "on AMD CPUs with AVX512-BF16 and on CUDA, else float32); outputs are float32",
    },
    "backend": {
        "choices": ("torch", "onnx"),
        "help": "what runs the encoder (featurizer: torch; onnx needs sklearn-sentemb[onnx])",
    },
    "quantize": {
        "choices": ("int8",),
        "help": "dynamic int8 quantisation of the ONNX graph (with --backend onnx)",
    },
}


def _add_run_options(parser) -> None:
    """The run options: how the transformer model runs (see _set_run_options)."""
    group = parser.add_argument_group(
        "running the model", "given to every TransformerFeaturizer (default: its own setting)"
    )
    for name, settings in _RUN_OPTIONS.items():
        group.add_argument("--" + name.replace("_", "-"), **settings)


def build_parser() -> argparse.ArgumentParser:
    """The ``sentemb`` parser: one sub-command per task, ``func`` set to its runner."""
    parser = _Parser(
        prog="sentemb",
        description="Sentence embeddings from pretrained transformers, as scikit-learn pipelines.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    for name, (add_arguments, run, summary, description) in _COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=description)
        add_arguments(command)
        _add_run_options(command)
        command.set_defaults(func=run)
    return parser


def _add_search(search) -> None:
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
    search.add_argument(
        "--cv", type=_int_at_least(2), default=3, help="folds on the dev split (default: 3)"
    )
    search.add_argument(
        "--max-pairs", type=_int_at_least(1), help="use only the first N pairs of each split"
    )
    search.add_argument(
        "--cache",
        help="folder for a disk cache of hidden states (reused across runs); default: in "
        "memory, and a temporary folder that --n-jobs workers share",
    )
    search.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="parallel candidates (-1: all cores); the worker processes share hidden states "
        "(each text runs about once, whichever worker needs it)",
    )
    search.add_argument(
        "--output-dir",
        default="sentemb_output",
        help="where to write results (default: %(default)s)",
    )
    search.add_argument(
        "--top", type=_int_at_least(0), default=10, help="rows of the ranked table to print"
    )
    search.add_argument("--quiet", action="store_true", help="no progress output")


def _add_evaluate(evaluate) -> None:
    from .evaluation import FAMILIES, TASKS

    evaluate.add_argument("pipeline", nargs="?", help="a pipeline saved with joblib")
    evaluate.add_argument("--recipe", help="a named recipe instead of a saved pipeline")
    evaluate.add_argument("--model", default=DEFAULT_MODEL, help="model of the recipe")
    evaluate.add_argument(
        "--tasks",
        nargs="+",
        default=["sts"],
        metavar="TASK",
        help=f"tasks or families (default: sts). Families: {', '.join([*FAMILIES, 'all'])}. "
        f"Tasks: {', '.join(TASKS)}",
    )
    evaluate.add_argument(
        "--fit-on",
        help="fit learned steps on: task, none, or a corpus "
        "name such as wikitext103 (default: none for a saved pipeline, "
        "task for a recipe)",
    )
    evaluate.add_argument("--data-home", help="folder of the data sets")
    evaluate.add_argument("--output", help="CSV file for the results table")


def _add_embed(embed) -> None:
    embed.add_argument("pipeline", help="a fitted pipeline saved with joblib")
    embed.add_argument("input", help="text file, one text per line, or - for stdin")
    embed.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file: .npy (numpy; '.npy' is added to other names) or .parquet (one "
        "'embedding' column of fixed-size float32 lists)",
    )
    embed.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_similarity(sim) -> None:
    sim.add_argument("sentences", nargs="*", help="texts to compare (default: a demo set)")
    sim.add_argument("--model", default=DEFAULT_MODEL, help="hub id or local model folder")
    sim.add_argument(
        "--layers",
        type=_layer,
        action="append",
        metavar="LAYER",
        help="a hidden layer to average (0: embeddings, -1: the last); repeat for several: "
        "--layers 1 --layers -1 (default: -1)",
    )


# -- export and distill --------------------------------------------------------------------
#: ``--format`` of ``sentemb export`` -> the exporter's name in sklearn_sentemb.export.
_EXPORT_FORMATS = {"sentence-transformers": "to_sentence_transformers", "model2vec": "to_model2vec"}


def _export(args) -> int:
    from . import export

    pipeline = _load_pipeline(args.pipeline)
    out = _writable_dir(args.output_dir, "OUT_DIR")
    getattr(export, _EXPORT_FORMATS[args.format])(pipeline, out)
    print(f"Wrote the {args.format} model of {args.pipeline} to {out}")
    return 0


def _distill(args) -> int:
    from .export._distill_report import run_distill

    out = _writable_dir(args.output_dir, "--output-dir")
    _load_model(args.model, args)
    run_distill(args, out)
    return 0


def _add_export(export) -> None:
    export.add_argument("pipeline", help="a fitted pipeline saved with joblib")
    export.add_argument("output_dir", metavar="OUT_DIR", help="folder to write the model to")
    export.add_argument(
        "--format",
        choices=sorted(_EXPORT_FORMATS),
        default="sentence-transformers",
        help="sentence-transformers (any pipeline that exports) or model2vec (static "
        "pipelines that fold into one token table); default: %(default)s",
    )


def _add_distill(distill) -> None:
    distill.add_argument("--model", default=DEFAULT_MODEL, help="hub id or local model folder")
    distill.add_argument(
        "--corpus",
        default="wikitext103",
        help="texts to fit on: wikitext103 (from --data-home) or a text file, one text per "
        "line (default: %(default)s)",
    )
    distill.add_argument(
        "--corpus-size",
        type=_int_at_least(10),
        default=5_000,
        help="sentences of the corpus to fit on (default: %(default)s)",
    )
    distill.add_argument("--data-home", help="folder of the data sets")
    distill.add_argument(
        "--featurizers",
        nargs="+",
        default=["input", "avg", "random"],
        choices=["input", "avg", "random"],
        help="static token featurizers to search (default: all three)",
    )
    distill.add_argument(
        "--output-dir",
        default="sentemb_distilled",
        help="folder of the exported model2vec model (default: %(default)s)",
    )
    distill.add_argument(
        "--no-compare",
        action="store_true",
        help="do not run model2vec.distill of the same model beside it",
    )
    distill.add_argument("--quiet", action="store_true", help="no progress output")


#: Each sub-command: its options, what runs it, its line in ``sentemb --help`` and its
#: description in ``sentemb COMMAND --help``.
_COMMANDS = {
    "search": (
        _add_search,
        _search,
        "grid-search extraction choices on an STS dev split (the default command)",
        "Grid-search layers, pooling and refiners for a model on an STS task's dev split, "
        "report the best on its test split, and write the best fitted pipeline (joblib), every "
        "candidate's score (CSV) and a heatmap (PNG).",
    ),
    "evaluate": (
        _add_evaluate,
        _evaluate,
        "run the STS / clustering / classification suite for a pipeline or recipe",
        "Evaluate a saved pipeline (or a named recipe) on the evaluation suite, print the "
        "table and optionally write it as CSV.",
    ),
    "embed": (
        _add_embed,
        _embed,
        "embed a text file (one text per line) or stdin into a .npy or Parquet file",
        "Embed each line of a UTF-8 text file (or of stdin, with '-') with a saved pipeline "
        "and save the (n, d) float32 array: row i is line i, so no line may be empty. The "
        "file is read and written a chunk of lines at a time, so memory stays bounded "
        "whatever its length; the output appears only when complete.",
    ),
    "export": (
        _add_export,
        _export,
        "export a fitted pipeline as a sentence-transformers or model2vec folder",
        "Write a fitted pipeline (joblib) as a folder that SentenceTransformer(folder) or "
        "model2vec's StaticModel.from_pretrained(folder) loads. Static pipelines fold into "
        "one token table; a contextual one needs sklearn-sentemb installed where it loads "
        "(trust_remote_code=True).",
    ),
    "distill": (
        _add_distill,
        _distill,
        "search static recipes on STS-B dev and export the best as a model2vec folder",
        "Search static pipelines of a model (input embeddings, Avg., random; token "
        "weighting, exclusion, whitening or all-but-the-top) fitted on a corpus, select on "
        "STS-B dev, export the best as a model2vec folder and print its STS-B test score and "
        "encode speed, beside model2vec.distill of the same model when that is installed.",
    ),
    "similarity": (
        _add_similarity,
        _similarity,
        "embed a few sentences and print their cosine similarities",
        None,
    ),
}


def _one_line(exc: BaseException, typed: bool = False) -> str:
    """The message of ``exc`` on one line (its type name too with ``typed``)."""
    message = " ".join(str(exc).split())
    if typed or not message:
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return message


@contextlib.contextmanager
def _one_line_warnings(command):
    """Show each warning as one ``sentemb COMMAND: warning: ...`` line, not two with source."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"sentemb {command}: warning: {' '.join(str(message).split())}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def main(argv=None) -> int:
    """Run ``sentemb``; every failure is one line on stderr and a non-zero exit code.

    Exit codes: 0 success, 2 a bad argument or input (argparse's own errors too), 1 any
    other failure, 130 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["search", *argv]  # `sentemb [search options]` runs the default search
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    prefix = f"sentemb {args.command}: error:"
    with _one_line_warnings(args.command):
        try:
            return args.func(args)
        except (UsageError, ValueError, TypeError, FileNotFoundError) as exc:
            print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"sentemb {args.command}: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # e.g. `sentemb similarity | head -1`
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        except Exception as exc:
            print(f"{prefix} {_one_line(exc, typed=True)}", file=sys.stderr)
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
