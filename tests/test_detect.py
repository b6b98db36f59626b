"""Tests of lingosum.detect: scripts, telltale letters, short text, und, determinism.

The sentences here were written for these tests; no evaluation data is read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from lingosum.detect import SAMPLE_CHARS, Detection, detect_language

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
        "import json, sys\n"
        "from lingosum.detect import detect_language\n"
        "texts = json.loads(sys.argv[1])\n"
        "if sys.argv[2] == 'reverse':\n"
        "    texts = texts[::-1]\n"
        "out = {t: list(detect_language(t).__dict__.values()) for t in texts}\n"
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
