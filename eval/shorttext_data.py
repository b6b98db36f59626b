"""Splits of the evaluation data for short-text language identification.

The word tables shipped in ``src/lingosum/data/words.tsv.gz`` take their Azerbaijani and
Kazakh words from NTREX-128 (all documents); FLORES-200 devtest is never read by the
table builder.
Short-text sets are random 1- to 3-word n-grams taken anywhere in a sentence (not only at
its start), drawn with a fixed seed:

* ``dev``: FLORES-200 devtest lines 0-505 (used while tuning);
* ``heldout``: FLORES-200 devtest lines 506-1011 (never looked at while tuning).

This script is not part of the package and is not imported by the tests.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

# language -> (NTREX-128 file suffix, FLORES-200 file stem)
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("src.eng", "eng_Latn"),
    "az": ("ref.aze-Latn", "azj_Latn"),
    "ka": ("ref.kat", "kat_Geor"),
    "ru": ("ref.rus", "rus_Cyrl"),
    "tr": ("ref.tur", "tur_Latn"),
    "hy": ("ref.hye", "hye_Armn"),
    "uk": ("ref.ukr", "ukr_Cyrl"),
    "kk": ("ref.kaz", "kaz_Cyrl"),
    "de": ("ref.deu", "deu_Latn"),
    "fr": ("ref.fra", "fra_Latn"),
}
FLORES_DEV_LINES = 506
SEED = 13
_WORD = re.compile(r"\S+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


def ntrex_lines(ntrex_dir: Path, lang: str) -> list[str]:
    """All NTREX-128 lines of ``lang``."""
    return _lines(ntrex_dir / f"newstest2019-{LANGUAGES[lang][0]}.txt")


def flores_lines(flores_dir: Path, lang: str, part: str) -> list[str]:
    """FLORES-200 devtest lines of ``lang``: the first 506 (``dev``) or the rest."""
    lines = _lines(flores_dir / f"{LANGUAGES[lang][1]}.devtest")
    return lines[:FLORES_DEV_LINES] if part == "dev" else lines[FLORES_DEV_LINES:]


def sentences(evaldata: Path, lang: str, part: str) -> list[str]:
    """The sentences of a split (``dev`` or ``heldout``) for one language."""
    return flores_lines(evaldata / "mt" / "flores200_devtest", lang, part)


def ngrams(lines: list[str], size: int, count: int, seed: int = SEED) -> list[str]:
    """``count`` random runs of ``size`` consecutive words, edge punctuation stripped.

    Words without a letter (numbers, dashes) are skipped when picking, so each sample has
    ``size`` words that carry letters.
    """
    rng = random.Random(f"{seed}-{size}")
    samples: list[str] = []
    tokenized = [[w for w in _WORD.findall(line) if any(c.isalpha() for c in w)] for line in lines]
    tokenized = [words for words in tokenized if len(words) >= size]
    while len(samples) < count:
        words = rng.choice(tokenized)
        start = rng.randrange(len(words) - size + 1)
        text = " ".join(words[start : start + size])
        samples.append(_EDGE.sub("", text))
    return samples


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
