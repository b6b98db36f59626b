"""Score language detection on random 1-, 2- and 3-word n-grams (short texts).

Samples come from ``shorttext_data.py``: ``dev`` (FLORES-200 devtest lines 0-505, used
while tuning) or ``heldout`` (FLORES-200 devtest lines 506-1011, never looked at while
tuning). The word tables are built from other data (wordfreq, NTREX-128). Each n-gram
is a run of consecutive words taken anywhere in a sentence, edge punctuation stripped.
``und`` counts as a miss.

``--tsv FILE`` takes the sentences from a ``language<TAB>sentence`` file instead (e.g.
``eval/data/tatoeba_short.tsv``, everyday sentences from another domain) and also scores
each whole sentence.

Usage::

    python eval/shorttext_eval.py /work/shared/evaldata [--split heldout] [--samples 1000]
        [--confusions 8]
    python eval/shorttext_eval.py --tsv eval/data/tatoeba_short.tsv

This script is not part of the package and is not imported by the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from shorttext_data import LANGUAGES, ngrams, sentences  # noqa: E402

from lingosum.detect import detect_language  # noqa: E402

SIZES = (1, 2, 3)


def tsv_sentences(path: Path) -> dict[str, list[str]]:
    """Sentences by language from a ``language<TAB>sentence`` file."""
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        lang, _, text = line.partition("\t")
        if text.strip():
            found.setdefault(lang, []).append(text.strip())
    return found


def run(
    corpus: dict[str, list[str]], title: str, samples: int, confusions: int, whole: bool = False
) -> dict[int, float]:
    """Print per-language accuracy for each n-gram size; return the mean per size.

    With ``whole``, a last column scores each sentence as it is (size 0 in the result).
    """
    means: dict[int, float] = {}
    sizes = (*SIZES, 0) if whole else SIZES
    print(f"\nshort texts, {title}, {samples} random n-grams per language and size")
    print(f"{'lang':<6}" + "".join(f"{f'{n} word(s)' if n else 'sentence':>12}" for n in sizes))
    table: dict[str, list[float]] = {}
    mistakes: Counter[str] = Counter()
    elapsed, calls = 0.0, 0
    for lang, lines in corpus.items():
        for size in sizes:
            texts = ngrams(lines, size, samples) if size else lines
            start = time.perf_counter()
            found = [detect_language(text).language for text in texts]
            elapsed += time.perf_counter() - start
            calls += len(texts)
            hits = sum(got == lang for got in found)
            table.setdefault(lang, []).append(100.0 * hits / len(texts))
            mistakes.update(f"{size or 's'}w {lang}->{got}" for got in found if got != lang)
    for lang, cells in table.items():
        print(f"{lang:<6}" + "".join(f"{c:>12.1f}" for c in cells))
    for i, size in enumerate(sizes):
        means[size] = statistics.mean(cells[i] for cells in table.values())
    print(f"{'mean':<6}" + "".join(f"{means[n]:>12.2f}" for n in sizes))
    print(f"time per text: {1000 * elapsed / calls:.3f} ms")
    if confusions:
        print(
            "most frequent confusions: "
            + ", ".join(f"{k} {v}" for k, v in mistakes.most_common(confusions))
        )
    return means


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and print the tables; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evaldata", type=Path, nargs="?", help="the evaldata folder (mt/ inside)")
    parser.add_argument("--split", choices=("dev", "heldout"), default="heldout")
    parser.add_argument("--tsv", type=Path, help="language<TAB>sentence file instead")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--confusions", type=int, default=8)
    args = parser.parse_args(argv)
    if args.tsv is not None:
        run(tsv_sentences(args.tsv), str(args.tsv), args.samples, args.confusions, whole=True)
        return 0
    if args.evaldata is None or not (args.evaldata / "mt" / "flores200_devtest").is_dir():
        print(f"error: {args.evaldata}/mt/flores200_devtest not found", file=sys.stderr)
        return 2
    corpus = {lang: sentences(args.evaldata, lang, args.split) for lang in LANGUAGES}
    run(corpus, f"{args.split} split", args.samples, args.confusions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
