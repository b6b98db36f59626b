"""Language detection: Unicode scripts and language-specific letters first, langdetect after.

langdetect has no profile for Azerbaijani, Georgian, Armenian or Kazakh (it answers tr, et,
et and ru for them) and guesses wildly on two or three words. :func:`detect_language` keeps
langdetect and puts cheap, explainable rules in front of it:

1. Only a bounded sample is read (:data:`SAMPLE_CHARS`): the whole text when it is short,
   otherwise three chunks from its start, middle and end, so a 20 MB document costs the same
   as a page.
2. Letters are counted per Unicode script and the script with the most letters wins, so a
   Georgian article quoting English names is Georgian. Letters of other scripts are blanked
   before anything else looks at the text.
3. A script used by one language names it: Georgian ka, Armenian hy, Greek el, Hebrew he...
4. Text of fewer than :data:`SHORT_TEXT_LETTERS` letters in Latin or Cyrillic script goes
   to the word scorer of :mod:`lingosum.shorttext`: word frequencies of 10 Latin and 5
   Cyrillic languages, their alphabets, and n-gram profiles for unseen words. Only Serbian
   ђ ћ and Belarusian ў with і, languages it has no table for, are decided before it.
   Fewer than :data:`MIN_LETTERS` letters are ``und`` unless the script names the language
   or the scorer is sure (:data:`FEW_LETTERS_MIN_PROBABILITY`).
5. Longer Cyrillic: Kazakh letters (ә ғ қ ң ө ұ ү һ) make kk; Serbian ђ ћ make sr;
   Macedonian ѓ ќ ѕ make mk; Belarusian ў with і makes be; і together with ы/э/ё
   (Ukrainian has no ы, Russian no і) makes kk; otherwise Ukrainian і ї є ґ against
   Russian ы э ё decide. Text without any of these letters goes to the word scorer.
   Kazakh function words (мен, ол, деп...) or spellings Russian never uses (жы, шы) can
   still make it kk.
6. Longer Latin: ə makes az; otherwise langdetect, a fresh detector per call from a factory
   seeded with 0; so do Arabic, Devanagari and Han. When langdetect says Turkish,
   Azerbaijani evidence (ə; q and x; final -ib/-ub; Azerbaijani-only words) is weighed
   against Turkish evidence (-iyor, Turkish-only words).

Every answer carries its candidates with probabilities, best first (``top`` of them).
The answer is a pure function of the text: the same input gives the same
:class:`Detection`, whatever was detected before. langdetect is imported on first use.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lingosum.errors import InputError
from lingosum.shorttext import rank_words, tokens

UNDETERMINED = "und"
MIN_LETTERS = 3
"""Fewer letters than this is ``und`` unless the script names the language or the word is
one that a single language clearly owns (``в`` is Russian, ``ok`` belongs to no one)."""
FEW_LETTERS_MIN_PROBABILITY = (0.0, 0.75, 0.45)
"""How sure the word scorer must be to name the language of one letter (``в``, ``à``)
and of two (``la``); one letter is a word of more languages ("a", "i", "o")."""
SHORT_TEXT_LETTERS = 60
"""Below this many letters the deterministic short-text scorer replaces langdetect."""
SAMPLE_CHARS = 2100
"""At most this many characters of a text are read (three chunks of a third each)."""


@dataclass(frozen=True)
class Detection:
    """The language of a text.

    Attributes:
        language: ISO 639-1 code (langdetect's ``zh-cn``/``zh-tw`` pass through), or
            ``"und"`` when the text does not say.
        confidence: 0.0 to 1.0; 0.0 for ``und``.
        reason: one line saying why the language is ``und``; ``None`` otherwise.
        candidates: the likeliest languages, best first; ``candidates[0]`` is
            ``language`` with ``confidence``. Empty for ``und``.
    """

    language: str
    confidence: float
    reason: str | None = None
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One language a text may be written in.

    Attributes:
        language: ISO 639-1 code.
        probability: 0.0 to 1.0, the detector's belief, scaled by the share of the text's
            letters in the script judged.
    """

    language: str
    probability: float


# Script -> (the one language written in it, or None; its Unicode blocks of letters).
# Letters outside every block belong to the script "Other".
_SCRIPTS: Mapping[str, tuple[str | None, tuple[tuple[int, int], ...]]] = {
    "Latin": (None, ((0x41, 0x2AF), (0x1E00, 0x1EFF), (0xA720, 0xA7FF), (0xFF21, 0xFF5A))),
    "Cyrillic": (None, ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F))),
    "Arabic": (None, ((0x600, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    "Devanagari": (None, ((0x900, 0x97F),)),
    "Han": (None, ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))),
    "Georgian": ("ka", ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F))),
    "Armenian": ("hy", ((0x530, 0x58F), (0xFB13, 0xFB17))),
    "Greek": ("el", ((0x370, 0x3FF), (0x1F00, 0x1FFF))),
    "Hebrew": ("he", ((0x590, 0x5FF), (0xFB1D, 0xFB4F))),
    "Bengali": ("bn", ((0x980, 0x9FF),)),
    "Gurmukhi": ("pa", ((0xA00, 0xA7F),)),
    "Gujarati": ("gu", ((0xA80, 0xAFF),)),
    "Tamil": ("ta", ((0xB80, 0xBFF),)),
    "Telugu": ("te", ((0xC00, 0xC7F),)),
    "Kannada": ("kn", ((0xC80, 0xCFF),)),
    "Malayalam": ("ml", ((0xD00, 0xD7F),)),
    "Sinhala": ("si", ((0xD80, 0xDFF),)),
    "Thai": ("th", ((0xE00, 0xE7F),)),
    "Lao": ("lo", ((0xE80, 0xEFF),)),
    "Tibetan": ("bo", ((0xF00, 0xFFF),)),
    "Myanmar": ("my", ((0x1000, 0x109F),)),
    "Ethiopic": ("am", ((0x1200, 0x139F),)),
    "Khmer": ("km", ((0x1780, 0x17FF),)),
    "Hangul": ("ko", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),
    "Kana": ("ja", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),
}
_KAZAKH_LETTERS = frozenset("әғқңөұүһ")
_CYRILLIC_WITHOUT_TABLE = frozenset(("sr", "be"))
"""Named by their letters alone: the word scorer has no table for them."""
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэё")
_LETTER_MIN_SHARE = 0.01
"""Telltale letters must be at least 1% of the letters (a quoted name is not enough)."""
_UKRAINIAN_PER_RUSSIAN = 3.0
"""і ї є ґ are ~7% of Ukrainian letters, ы э ё ~2.3% of Russian: compare at this ratio."""
_TURKIC_LETTERS = frozenset("çğıöşüÇĞİÖŞÜ")
_AZ_SPELLING = re.compile(r"[qx]|[ıiuü]b$|[dt]akı$")
_TR_SPELLING = re.compile(r"[ıiuü]yor|[âîû]")
_KK_SPELLING = re.compile(r"[жш]ы|^ы")

# Common function words: the tr/az lists are the Turkish/Azerbaijani evidence of
# _turkic_variant, the others the evidence of _kazakh_variant on long Cyrillic text.
_WORDS: Mapping[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "tr": "ve veya için gibi kadar çok en ne de değil ama ancak fakat ise olarak olacak "
        "yok hiç önce göre diye yine belki şimdi bile ben sen tarafından üzerinde büyük "
        "kendi yıl yılında ile hem mi mı",
        "az": "və üçün kimi qədər çox ən nə də deyil amma ancaq lakin isə olaraq olacaq yox "
        "heç əvvəl görə deyə yenə bəlkə indi hətta mən sən tərəfindən üzərində böyük öz il "
        "ildə ilə həm olub edib etdi idi",
        "ru": "и в не на что с по это как он она они к а но из у за от же так для о все был "
        "была было были его её ее мы вы я бы только уже или при до также может есть нет "
        "этот эта эти который которые после если когда чтобы очень",
        "uk": "і й в у не на що з із зі по це як він вона вони до а але від за та так для "
        "про все був була було були його її ми ви я б би тільки вже або при також може є "
        "немає цей ця ці який які яка після якщо коли щоб дуже",
        "bg": "и в не на да се от за с е са че по това той тя те как но който която които "
        "към след при или още ще беше бяха има няма като само",
        "kk": "және бұл мен ол олар біз сіз сен бар жоқ деп деді еді екен ал "
        "бірақ осы сол үшін туралы болды болып кейін жылы",
    }.items()
}
_RANK_WORDS = 40
"""The word scorer reads at most this many words (enough, and bounded in cost)."""
_WORD_RE = re.compile(r"[^\W\d_]+")
_TOKEN_RE = re.compile(r"[^\W\d_]+'?")
# Before lower-casing: plain apostrophes, and Turkish İ to i (str.lower makes it i + U+0307).
_PLAIN = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "İ": "i"})


Ranked = list[tuple[str, float]]
"""Languages with probabilities, best first."""


def detect_language(text: str, *, top: int = 1) -> Detection:
    """Detect the language of ``text``.

    Args:
        text: any text; only a bounded sample of a long text is read.
        top: how many candidate languages to return in ``candidates`` (at least 1).

    Returns:
        The :class:`Detection`. ``language`` is ``"und"``, with a one-line ``reason``, for
        text without letters (empty, digits, punctuation, emoji), for a script no rule or
        profile covers, and for text of fewer than :data:`MIN_LETTERS` (3) letters unless
        its script names the language or the word scorer is at least
        :data:`FEW_LETTERS_MIN_PROBABILITY` sure ("в" is Russian; "ok", "hi", "a" are
        too often a word of several languages).

    Raises:
        InputError: ``top`` is less than 1.
    """
    if top < 1:
        raise InputError(f"top must be at least 1, got {top}")
    sample = _sample(text)
    letters = _letter_counts(sample)
    total = sum(letters.values())
    if total == 0:
        return Detection(UNDETERMINED, 0.0, "no letters in the text")
    script, share = _majority_script(letters)
    if script == "Other":
        return Detection(UNDETERMINED, 0.0, "written in a script no language model covers")
    only = _SCRIPTS[script][0]
    ranked = [(only, 1.0)] if only else _judge(_keep_script(sample, letters, script), script)
    if not ranked or ranked[0][0] == UNDETERMINED:
        return Detection(UNDETERMINED, 0.0, "langdetect found no features in the text")
    if total < MIN_LETTERS and not only and ranked[0][1] < FEW_LETTERS_MIN_PROBABILITY[total]:
        noun = "letter" if total == 1 else "letters"
        return Detection(UNDETERMINED, 0.0, f"too little text to judge ({total} {noun})")
    candidates = tuple(Candidate(lang, round(p * share, 3)) for lang, p in ranked[:top])
    return Detection(candidates[0].language, candidates[0].probability, None, candidates)


def _sample(text: str) -> str:
    """The whole ``text`` if short, else three chunks of it (start, middle, end)."""
    if len(text) <= SAMPLE_CHARS:
        return text
    part = SAMPLE_CHARS // 3
    middle = (len(text) - part) // 2
    return "\n".join((text[:part], text[middle : middle + part], text[-part:]))


@lru_cache(maxsize=1)
def _block_table() -> tuple[list[int], list[tuple[int, str]]]:
    """The blocks of :data:`_SCRIPTS` sorted for bisection: starts, and (end, script) pairs."""
    blocks = sorted((lo, hi, name) for name, (_, spans) in _SCRIPTS.items() for lo, hi in spans)
    return [lo for lo, _, _ in blocks], [(hi, name) for _, hi, name in blocks]


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> str:
    """The script of the letter ``ch``: a key of :data:`_SCRIPTS`, or ``"Other"``."""
    starts, ends = _block_table()
    index = bisect.bisect_right(starts, ord(ch)) - 1
    if index >= 0 and ord(ch) <= ends[index][0]:
        return ends[index][1]
    return "Other"


def _majority_script(letters: Mapping[str, int]) -> tuple[str, float]:
    """The script with most letters (ties by name) and its share of all letters."""
    by_script: Counter[str] = Counter()
    for ch, count in letters.items():
        by_script[_script_of(ch)] += count
    script = min(by_script, key=lambda name: (-by_script[name], name))
    return script, by_script[script] / sum(by_script.values())


def _keep_script(sample: str, letters: Mapping[str, int], script: str) -> str:
    """``sample`` with the letters of every other script replaced by spaces."""
    foreign = {ord(ch): " " for ch in letters if _script_of(ch) != script}
    return sample.translate(foreign) if foreign else sample


def _judge(text: str, script: str) -> Ranked:
    """Languages of ``text``, written in the shared ``script``, with probabilities."""
    if script == "Latin":
        return _judge_latin(text)
    if script == "Cyrillic":
        return _judge_cyrillic(text)
    return _langdetect(text)


def _judge_latin(text: str) -> Ranked:
    """Azerbaijani by ə; otherwise the word scorer (short text) or langdetect (long)."""
    lowered = _lower(text)
    counts = _letter_counts(lowered)
    letters = sum(counts.values())
    if letters < SHORT_TEXT_LETTERS:
        return _rank_words(text, "Latin")
    if counts["ə"] >= _LETTER_MIN_SHARE * letters:
        return [("az", 0.99)]
    ranked = _langdetect(text)
    if ranked and ranked[0][0] == "tr":
        variant = _turkic_variant(text, counts, _word_hits(lowered))
        ranked = [(variant if lang == "tr" else lang, p) for lang, p in ranked]
    return ranked


def _judge_cyrillic(text: str) -> Ranked:
    """Short text: the word scorer. Long text: telltale letters, else the word scorer;
    Kazakh words may overrule either."""
    lowered = _lower(text)
    counts = _letter_counts(lowered)
    marked = _cyrillic_by_letters(counts)
    if marked in _CYRILLIC_WITHOUT_TABLE:
        return [(marked, 0.99)]
    if sum(counts.values()) < SHORT_TEXT_LETTERS:
        return _rank_words(text, "Cyrillic")
    ranked = [(marked, 0.99)] if marked else _rank_words(text, "Cyrillic")
    variant = _kazakh_variant(lowered, ranked[0][0], _word_hits(lowered))
    return [(variant, ranked[0][1]), *ranked[1:]] if variant != ranked[0][0] else ranked


def _rank_words(text: str, script: str) -> Ranked:
    """The word scorer's ranking of the first :data:`_RANK_WORDS` words of ``text``."""
    words = tokens(text.translate(_PLAIN))[:_RANK_WORDS]
    if not words:
        return []
    return rank_words(words, script)


def _lower(text: str) -> str:
    """``text`` lower-cased, with typographic apostrophes made plain."""
    return text.translate(_PLAIN).lower()


def _letter_counts(text: str) -> Counter[str]:
    """How often each letter occurs in ``text``."""
    return Counter({ch: n for ch, n in Counter(text).items() if ch.isalpha()})


def _word_hits(lowered: str) -> Counter[str]:
    """How many words of the lower-cased text are common function words of each language."""
    index = _word_index()
    hits: Counter[str] = Counter()
    for token in _TOKEN_RE.findall(lowered):
        hits.update(index.get(token) or index.get(token.rstrip("'"), ()))
    return hits


@lru_cache(maxsize=1)
def _word_index() -> dict[str, tuple[str, ...]]:
    """Each function word of :data:`_WORDS` and the languages that use it."""
    index: dict[str, tuple[str, ...]] = {}
    for lang, words in _WORDS.items():
        for word in words:
            index[word] = (*index.get(word, ()), lang)
    return index


def _cyrillic_by_letters(counts: Mapping[str, int]) -> str | None:
    """A Cyrillic language its letters point to, or ``None`` when they do not tell."""
    total = sum(counts.values())
    kazakh = sum(counts[ch] for ch in _KAZAKH_LETTERS)
    if kazakh and kazakh >= _LETTER_MIN_SHARE * total:
        return "kk"
    if counts["ђ"] or counts["ћ"]:
        return "sr"
    if counts["ѓ"] or counts["ќ"] or counts["ѕ"]:
        return "mk"
    if counts["ў"] and counts["і"]:
        return "be"
    ukrainian = sum(counts[ch] for ch in _UKRAINIAN_LETTERS)
    russian = sum(counts[ch] for ch in _RUSSIAN_LETTERS)
    if ukrainian == counts["і"] and min(ukrainian, russian) >= max(1, _LETTER_MIN_SHARE * total):
        return "kk"  # і with ы/э/ё: Ukrainian has no ы э ё, Russian no і; Kazakh has both
    if ukrainian or russian:
        return "uk" if ukrainian > _UKRAINIAN_PER_RUSSIAN * russian else "ru"
    return None


def _kazakh_variant(lowered: str, language: str, hits: Mapping[str, int]) -> str:
    """``"kk"`` for East Slavic-looking ``language`` when Kazakh evidence (function words
    such as мен, ол, деп; жы and шы, which Russian and Ukrainian never write) outweighs
    ``language``'s function words; else ``language``."""
    if language not in ("ru", "uk", "bg", "mk"):
        return language
    evidence = hits["kk"] + _spelling_hits(lowered, _KK_SPELLING)
    return "kk" if evidence > hits[language] else language


def _turkic_variant(text: str, counts: Mapping[str, int], hits: Mapping[str, int]) -> str:
    """``"az"`` when Azerbaijani evidence outweighs Turkish evidence, else ``"tr"``.

    Azerbaijani writes ə, q and x where Turkish writes e, k and h, keeps final b (olub,
    edib, Turkish devoices to p) and harmonises -dakı; Turkish has -iyor and â î û.
    """
    azerbaijani = counts["ə"] + hits["az"] + _spelling_hits(text, _AZ_SPELLING)
    turkish = hits["tr"] + _spelling_hits(text, _TR_SPELLING)
    return "az" if azerbaijani > turkish else "tr"


def _spelling_hits(text: str, pattern: re.Pattern[str]) -> int:
    """How many words of ``text`` contain ``pattern``, skipping capitalised words without
    Turkic letters (names such as Xinhua or Mexico keep their own spelling)."""
    words = _WORD_RE.findall(text)
    return sum(
        1
        for w in words
        if (w[0].islower() or not _TURKIC_LETTERS.isdisjoint(w)) and pattern.search(w.lower())
    )


def _langdetect(text: str) -> Ranked:
    """langdetect's languages and probabilities (empty when it finds no features)."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory().create()
    detector.append(text)
    try:
        found = detector.get_probabilities()
    except LangDetectException:
        return []
    return [(str(language.lang), float(language.prob)) for language in found]


@lru_cache(maxsize=1)
def _factory() -> Any:
    """langdetect's profiles, loaded once, on first use, in a factory of our own.

    The factory is seeded (``seed = 0``), so every fresh detector samples the same way and
    the answer does not depend on earlier calls. Being our own, it leaves the global
    factory behind ``langdetect.detect`` untouched.
    """
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0
    return factory
