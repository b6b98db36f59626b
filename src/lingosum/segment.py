"""Paragraph and sentence segmentation, and packing sentences into chunks under a budget.

MarianMT models are trained on single sentences, so a document is split into paragraphs,
each paragraph into sentences, and the translations are put back in the same structure.
The summarizer packs sentences into chunks that fit a model's token budget.

Everything here is pure: no I/O, no models, no global state.

Newline policy
--------------
* :func:`split_paragraphs` splits on blank lines (a line with only whitespace counts as
  blank); single newlines stay inside the paragraph.
* :func:`split_sentences` decides each single newline from the line before it and the
  line after it:

  1. the next line starts like a list item (``-``, ``*``, ``•``, a dash, ``1.``, ``2)``):
     a sentence boundary;
  2. the line ends with sentence punctuation (``. ! ? …``, maybe followed by closing
     quotes or brackets): the newline is ordinary whitespace and the usual rules decide
     (so ``Mr.`` at the end of a line does not end a sentence), except that a newline
     after an abbreviation that can end a sentence (``etc.``, ``U.S.``) is a boundary;
  3. the line ends with ``, ; :`` or a hyphen: the sentence continues (joined);
  4. the next line starts with a lowercase letter: the sentence continues (hard wrap),
     except in English when the line does not look hard-wrapped (see 5) and the next
     line starts with a common sentence starter ("let me know" / "you don't know...");
  5. otherwise (next line starts with an uppercase letter, a digit, a quote or bracket):
     the line is its own sentence; this is how headlines and bylines are kept apart.
     Scripts without case (Georgian) give no signal here, so a line there is only joined
     to the next when it looks hard-wrapped: it is at least 80% as long as the longest
     line of the paragraph and that line is at least 50 characters long.

  Joined lines are joined with a single space.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

__all__ = ["split_long", "split_paragraphs", "split_sentences"]

_CLOSERS = "\"'”’»)]}›“」』）"
_OPENERS = "\"'“‘„«‹‚([{¿¡「『（"
_STRONG = "!?։؟।"
_FULLWIDTH = "。！？"
_TERMINALS = ".…" + _STRONG
# Armenian text is usually typed with ":" for its full stop "։".
_ARMENIAN_STOP = r"(?:(?<=[\u0531-\u0587])|(?<=[\u0531-\u0587][»)])):"
# A sentence-final cluster: terminal marks and closing quotes/brackets, then whitespace
# or the end; full-width marks (CJK) need no whitespace after them.
# Web text: "great.The" (no space after the full stop) and a closing emoticon ":)" also
# end a sentence.
_GLUED = r"(?<=[a-z]{2})[.!?](?=[A-Z][a-z])"
_SMILEY = r"(?:[:;=][-']?[()DPp\]\[/|*3]+|<3)(?=\s|$)"
_EMOTICON = rf"(?<=\s){_SMILEY}"
# A token that never starts a sentence: an emoticon belongs to the sentence before it,
# a comma continues one.
_NEVER_STARTS = re.compile(rf"{_SMILEY}|[,;]")
# English web text: "Com" is the rest of a spaced-out domain ("Posted via Newsfeed. Com").
_SPACED_DOMAIN = re.compile(r"(?:com|Com|COM)\b")
_CANDIDATE = re.compile(
    rf"(?:[{re.escape(_TERMINALS)}]+|{_ARMENIAN_STOP})[{re.escape(_CLOSERS)}]*(?=\s|$)"
    rf"|[{_FULLWIDTH}]+[{re.escape(_CLOSERS)}]*|{_GLUED}|{_EMOTICON}"
)
_ENDS_TERMINAL = re.compile(
    rf"(?:[{re.escape(_TERMINALS + _FULLWIDTH)}]|{_ARMENIAN_STOP})[{re.escape(_CLOSERS)}]*$"
)
# A token of only closing quotes or periods after a sentence end belongs to that sentence.
_STRAY = re.compile(rf"\s+[{re.escape(_CLOSERS + _TERMINALS)}]+(?=\s|$)")
_ENDS_SOFT = re.compile(r"[,;:\-‐–]$")
_LIST_ITEM = re.compile(r"^(?:[-*•‣◦–—]\s|\(?\d{1,3}[.)]\s|\(?[a-zA-Z][.)]\s)")
_LIST_MARKER = re.compile(
    r"^\(?(?:\d{1,3}|[^\W\d_]|(?=[mdclxvi])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})"
    r"(?:ix|iv|v?i{0,3}))\)?$",
    re.IGNORECASE,
)
# "U.S", "J.R.R", "А.С", "B": initials or an acronym (checked only when not lowercase).
_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.)*[^\W\d_]{1,2}$")
_LEAD = re.compile(rf"[\s{re.escape(_OPENERS)}\-‐–—]*")
_NUMBER = re.compile(r"^[\d.,]*\d$")
_TOKEN = re.compile(r"\S*")
_GAP = re.compile(r"\s*")

Case = Literal["upper", "lower", "caseless", "digit", "other", "none"]


@dataclass(frozen=True)
class _Rules:
    """Abbreviations of one language, lowercased and without their final period."""

    nonfinal: frozenset[str]  # never end a sentence: "dr", "e.g", "т.е"
    before_number: frozenset[str]  # no end when a number follows: "no", "jan", "ст"
    ambiguous: frozenset[str]  # end only before a common sentence starter: "u.s", "inc"
    starters: frozenset[str]  # closed-class words that often begin a sentence
    ordinal_dots: bool = False  # "am 29. September": a dot after 1-3 digits marks an ordinal
    # Web text (e-mail, forums, reviews) starts sentences in lower case. Where this set is
    # not empty, a lower-case word after ``? !`` or after a period that ends a plain word
    # begins a sentence; at a line break only these words do ("Let me know\nyou ...").
    lowercase_starters: frozenset[str] = frozenset()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations that end a clause more often than a sentence before a lower-case word:
# "etc. and", units ("5 lbs. of"), US states in news style ("Calif. officials").
_NEVER_BEFORE_LOWERCASE = _words(
    "etc al vs approx cf ca lbs lb oz hrs yrs mos wks sq tsp tbsp qt gal govt assn univ"
    " ave blvd hwy calif fla ariz conn mich minn neb nev okla tenn wis wyo colo ala ark"
    " kan mont incl excl avg est resp misc"
)
# First words of e-mail greetings and sign-offs ("Dear All," / "Best regards,").
_GREETINGS = _words("hi hello hey dear thanks thank regards best cheers sincerely yours love")
_PRONOUNS = _words("i you he she it we they")
_SPEECH_VERBS = _words(
    "said says asked asks added adds told tells wrote writes replied replies explained"
    " continued shouted cried yelled wondered answered"
)


def _with_common(rules: _Rules) -> _Rules:
    """Add the abbreviations that news in any language borrows from English."""
    return _Rules(
        nonfinal=(rules.nonfinal | _words("mr mrs ms dr prof st vs e.g i.e")) - rules.ambiguous,
        before_number=rules.before_number | _words("no nr"),
        ambiguous=rules.ambiguous,
        starters=rules.starters,
        ordinal_dots=rules.ordinal_dots,
        lowercase_starters=rules.lowercase_starters,
    )


_EN = _Rules(
    nonfinal=_words(
        "mr mrs ms mx dr drs prof gen gens sen sens rep reps gov govs lt col maj sgt capt"
        " cmdr adm rev fr hon pres supt insp det mt ft messrs mme mlle e.g i.e cf vs v viz"
        " approx dept esp ps"
    ),
    before_number=_words(
        "no nos nr p pp vol vols art sec ch fig figs para tel ext ref"
        " jan feb mar apr jun jul aug sep sept oct nov dec"
    ),
    ambiguous=_words("u.s u.k u.n e.u d.c inc corp ltd pvt co jr sr llc plc bros a.m p.m al st"),
    starters=_words(
        "the a an he she it they we i you this that these those there here his her its their"
        " our my your but and or so yet however meanwhile also still then now in on at for"
        " from with by after before when while if as although though because since during"
        " despite according what why how who where which some many most all both each one"
        " two three no not only even last earlier later today yesterday"
    ),
    lowercase_starters=_words(
        "i i'm i've i'd i'll im ive the this that these those it it's its they we you he she"
        " my our your there here what why how when where who if but so also then now just"
        " please thanks thank ok okay yes yeah no well anyway lol haha oh hi hey btw do does"
        " did is are was can could would should will have has had let call they're we're"
        " you're don't didn't can't i'd"
    ),
)
_RU = _Rules(
    nonfinal=_words(
        "т.е т.к т.н т.ч ул пер просп наб пл кв корп напр ср проф акад доц канд тов гр"
        " св ген дж англ нем франц фр лат греч итал исп кит япон рус укр"
    ),
    before_number=_words("с стр рис табл гл ст п ч т ок д"),
    ambiguous=_words("им тыс млн млрд трлн руб долл коп"),
    starters=_words(
        "это этот эта эти он она оно они мы я вы ты но и а однако также в во на по с со к из"
        " за при после до для как что когда если хотя так там здесь его ее её их кроме ранее"
        " сейчас сегодня вчера теперь тогда уже"
    ),
)
_AZ = _Rules(
    nonfinal=_words("məs prof dos akad küç şəh cən xan e.ə b.e t.e.d f.e.d"),
    before_number=_words("səh"),
    ambiguous=_words("min mln mlrd"),
    starters=_words(
        "bu o onlar biz mən siz sən lakin amma ancaq həmçinin və bununla belə daha artıq"
        " indi sonra əvvəl həm"
    ),
)
_KA = _Rules(
    nonfinal=_words("ქ წმ ბნ ქნ სოფ მაგ ე.ი ე.წ ძვ ახ პროფ აკად დოქტ იხ შდრ"),
    before_number=_words("გვ ტ მუხ პ"),
    ambiguous=_words("წ სთ ათ მლნ მლრდ"),
    starters=_words(
        "ეს ის ისინი ჩვენ მე შენ თქვენ მაგრამ და თუმცა ასევე ამის ამ მისი მათი როგორც"
        " რადგან თუ ხოლო ამასთან შემდეგ"
    ),
)
_ALL = (_EN, _RU, _AZ, _KA)
# Any other language: all the tables above, a few abbreviations common in other European
# languages, and ordinal dots (German, Turkish, Scandinavian, Czech, Polish, ...).
_GENERIC = _Rules(
    nonfinal=frozenset().union(*(r.nonfinal for r in _ALL))
    | _words("z.b d.h u.a bzw vgl ggf sog evtl inkl p.ex"),
    before_number=frozenset().union(*(r.before_number for r in _ALL)) | _words("ca cca s"),
    ambiguous=frozenset().union(*(r.ambiguous for r in _ALL)),
    starters=frozenset(),
    ordinal_dots=True,
)
_RULES = {lang: _with_common(r) for lang, r in (("en", _EN), ("ru", _RU), ("az", _AZ), ("ka", _KA))}
_ALIASES = {"eng": "en", "rus": "ru", "aze": "az", "azj": "az", "kat": "ka", "geo": "ka"}


def _rules_for(language: str) -> _Rules:
    """Rules for a language code such as ``en``, ``ru-RU``, ``aze_Latn`` or ``kat``."""
    base = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    return _RULES.get(_ALIASES.get(base, base), _GENERIC)


def _fold(word: str) -> str:
    """Lowercase for table look-ups (``İ`` lowers to ``i`` plus a combining dot)."""
    return word.lower().replace("\u0307", "")


def _case(ch: str) -> Case:
    """What a character says about starting a sentence."""
    if not ch:
        return "none"
    if ch.isdigit():
        return "digit"
    # Mkhedruli and Nuskhuri letters are "lowercase" in Unicode, but modern Georgian has
    # no case: a sentence starts with the same letters as any other word.
    if "\u10d0" <= ch <= "\u10ff" or "\u2d00" <= ch <= "\u2d2f":
        return "caseless"
    if ch.isupper() or ch.istitle():
        return "upper"
    if ch.islower():
        return "lower"
    return "caseless" if ch.isalpha() else "other"


def _start_case(token: str) -> Case:
    """The case of a token's first letter; "iPhone" or "pH" counts as caseless."""
    case = _case(token[:1])
    if case == "lower" and any(ch.isupper() for ch in token[1:3]):
        return "caseless"
    return case


def split_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs separated by blank lines.

    Args:
        text: Any text; ``\\r\\n`` and ``\\r`` line endings are accepted.

    Returns:
        The paragraphs, each stripped, empty ones dropped. Single newlines stay inside a
        paragraph; :func:`split_sentences` decides what they mean.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip() for p in re.split(r"\n[^\S\n]*\n\s*", text) if p.strip()]


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split one paragraph into sentences.

    Args:
        text: A paragraph (blank lines inside it are treated as boundaries too).
        language: Language code; ``en``, ``ru``, ``az`` and ``ka`` have their own
            abbreviation tables, any other code gets a generic set.

    Returns:
        The sentences, stripped, line breaks inside a sentence replaced by one space.
        Joined with spaces they contain every non-space character of ``text`` in order.
    """
    rules = _rules_for(language)
    sentences: list[str] = []
    for run in _line_runs(text.replace("\r\n", "\n").replace("\r", "\n"), rules):
        for sentence in _split_run(run, rules):
            sentences.append(re.sub(r"[^\S\n]*\n\s*", " ", sentence))
    return sentences


def _line_runs(text: str, rules: _Rules) -> Iterator[str]:
    """Groups of consecutive lines that the newline policy joins (see the module doc)."""
    lines = [line.strip() for line in text.split("\n")]
    longest = max((len(line) for line in lines), default=0)
    run: list[str] = []
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        if line:
            run.append(line)
        if run and (not line or not following or _breaks_after(line, following, longest, rules)):
            yield "\n".join(run)
            run = []


def _breaks_after(line: str, following: str, longest: int, rules: _Rules) -> bool:
    """Whether the newline between two non-blank lines is a sentence boundary by itself."""
    if _LIST_ITEM.match(following):
        return True
    if _ENDS_TERMINAL.search(line):
        return False
    if _ENDS_SOFT.search(line):
        return _salutation(line, following, rules)
    case = _start_case(following.lstrip(_OPENERS + "-‐–—"))
    wrapped = longest >= 50 and len(line) >= 0.8 * longest
    if case == "lower":
        first = _fold(re.split(r"[^\w']", following, maxsplit=1)[0])
        return not wrapped and first in rules.lowercase_starters
    if case == "caseless":
        return not wrapped
    return True


def _salutation(line: str, following: str, rules: _Rules) -> bool:
    """Whether a line's last clause greets or signs off with a comma ("Hi John," / "Cindy,").

    English web text only (e-mail): a clause of one or two capitalized words (a name) or
    one opened by a greeting word, ending the line with a comma before a capitalized line,
    ends its sentence. Elsewhere a comma at the end of a line continues the sentence.
    """
    if not rules.lowercase_starters or not line.endswith(","):
        return False
    words = re.split(r"[.!?]\s+", line)[-1].split()
    if len(words) > 3 or _start_case(following.lstrip(_OPENERS)) != "upper":
        return False
    names = len(words) <= 2 and all(_start_case(w) == "upper" for w in words)
    return names or _fold(words[0]) in _GREETINGS


def _split_run(text: str, rules: _Rules) -> list[str]:
    """Split text without forced line boundaries at the boundaries the rules accept."""
    sentences: list[str] = []
    start = 0
    length = len(text.rstrip())
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        if match.start() < start or end >= length:
            continue
        if _is_boundary(text, start, match, rules):
            stray = _STRAY.match(text, end)
            end = stray.end() if stray else end
            sentences.append(text[start:end].strip())
            start = end
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _is_boundary(text: str, start: int, match: re.Match[str], rules: _Rules) -> bool:
    """Whether a sentence ends with the punctuation cluster ``match``."""
    lead = _LEAD.match(text, match.end())
    next_token = _TOKEN.match(text, lead.end() if lead else match.end())
    token = next_token.group() if next_token else ""
    if _NEVER_STARTS.match(token) or (rules.lowercase_starters and _SPACED_DOMAIN.match(token)):
        return False
    glued = match.end() < len(text) and not text[match.end()].isspace()
    if glued and match.group() in ".!?" and not rules.lowercase_starters:
        return False  # "great.The" is split in English web text only
    case = _start_case(token)
    if case == "lower":
        after = text[match.end() : match.end() + 40]
        return _lowercase_start(text[start : match.start()], match.group(), after, rules)
    if match.group() != ".":  # '?', '...', '."' or '.)': no abbreviation ends like that
        return True
    gap = _GAP.match(text, match.end())
    newline = bool(gap and "\n" in gap.group())
    return _period_ends_sentence(text[start : match.start()], token, case, newline, rules)


def _lowercase_start(before: str, mark: str, after: str, rules: _Rules) -> bool:
    """Whether a sentence ends at ``mark`` although the next word is lower case.

    Only where the rules list lower-case starters (English web text, where sentences often
    start in lower case): after ``?`` or ``!`` without a closing quote ("means? where did
    you") unless the words after attribute it ("Why? she asked", "Why? asked John"), and
    after a period that ends a plain word ("night. plus we can"), not an abbreviation
    ("etc. and", "p.m. and", "Mr. smith").
    """
    if not rules.lowercase_starters:
        return False
    if mark.strip("?!") == "":
        return not _attribution(after)
    if mark != ".":
        return False
    word = (before.rsplit(maxsplit=1) or [""])[-1].lstrip(_OPENERS)
    key = _fold(word)
    if len(word) < 2 or "." in word or key in rules.nonfinal or key in rules.ambiguous:
        return False
    return key not in rules.before_number and key not in _NEVER_BEFORE_LOWERCASE


def _attribution(after: str) -> bool:
    """Whether the words after a question or exclamation attribute it ("she asked")."""
    words = re.findall(r"[^\W\d_]+", after)[:2]
    if len(words) < 2:
        return bool(words) and _fold(words[0]) in _SPEECH_VERBS
    verb_first = _fold(words[0]) in _SPEECH_VERBS and (
        _start_case(words[1]) == "upper" or _fold(words[1]) in _PRONOUNS
    )
    return verb_first or _fold(words[1]) in _SPEECH_VERBS


def _period_ends_sentence(
    before: str, next_token: str, case: Case, newline: bool, rules: _Rules
) -> bool:
    """Decide a single period followed by a non-lowercase token (abbreviations, initials)."""
    tokens = before.rsplit(maxsplit=2)  # the last two tokens, or the only one
    if not tokens:
        return False
    if tokens[-1][-1] in _CLOSERS:
        return True  # 'word".' or 'word).': the period is not part of an abbreviation
    word = tokens[-1].lstrip(_OPENERS)
    if len(tokens) == 1 and _LIST_MARKER.match(word):
        return False  # "1. First", "b. Second", "IV. Results"
    if "/" in word or "@" in word:
        return True  # a URL or an e-mail address ends the sentence
    key = _fold(word)
    joined = _fold(tokens[-2] + word) if len(tokens) > 1 and tokens[-2].endswith(".") else ""
    if key in rules.nonfinal or joined in rules.nonfinal:
        return False
    if case == "digit" and (key in rules.before_number or joined in rules.before_number):
        return False
    if rules.ordinal_dots and not newline and len(word) <= 3 and word.isdigit():
        return False
    if key == "г" or key == "гг":  # Russian "г. Москва" (city) vs "2018 г." (year)
        return len(tokens) > 1 and bool(_NUMBER.match(tokens[-2]))
    initials = bool(_INITIALS.match(word)) and ("." in word or len(word) == 1)
    if key in rules.ambiguous or (initials and _case(word[0]) in ("upper", "caseless")):
        first_word = _fold(re.split(r"[^\w-]", next_token, maxsplit=1)[0])
        return (newline and key in rules.ambiguous) or first_word in rules.starters
    return True


def split_long(sentence: str, max_units: int, count: Callable[[str], int]) -> list[str]:
    """Split a sentence that is too long into pieces that each fit ``max_units``.

    Boundaries are preferred in this order: after ``;`` or ``:``, after ``,``, at
    whitespace, and as a last resort between characters (never inside a combining
    sequence). Pieces are packed greedily, so each is as long as the budget allows.

    Args:
        sentence: The text to split.
        max_units: The largest ``count`` a piece may have; at least 1.
        count: Length function, e.g. a tokenizer's token count. It is called
            O(pieces x log(piece length)) times, never once per character.

    Returns:
        Stripped, non-empty pieces; joined with single spaces they reproduce the sentence
        up to whitespace. A piece exceeds ``max_units`` only if one character alone does.

    Raises:
        ValueError: If ``max_units`` is less than 1.
    """
    if max_units < 1:
        raise ValueError(f"max_units must be at least 1, got {max_units}")
    text = sentence.strip()
    if not text:
        return []
    if count(text) <= max_units:
        return [text]
    return _split_level(text, 0, max_units, count)


_LEVELS = (
    re.compile(r"(?<=[;:；：])\s+"),
    re.compile(r"(?<=[,،、，])\s+"),
    re.compile(r"\s+"),
)


def _split_level(text: str, level: int, max_units: int, count: Callable[[str], int]) -> list[str]:
    """Split ``text`` (too long) at the separators of ``level`` or weaker ones."""
    if level == len(_LEVELS):
        return _hard_cuts(text, max_units, count)
    parts = [p for p in _LEVELS[level].split(text) if p]
    if len(parts) == 1:
        return _split_level(text, level + 1, max_units, count)
    pieces: list[str] = []
    i = 0
    while i < len(parts):
        size = _longest_fit(len(parts) - i, partial(_joined, parts, i), max_units, count)
        if size == 0:
            pieces.extend(_split_level(parts[i], level + 1, max_units, count))
            i += 1
        else:
            pieces.append(" ".join(parts[i : i + size]))
            i += size
    return pieces


def _hard_cuts(text: str, max_units: int, count: Callable[[str], int]) -> list[str]:
    """Cut text without usable separators into the longest pieces that fit."""
    pieces: list[str] = []
    i = 0
    while i < len(text):
        size = max(1, _longest_fit(len(text) - i, partial(_sliced, text, i), max_units, count))
        while size > 1 and i + size < len(text) and unicodedata.combining(text[i + size]):
            size -= 1  # keep a base character with its combining marks
        pieces.append(text[i : i + size])
        i += size
    return pieces


def _joined(parts: Sequence[str], start: int, n: int) -> str:
    return " ".join(parts[start : start + n])


def _sliced(text: str, start: int, n: int) -> str:
    return text[start : start + n]


def _longest_fit(
    limit: int, prefix: Callable[[int], str], max_units: int, count: Callable[[str], int]
) -> int:
    """Largest ``n <= limit`` with ``count(prefix(n)) <= max_units`` (0 if none).

    Galloping then binary search, so the number of calls is logarithmic in the answer,
    not linear in ``limit``; ``count`` is assumed to grow with the prefix.
    """
    good, bad, probe = 0, limit + 1, 1
    while probe <= limit:
        if count(prefix(probe)) > max_units:
            bad = probe
            break
        good = probe
        probe = limit if probe < limit < 2 * probe else 2 * probe
    while bad - good > 1:
        middle = (good + bad) // 2
        if count(prefix(middle)) <= max_units:
            good = middle
        else:
            bad = middle
    return good
