"""BERT2Static training on WikiText-103 valid+test: time, peak memory and tokens/s.

The baseline is ``AveragedTokenEmbeddings.fit`` ("Avg.") on the same sentences with the same
teacher: the other table this library learns from a model over a corpus, one forward pass per
sentence as well. The ratio says what the training adds to the teacher's pass.

Run from the repository root:
``python -m benchmarks.bench_b2s --data-home DIR [--max-sentences N] [--epochs E]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--max-sentences", type=int, default=None, help="default: all")
    parser.add_argument(
        "--epochs", type=int, default=None, help="default: the b2s recipe's (B2S_TRAINING)"
    )
    parser.add_argument("--batch-size", type=int, default=64, help="teacher texts per pass")
    args = parser.parse_args(argv)

    import torch

    from sklearn_sentemb import AveragedTokenEmbeddings, BERT2Static, TransformerFeaturizer
    from sklearn_sentemb.datasets import load_corpus
    from sklearn_sentemb.recipes import B2S_TRAINING

    training = {**B2S_TRAINING, **({"epochs": args.epochs} if args.epochs else {})}

    sentences = load_corpus(
        "wikitext103",
        data_home=args.data_home,
        sentence_split=True,
        max_sentences=args.max_sentences,
    )
    b2s = BERT2Static(
        corpus=sentences,
        **training,
        teacher_batch_size=args.batch_size,
        device="cpu",
        progress=True,
    )
    teacher, loaded = b2s._teacher()  # the model loaded once, before the figures
    teacher.transform(["warm up"])
    before = _peak_mib()

    # The phases of fit through the step's own helpers, so that the teacher's pass and the
    # training are timed apart.
    start = time.perf_counter()
    units = b2s._contexts(None)
    contexts, ids, offsets = b2s._teach(teacher, units)
    teach_s = time.perf_counter() - start
    start = time.perf_counter()
    fitted = b2s._train(contexts, ids, offsets, len(loaded.vocabulary))
    train_s = time.perf_counter() - start
    peak = _peak_mib()

    start = time.perf_counter()
    featurizer = TransformerFeaturizer(cache=False, batch_size=args.batch_size, device="cpu")
    AveragedTokenEmbeddings(featurizer).fit(sentences)
    avg_s = time.perf_counter() - start

    n_tokens = len(ids)
    total = teach_s + train_s
    print(f"corpus: {len(sentences)} WikiText-103 valid+test sentences, {n_tokens} text tokens")
    print(f"cpu threads: {torch.get_num_threads()}, training: {training}")
    print(f"BERT2Static fit: {total:.1f} s (teacher {teach_s:.1f} s, training {train_s:.1f} s)")
    print(f"  targets after subsampling: {int(fitted['sizes'][1])}")
    print(
        f"  tokens/s: {n_tokens / total:.0f} overall, "
        f"{n_tokens * training['epochs'] / train_s:.0f} training"
    )
    print(f"  peak memory: {peak:.0f} MiB ({peak - before:+.0f} MiB over the loaded model)")
    print(f"Avg. fit (baseline): {avg_s:.1f} s; ratio B2S / Avg. = {total / avg_s:.2f}")


if __name__ == "__main__":
    main()
