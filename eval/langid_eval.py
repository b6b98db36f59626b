"""Score :func:`lingosum.detect.detect_language` against langdetect alone.

Each sentence is scored three times: in full, cut to its first three words and cut to its
first two words (short inputs are where script and letter rules matter most). The baseline
is langdetect 1.0.9 with a fresh detector per call, seeded with 0, which is what a user
calling ``langdetect.detect`` with ``DetectorFactory.seed = 0`` gets. Rows whose label
langdetect has no profile for (az, ka, hy, kk) are included: a wrong answer is a miss.

Data: a TSV with a header and the columns ``lang``, ``source``, ``text`` (FLORES-200
devtest in /work/shared/evaldata/langid/langid_10lang.tsv), or an NTREX-128 directory
(``newstest2019-*.txt`` files, one document sentence per line) as a second check from a
different domain. Several paths may be given; each is scored in its own table.

Usage::

    python eval/langid_eval.py /work/shared/evaldata/langid/langid_10lang.tsv \
        [/work/shared/evaldata/mt/ntrex128] [--errors N]

This script is not part of the package and is not imported by the tests.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lingosum.detect import detect_language

# NTREX-128 file suffix -> ISO 639-1 code, for the languages the TSV covers.
NTREX_FILES: dict[str, str] = {
    "src.eng": "en",
    "ref.aze-Latn": "az",
    "ref.kat": "ka",
    "ref.rus": "ru",
    "ref.tur": "tr",
    "ref.hye": "hy",
    "ref.ukr": "uk",
    "ref.kaz": "kk",
    "ref.deu": "de",
    "ref.fra": "fr",
}
# (column title, number of leading words kept; 0 keeps the whole sentence)
VIEWS: tuple[tuple[str, int], ...] = (("full", 0), ("3 words", 3), ("2 words", 2))

Detector = Callable[[str], str]


@dataclass(frozen=True)
class Row:
    """One labelled sentence."""

    lang: str
    text: str


def read_tsv(path: Path) -> list[Row]:
    """Read a ``lang<TAB>source<TAB>text`` file with a header line."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Row(r["lang"], r["text"]) for r in reader if r["text"].strip()]


def read_ntrex(folder: Path) -> list[Row]:
    """Read the NTREX-128 files of the languages in :data:`NTREX_FILES`."""
    rows: list[Row] = []
    for suffix, lang in NTREX_FILES.items():
        path = folder / f"newstest2019-{suffix}.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
        rows.extend(Row(lang, line.strip()) for line in lines if line.strip())
    return rows


def read_rows(path: Path) -> list[Row]:
    """Read a TSV file or an NTREX-128 directory."""
    return read_ntrex(path) if path.is_dir() else read_tsv(path)


def prefix(text: str, words: int) -> str:
    """The first ``words`` whitespace-separated words of ``text`` (all of it for 0)."""
    return " ".join(text.split()[:words]) if words else text


@lru_cache(maxsize=1)
def _langdetect_factory() -> Any:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0
    return factory


def langdetect_alone(text: str) -> str:
    """The baseline: seeded langdetect, ``und`` where it raises."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _langdetect_factory().create()
    detector.append(text)
    try:
        return str(detector.detect())
    except LangDetectException:
        return "und"


def lingosum(text: str) -> str:
    """The system under test."""
    return detect_language(text).language


SYSTEMS: dict[str, Detector] = {"lingosum": lingosum, "langdetect": langdetect_alone}


def accuracy(rows: Sequence[Row], detect: Detector, words: int) -> dict[str, float]:
    """Per-language accuracy (percent) of ``detect`` on the prefixes of ``rows``."""
    hits: dict[str, list[bool]] = {}
    for row in rows:
        hits.setdefault(row.lang, []).append(detect(prefix(row.text, words)) == row.lang)
    return {lang: 100.0 * sum(ok) / len(ok) for lang, ok in hits.items()}


def seconds_per_text(texts: Sequence[str], detect: Detector, repeat: int) -> float:
    """Best-of-``repeat`` mean wall time of ``detect`` per text (after one warm-up call)."""
    detect(texts[0])
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            detect(text)
        runs.append((time.perf_counter() - start) / len(texts))
    return min(runs)


def print_table(title: str, rows: Sequence[Row]) -> None:
    """Print the accuracy table of every system and view for ``rows``."""
    scores = {
        (view, name): accuracy(rows, detect, words)
        for view, words in VIEWS
        for name, detect in SYSTEMS.items()
    }
    langs = list(dict.fromkeys(row.lang for row in rows))
    heads = [f"{view}: {name}" for view, _ in VIEWS for name in SYSTEMS]
    print(f"\n{title} ({len(rows)} sentences, accuracy %)")
    print(f"{'lang':<6}{'n':>6}" + "".join(f"{h:>22}" for h in heads))
    counts = {lang: sum(r.lang == lang for r in rows) for lang in langs}
    for lang in langs:
        cells = "".join(f"{scores[key][lang]:>22.1f}" for key in scores)
        print(f"{lang:<6}{counts[lang]:>6}" + cells)
    means = "".join(f"{statistics.mean(scores[key].values()):>22.2f}" for key in scores)
    print(f"{'mean':<6}{'':>6}" + means)


def print_timing(rows: Sequence[Row], repeat: int) -> None:
    """Print per-sentence time of both systems on full sentences and 3-word prefixes."""
    print(f"\ntime per sentence (best of {repeat}, ms)")
    for view, words in VIEWS[:2]:
        texts = [prefix(row.text, words) for row in rows]
        cells = []
        for name, detect in SYSTEMS.items():
            cells.append(f"{name} {1000 * seconds_per_text(texts, detect, repeat):.3f}")
        print(f"  {view:<8} " + "   ".join(cells))


def print_errors(rows: Sequence[Row], limit: int) -> None:
    """Print up to ``limit`` full-sentence mistakes of lingosum."""
    shown = 0
    for row in rows:
        got = detect_language(row.text)
        if got.language != row.lang and shown < limit:
            print(f"  {row.lang}->{got.language} {got.confidence:.2f} {row.text[:100]!r}")
            shown += 1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, score every data set, print the tables; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="TSV file or NTREX-128 directory")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is kept)")
    parser.add_argument("--errors", type=int, default=0, help="print N mistakes per data set")
    args = parser.parse_args(argv)
    for path in args.paths:
        if not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    for path in args.paths:
        rows = read_rows(path)
        print_table(str(path), rows)
        print_timing(rows, args.repeat)
        if args.errors:
            print_errors(rows, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
