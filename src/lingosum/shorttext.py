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
# Log-prior: lingosum's languages first; Russian a little above Ukrainian and Kazakh, which
# share most of its short words; languages outside the ten it is measured on last.
_PRIOR: Mapping[str, float] = {
    "en": 1.5,
    "ru": 1.75,
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
_NGRAM_WEIGHT = 0.2
"""Scale of the n-gram log-likelihood gap between languages for an unseen word."""
_FOREIGN_LETTER = math.log(1e-4)
"""Penalty for an unseen word holding a letter outside the language's alphabet."""
_LN10 = math.log(10)
_SMOOTHING = 0.5 / 10_000
"""langdetect's own smoothing (alpha / BASE_FREQ) for an n-gram a language never showed."""
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def tokens(text: str) -> list[tuple[str, bool]]:
    """The words of ``text``, lower-cased, each with whether it looks like a name.

    ``l'homme`` becomes ``l``, ``homme`` unless a table lists it whole (``aujourd'hui``,
    Ukrainian ``м'ясо``). Words in capitals (``HQ``, ``NATO``) are left out unless the text
    has nothing else; a capitalised word after the first is a name (``Mexico``,
    ``Schwartz``), whose letters say nothing about the language around it.
    """
    known = _tables()
    raw = _TOKEN.findall(text)
    kept = [t for t in raw if len(t) < 2 or not t.isupper()] or raw
    words: list[tuple[str, bool]] = []
    for index, token in enumerate(kept):
        name = index > 0 and token[0].isupper()
        lowered = token.lower()
        if "'" in lowered and not any(lowered in table for table in known.values()):
            words.extend((part, name) for part in lowered.split("'") if part)
        else:
            words.append((lowered, name))
    return words


def rank_words(words: Sequence[tuple[str, bool]], script: str) -> list[tuple[str, float]]:
    """Probability of each table language of ``script`` for ``words``.

    Args:
        words: lower-cased words, each with whether it is a name (see :func:`tokens`); at
            least one.
        script: ``"Latin"`` or ``"Cyrillic"``.

    Returns:
        ``(language, probability)`` pairs, most probable first, probabilities summing to 1.
    """
    langs = TABLE_LANGUAGES[script]
    tables = _tables()
    scores = {lang: _PRIOR.get(lang, 0.0) for lang in langs}
    for word, name in words:
        seen = {lang: tables[lang].get(word) for lang in langs}
        unseen = [lang for lang, cb in seen.items() if cb is None]
        fit = _ngram_fit(word, tuple(unseen), name) if unseen else {}
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


def _ngram_fit(word: str, langs: tuple[str, ...], name: bool) -> dict[str, float]:
    """Log-probability of an unseen ``word`` in each of ``langs``: :data:`_UNSEEN`, plus
    its n-gram log-likelihood minus the best language's, plus alphabet penalties (not for
    a name)."""
    script = "Latin" if langs[0] in TABLE_LANGUAGES["Latin"] else "Cyrillic"
    everyone = dict(zip(TABLE_LANGUAGES[script], _ngram_scores(word, script), strict=True))
    top = max(everyone[lang] for lang in langs)
    letters = set() if name else set(word)
    return {
        lang: _UNSEEN
        + _UNSEEN_BONUS.get(lang, 0.0)
        + _NGRAM_WEIGHT * (everyone[lang] - top)
        + (_FOREIGN_LETTER if letters - _ALPHABETS[lang] else 0.0)
        for lang in langs
    }


@lru_cache(maxsize=8192)
def _ngram_scores(word: str, script: str) -> tuple[float, ...]:
    """Naive-Bayes log-likelihood of ``word`` under the n-gram profile of each table
    language of ``script``; n-grams none of them knows are skipped."""
    profile = _profiles(script)
    scores = [0.0] * len(TABLE_LANGUAGES[script])
    for gram in _ngrams(word):
        logs = profile.get(gram)
        if logs is not None:
            scores = [s + g for s, g in zip(scores, logs, strict=True)]
    return tuple(scores)


def _ngrams(word: str) -> Iterator[str]:
    """langdetect's 1- to 3-grams of a word, with a space on either side."""
    padded = f" {word} "
    for size in (1, 2, 3):
        for start in range(len(padded) - size + 1):
            gram = padded[start : start + size]
            if gram != " ":
                yield gram


@lru_cache(maxsize=2)
def _profiles(script: str) -> dict[str, tuple[float, ...]]:
    """n-gram -> log(smoothing + probability among the n-grams of its length) in each
    table language of ``script``, over the words of that language's table."""
    langs = TABLE_LANGUAGES[script]
    probs: dict[str, list[float]] = {}
    data = resources.files("lingosum") / "data" / "ngrams.tsv.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        for line in handle:
            lang, gram, prob = line.rstrip("\n").split("\t")
            if lang in langs:
                row = probs.setdefault(gram, [0.0] * len(langs))
                row[langs.index(lang)] = float(prob)
    return {gram: tuple(math.log(_SMOOTHING + p) for p in row) for gram, row in probs.items()}


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
