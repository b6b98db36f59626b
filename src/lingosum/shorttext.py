"""The language of a few words: word frequencies first, letters and n-grams for the rest.

On one or two words, character n-grams alone (langdetect's method) cannot tell German
``die`` from English ``die`` or Ukrainian ``та`` from Russian ``та``; how often each
language uses the word can. :func:`rank_words` scores each candidate language of a script
by naive Bayes over its words:

* a word in the language's table (``data/words.tsv.gz``, at most 15,000 words per
  language, see :data:`TABLE_LANGUAGES`) counts with its frequency there;
* any other word counts as :data:`_UNSEEN` (a rare word) times how well the language's
  character n-grams fit it, relative to the best-fitting language; a word with a letter
  the language's alphabet lacks (``ы`` in Ukrainian, ``w`` in Turkish) is penalised;
* a small prior favours the languages lingosum works with.

The tables are read once, on first use. They come from wordfreq's lists (CC BY-SA 4.0)
and, for Azerbaijani and Kazakh, which wordfreq lacks, from part of NTREX-128 (CC BY-SA
4.0); ``eval/build_wordlists.py`` rebuilds them.
"""

from __future__ import annotations

import gzip
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import resources

TABLE_LANGUAGES: Mapping[str, tuple[str, ...]] = {
    "Latin": ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "tr", "az"),
    "Cyrillic": ("ru", "uk", "bg", "mk", "kk"),
}
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
# The letters of each language (lower case); loanwords aside, a word with another letter
# is not of that language.
_ALPHABETS: Mapping[str, frozenset[str]] = {
    lang: frozenset(letters)
    for lang, letters in {
        "en": _LATIN,
        "de": _LATIN + "äöüß",
        "fr": _LATIN + "àâæçéèêëîïôœùûüÿ",
        "es": _LATIN + "áéíñóúü",
        "it": _LATIN + "àèéìíîòóùú",
        "pt": _LATIN + "áâãàçéêíóôõúü",
        "nl": _LATIN + "áéèëïóöü",
        "pl": _LATIN + "ąćęłńóśźż",
        "tr": _LATIN.translate(str.maketrans("", "", "qwx")) + "çğıöşüâîû",
        "az": _LATIN.replace("w", "") + "çəğıöşü",
        "ru": _CYRILLIC + "ё",
        "uk": _CYRILLIC.translate(str.maketrans("", "", "ъыэ")) + "іїєґ'",
        "bg": _CYRILLIC.replace("ы", "").replace("э", ""),
        "mk": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
        "kk": _CYRILLIC + "ёәғқңөұүһі",
    }.items()
}
_PRIOR: Mapping[str, float] = {
    "en": 1.5,
    "ru": 1.5,
    **dict.fromkeys(("de", "fr", "tr", "az", "uk", "kk"), 1.0),
    **dict.fromkeys(("es", "it", "pt", "nl", "pl", "bg", "mk"), -2.0),
}
_UNSEEN = math.log(10**-5.5)
"""Log-probability of a word a language's table lacks, for the best-fitting language."""
_DONORS: Mapping[str, str] = {"az": "tr", "kk": "ru"}
"""Small tables miss many words their language shares with a big neighbour's table:
Azerbaijani with Turkish, Kazakh (loanwords) with Russian."""
_DONOR_SHARE = math.log(0.1)
"""A word missing from a small table counts with this share of its frequency in the
neighbour's table, when the small language's alphabet can spell it."""
_TABLE_OFFSET: Mapping[str, float] = {"az": 0.0, "kk": 0.0}
"""Frequencies counted in a small news corpus overstate how often its words occur."""
_UNSEEN_BONUS: Mapping[str, float] = {"az": 0.0, "kk": 0.0}
"""Tables built from a small corpus leave more of the language unseen: a word missing
from them is likelier in their language than a word missing from wordfreq's lists."""
_NGRAM_WEIGHT = 0.3
"""Scale of the n-gram log-likelihood gap between languages for an unseen word."""
_FOREIGN_LETTER = math.log(1e-4)
"""Penalty for an unseen word holding a letter outside the language's alphabet."""
_LN10 = math.log(10)
_SMOOTHING = 0.5 / 10_000
"""langdetect's own smoothing (alpha / BASE_FREQ) for an n-gram a language never showed."""
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def tokens(lowered: str) -> list[str]:
    """The words of lower-cased text; ``l'homme`` becomes ``l``, ``homme`` unless a table
    lists it whole (``aujourd'hui``, Ukrainian ``м'ясо``)."""
    known = _tables()
    words: list[str] = []
    for token in _TOKEN.findall(lowered):
        if "'" in token and not any(token in table for table in known.values()):
            words.extend(token.split("'"))
        else:
            words.append(token)
    return words


def rank_words(words: Sequence[str], script: str) -> list[tuple[str, float]]:
    """Probability of each table language of ``script`` for lower-cased ``words``.

    Args:
        words: lower-cased words (see :func:`tokens`); at least one.
        script: ``"Latin"`` or ``"Cyrillic"``.

    Returns:
        ``(language, probability)`` pairs, most probable first, probabilities summing to 1.
    """
    langs = TABLE_LANGUAGES[script]
    tables = _tables()
    scores = {lang: _PRIOR.get(lang, 0.0) for lang in langs}
    for word in words:
        seen = {lang: tables[lang].get(word) for lang in langs}
        unseen = [lang for lang, cb in seen.items() if cb is None]
        fit = _ngram_fit(word, tuple(unseen)) if unseen else {}
        for lang, cb in seen.items():
            if cb is None:
                scores[lang] += fit[lang]
            else:
                scores[lang] += cb * _LN10 / 100 + _TABLE_OFFSET.get(lang, 0.0)
        for lang, donor in _DONORS.items():
            cb = seen.get(donor)
            if lang in fit and cb is not None and not set(word) - _ALPHABETS[lang]:
                scores[lang] += max(0.0, cb * _LN10 / 100 + _DONOR_SHARE - fit[lang])
    best = max(scores.values())
    weights = {lang: math.exp(score - best) for lang, score in scores.items()}
    total = sum(weights.values())
    return sorted(((lang, w / total) for lang, w in weights.items()), key=lambda p: (-p[1], p[0]))


def _ngram_fit(word: str, langs: tuple[str, ...]) -> dict[str, float]:
    """Log-probability of an unseen ``word`` in each of ``langs``: :data:`_UNSEEN`, plus
    its n-gram log-likelihood minus the best language's, plus alphabet penalties."""
    scores = _ngram_scores(word, langs)
    top = max(scores.values())
    letters = set(word)
    return {
        lang: _UNSEEN
        + _UNSEEN_BONUS.get(lang, 0.0)
        + _NGRAM_WEIGHT * (scores[lang] - top)
        + (_FOREIGN_LETTER if letters - _ALPHABETS[lang] else 0.0)
        for lang in langs
    }


def _ngram_scores(word: str, langs: tuple[str, ...]) -> dict[str, float]:
    """Naive-Bayes log-likelihood of ``word`` under each language's n-gram profile
    (:func:`_profiles`); n-grams none of ``langs`` knows are skipped."""
    profiles = _profiles()
    scores = dict.fromkeys(langs, 0.0)
    for gram in _ngrams(word):
        probs = [profiles[lang].get(gram, 0.0) for lang in langs]
        if any(probs):
            for lang, p in zip(langs, probs, strict=True):
                scores[lang] += math.log(_SMOOTHING + p)
    return scores


def _ngrams(word: str) -> Iterator[str]:
    """langdetect's 1- to 3-grams of a word, with a space on either side."""
    padded = f" {word} "
    for size in (1, 2, 3):
        for start in range(len(padded) - size + 1):
            gram = padded[start : start + size]
            if gram != " ":
                yield gram


@lru_cache(maxsize=1)
def _profiles() -> dict[str, dict[str, float]]:
    """Each table language's n-gram profile: n-gram -> probability among the n-grams of
    its length, over the words of the language's table."""
    profiles: dict[str, dict[str, float]] = {}
    data = resources.files("lingosum") / "data" / "ngrams.tsv.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        for line in handle:
            lang, gram, prob = line.rstrip("\n").split("\t")
            profiles.setdefault(lang, {})[gram] = float(prob)
    return profiles


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, int]]:
    """Each table language's words and their frequencies in centibels (log10 x 100)."""
    tables: dict[str, dict[str, int]] = {}
    data = resources.files("lingosum") / "data" / "words.tsv.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        for line in handle:
            lang, centibels, words = line.rstrip("\n").split("\t")
            table = tables.setdefault(lang, {})
            cb = int(centibels)
            for word in words.split(" "):
                table[sys.intern(word)] = cb
    return tables
