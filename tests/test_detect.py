"""Tests of lingosum.detect: scripts, telltale letters, short text, und, determinism.

The sentences here were written for these tests; no evaluation data is read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from lingosum.detect import SAMPLE_CHARS, Candidate, Detection, detect_language
from lingosum.errors import InputError

SENTENCES = [
    ("en", "The weather was lovely yesterday, so we walked along the river until sunset."),
    ("az", "Bu gün hava çox gözəldir və biz parkda gəzməyə getdik."),
    ("ka", "დღეს ამინდი ძალიან კარგია და ჩვენ პარკში ვისეირნეთ."),
    ("ru", "Сегодня погода очень хорошая, и мы гуляли в парке до вечера."),
    ("tr", "Bugün hava çok güzel ve akşama kadar parkta yürüyüş yaptık."),
    ("hy", "Այսօր եղանակը շատ լավ է, և մենք զբոսնեցինք այգում։"),
    ("uk", "Сьогодні погода дуже гарна, і ми гуляли в парку до вечора."),
    ("kk", "Бүгін ауа райы өте жақсы, біз кешке дейін саябақта серуендедік."),
    (
        "de",
        "Heute ist das Wetter sehr schön, und wir sind bis zum Abend im Park spazieren gegangen.",
    ),
    (
        "fr",
        "Aujourd'hui, il fait très beau et nous nous sommes promenés dans le parc jusqu'au soir.",
    ),
]

SHORT_TEXTS = [
    ("en", "Good morning"),
    ("en", "He said"),
    ("az", "Salam, necəsən?"),
    ("ka", "გამარჯობა"),
    ("ru", "Привет, как дела?"),
    ("tr", "Merhaba, nasılsın?"),
    ("hy", "Բարև ձեզ"),
    ("uk", "Добрий вечір"),
    ("kk", "Рақмет, досым"),
    ("de", "Danke schön"),
    ("fr", "Bonjour à tous"),
]

# A greeting or thanks in each language: what a chat message or a server's /detect gets.
GREETINGS = [
    ("en", "Hello"),
    ("en", "thank you"),
    ("az", "Sabahınız xeyir"),
    ("az", "Çox sağ ol"),
    ("ka", "გამარჯობა"),
    ("ru", "Привет"),
    ("ru", "Спасибо"),
    ("tr", "Merhaba"),
    ("tr", "Teşekkür ederim"),
    ("hy", "Բարև"),
    ("uk", "Привіт"),
    ("uk", "Дякую"),
    ("kk", "Сәлеметсіз бе"),
    ("kk", "Рахмет"),
    ("de", "Hallo"),
    ("de", "Danke"),
    ("fr", "Bonjour"),
    ("fr", "Merci beaucoup"),
]

# Word pairs, many from the pairs detectors confuse most (uk/ru, az/tr, kk/ru, fr/en,
# de/en, de/nl).
WORD_PAIRS = [
    ("uk", "що робити"),
    ("ru", "что делать"),
    ("uk", "він каже"),
    ("ru", "он сказал"),
    ("uk", "де ти"),
    ("ru", "где ты"),
    ("az", "yaxşı adam"),
    ("tr", "iyi adam"),
    ("az", "və ya"),
    ("tr", "bu akşam"),
    ("kk", "бұл кітап"),
    ("kk", "мен сені"),
    ("fr", "les gens"),
    ("fr", "avec nous"),
    ("en", "the people"),
    ("de", "die Leute"),
    ("de", "nicht gut"),
    ("de", "ich bin"),
    ("de", "das Haus"),
]

# Everyday Azerbaijani without ə, q or x (first person, present tense: what a chat has and
# news lacks), next to its Turkish counterparts.
EVERYDAY_AZ_TR = [
    ("az", "Başım ağrıyır."),
    ("tr", "Başım ağrıyor."),
    ("az", "Bakıda yaşayıram."),
    ("az", "Biz restorana getdik."),
    ("tr", "Ben seni seviyorum."),
]

# Cases that turn on one rule each.
RULES = [
    ("az", "Uşaqlar bağçada oynayırdılar."),  # no ə, but q: Azerbaijani, not Turkish
    ("tr", "Çocuklar bahçede oynuyorlardı."),  # the Turkish version of the line above
    ("tr", "Xinhua ajansına göre toplantı yarın İstanbul'da yapılacak."),  # x in a name only
    ("kk", "Ол кеше келді."),  # no Kazakh-only letter, but Kazakh words
    ("uk", "Він сказав, що прийде завтра."),  # і
    ("ru", "Он сказал, что придёт завтра."),  # ё
    ("sr", "Ђаци су ћутали у учионици."),  # ђ ћ
    ("zh-cn", "我们今天去公园散步了，天气非常好。"),  # langdetect's code passes through
]


@pytest.mark.parametrize(("language", "text"), SENTENCES)
def test_sentences(language: str, text: str) -> None:
    result = detect_language(text)
    assert result.language == language
    assert result.reason is None
    assert 0.5 < result.confidence <= 1.0


@pytest.mark.parametrize(("language", "text"), SHORT_TEXTS)
def test_short_texts(language: str, text: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize(("language", "text"), GREETINGS + WORD_PAIRS + EVERYDAY_AZ_TR)
def test_greetings_and_word_pairs(language: str, text: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize(
    ("text", "language"),
    [("і", "uk"), ("à", "fr"), ("и", "ru"), ("ə", "az"), ("la", "fr"), ("ich", "de")],
)
def test_short_words_a_language_owns(text: str, language: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize(
    ("text", "top"), [("Guten Morgen", 3), ("Добрий вечір", 2), ("bu gün", 5), ("ok then", 1)]
)
def test_top_candidates(text: str, top: int) -> None:
    result = detect_language(text, top=top)
    assert 1 <= len(result.candidates) <= top
    assert result.candidates[0] == Candidate(result.language, result.confidence)
    probabilities = [c.probability for c in result.candidates]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert len({c.language for c in result.candidates}) == len(result.candidates)


def test_top_defaults_to_one_candidate_and_scripts_give_one() -> None:
    assert len(detect_language("Guten Morgen").candidates) == 1
    assert detect_language("გამარჯობა", top=5).candidates == (Candidate("ka", 1.0),)
    assert detect_language("", top=3).candidates == ()


@pytest.mark.parametrize("top", [0, -1])
def test_top_below_one_is_an_input_error(top: int) -> None:
    with pytest.raises(InputError, match="top"):
        detect_language("Hello there", top=top)


def test_cli_top_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lingosum", "detect", "--top", "3", "--json"],
        input="Guten Morgen",
        capture_output=True,
        text=True,
        check=True,
    )
    payload = json.loads(result.stdout)
    assert payload["language"] == "de"
    languages = [c["language"] for c in payload["candidates"]]
    assert languages[0] == "de" and 1 <= len(languages) <= 3
    assert payload["candidates"][0]["probability"] == payload["confidence"]


def test_cli_top_text_lists_candidates() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lingosum", "detect", "--top", "2"],
        input="Добрий вечір",
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0][0] == "uk" and 1 <= len(lines) <= 2
    assert all(0.0 <= float(p) <= 1.0 for _, p in lines)


def test_cli_top_zero_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lingosum", "detect", "--top", "0"],
        input="Hello there",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("lingosum: error:") and "top" in result.stderr


def test_candidate_is_exported() -> None:
    import lingosum

    assert lingosum.Candidate is Candidate


@pytest.mark.parametrize(("language", "text"), RULES)
def test_rules(language: str, text: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no letters"),
        ("   \n\t ", "no letters"),
        ("12345 67.89 -- 2024", "no letters"),
        ("🙂🎉👍 ❤️", "no letters"),
        ("!!! ??? ...", "no letters"),
        ("a", "too little text to judge (1 letter)"),
        ("ok!", "too little text to judge (2 letters)"),
        ("ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ", "script"),  # Cherokee: no rule, no profile
    ],
)
def test_und_with_reason(text: str, reason: str) -> None:
    result = detect_language(text)
    assert result == Detection("und", 0.0, result.reason)
    assert result.reason is not None and reason in result.reason
    assert "\n" not in result.reason


def test_same_answer_every_time() -> None:
    texts = [text for _, text in SENTENCES + SHORT_TEXTS + RULES]
    first = [detect_language(text) for text in texts]
    assert [detect_language(text) for text in texts] == first
    assert [detect_language(text) for text in reversed(texts)] == first[::-1]


def test_answer_does_not_depend_on_call_order() -> None:
    script = (
        "import dataclasses, json, sys\n"
        "from lingosum.detect import detect_language\n"
        "texts = json.loads(sys.argv[1])\n"
        "if sys.argv[2] == 'reverse':\n"
        "    texts = texts[::-1]\n"
        "out = {t: dataclasses.asdict(detect_language(t, top=3)) for t in texts}\n"
        "print(json.dumps(out, sort_keys=True))\n"
    )
    texts = ["Good morning", "Guten Morgen", "Bonjour à tous", "Merhaba", "Как дела?"]
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, json.dumps(texts), order],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for order in ("forward", "reverse")
    ]
    assert runs[0] == runs[1]


def test_long_text_reads_a_bounded_sample() -> None:
    paragraph = "ჩვენ დღეს ვსწავლობთ ქართულ ენას და ვკითხულობთ ძველ წიგნებს. "
    text = paragraph * (3_000_000 // len(paragraph))  # about 3 MB
    start = time.perf_counter()
    result = detect_language(text)
    assert result.language == "ka"
    assert time.perf_counter() - start < 1.0
    assert len(text) > 1000 * SAMPLE_CHARS


def test_long_text_is_judged_beyond_its_first_characters() -> None:
    preface = "Copyright notice. All rights reserved. " * 5
    body = "Сегодня мы читаем старые книги и учим новые слова. " * 2000
    assert detect_language(preface + body).language == "ru"


def test_mixed_script_majority_decides() -> None:
    georgian = "ჯონ სმიტმა (John Smith) და მერი ჯონსმა (Mary Jones) გუშინ თბილისში ისაუბრეს."
    english = "We visited Tbilisi, where the sign said თბილისი, and stayed for a week."
    assert detect_language(georgian).language == "ka"
    assert detect_language(english).language == "en"


def test_importing_does_not_import_langdetect() -> None:
    code = "import sys, lingosum.detect; print('langdetect' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
