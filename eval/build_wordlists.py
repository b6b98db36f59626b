"""Build ``src/lingosum/data/words.tsv.gz``, the word tables of the short-text detector.

Sources (attributed in the README):

* wordfreq 3.1.1's ``small`` lists (Robyn Speer; data CC BY-SA 4.0) for every language
  it has: the :data:`TOP` most frequent words with their frequencies;
* Azerbaijani and Kazakh, which wordfreq lacks: word counts over NTREX-128 (FLORES-200,
  where the short-text sets of ``shorttext_data.py`` come from, is never read);
* for Azerbaijani also word counts over ``eval/data/tatoeba_az_train.txt``, 2,259 everyday
  sentences from the Tatoeba Challenge dev and test sets (Tatoeba, CC BY 2.0 FR), since news
  leaves out the words of a chat (first person, present tense); a word takes the higher
  of its two frequencies.

It also writes ``src/lingosum/data/ngrams.tsv.gz``, an n-gram profile of each language's
table in langdetect's form (1- to 3-grams of each word padded with spaces, each word of
the table counted once; probability among the n-grams of the same length; n-grams seen
once are dropped). Each line of the word file is ``lang<TAB>centibels<TAB>word word ...``: the words
of one language that share one frequency (centibels: 100 x log10 of the frequency,
rounded, as wordfreq stores them). Run it with wordfreq installed in some environment::

    pip install wordfreq==3.1.1
    python eval/build_wordlists.py /work/shared/evaldata/mt/ntrex128

This script is not part of the package and is not imported by the tests.
"""

from __future__ import annotations

import argparse
import gzip
import math
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from shorttext_data import ntrex_lines  # noqa: E402

WORDFREQ_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "tr", "ru", "uk", "bg", "mk")
NTREX_LANGUAGES = ("az", "kk")
TOP = 15_000
# News leaves out the words of a chat; these everyday Azerbaijani and Kazakh words were
# written for lingosum (greetings, thanks, pronouns, yes/no, common verbs) and count with
# the frequency of a common word unless the corpus counts them higher.
EVERYDAY = {
    "az": "salam sağ ol sağol təşəkkür təşəkkürlər edirəm xahiş bəli xeyr yox hə necəsən "
    "necəsiniz yaxşıyam yaxşı pis mən sən o biz siz onlar nə niyə harada haradasan kim "
    "zaman vaxt bugün sabah dünən gecəniz xeyrə qalın sabahınız axşamınız günortanız xeyir "
    "görüşərik hələlik xoş gəldiniz gəlmisiniz bağışla bağışlayın üzr istəyirəm sevirəm "
    "səni məni sənin mənim var yoxdur olar olmaz lazımdır indi sonra burada orada gəl get "
    "bax deyin danış başa düşmürəm bilmirəm bilirəm adın adınız adım qardaş bacı dost "
    "dostum ana ata uşaq ev iş pul su çörək çay gözəl əla çox az nəsə heç necə",
    "kk": "сәлем сәлеметсіз сәлеметсің бе рахмет рақмет иә жоқ жақсы жаман қалайсыз "
    "қалайсың қалың қалай мен сен сіз ол біз олар не неге қайда кім қашан бүгін ертең "
    "кеше кешіріңіз кешір келіңіз сау болыңыз болсын қош келдіңіз түн таң кеш қайырлы "
    "жарайды білмеймін білемін түсінбеймін түсіндім керек бар бол менің сенің сіздің "
    "атым атың досым ана әке бала үй жұмыс ақша су нан шай әдемі өте көп аз",
}
EVERYDAY_CENTIBELS = -300
# Counts from one small corpus overstate how often a rare word occurs; discount them.
DISCOUNT = 0.5
CHAT_CORPORA = {"az": Path(__file__).parent / "data" / "tatoeba_az_train.txt"}
DATA = Path(__file__).parent.parent / "src" / "lingosum" / "data"
OUT = DATA / "words.tsv.gz"
NGRAMS_OUT = DATA / "ngrams.tsv.gz"
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def wordfreq_rows(lang: str) -> list[tuple[int, str]]:
    """(centibels, word) for the top words of wordfreq's list, words with letters only."""
    import wordfreq

    rows = []
    for word in wordfreq.top_n_list(lang, TOP * 2, wordlist="small"):
        if _TOKEN.fullmatch(word):
            freq = wordfreq.word_frequency(word, lang, wordlist="small")
            rows.append((round(100 * math.log10(freq)), word))
        if len(rows) == TOP:
            break
    return rows


def corpus_rows(lines: list[str]) -> list[tuple[int, str]]:
    """(centibels, word) from word counts over ``lines`` (lower-cased; names left out)."""
    counts: Counter[str] = Counter()
    lowercase: set[str] = set()
    for line in lines:
        words = _TOKEN.findall(line.replace("’", "'"))
        lowercase.update(w for w in words if w.islower())
        counts.update(w.replace("İ", "i").lower() for w in words)
    total = sum(counts.values())
    # Words never written in lower case are names (Mendoza, Steven): no evidence.
    counts = Counter({w: n for w, n in counts.items() if w in lowercase})
    return [
        (round(100 * math.log10((n - DISCOUNT) / total)), word)
        for word, n in counts.most_common(TOP)
    ]


def ngram_rows(words: list[str]) -> list[tuple[str, float]]:
    """(n-gram, probability among n-grams of its length) over the distinct ``words``."""
    counts: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for size in (1, 2, 3):
            counts.update(
                padded[i : i + size]
                for i in range(len(padded) - size + 1)
                if padded[i : i + size] != " "
            )
    totals: Counter[int] = Counter()
    for gram, n in counts.items():
        totals[len(gram)] += n
    return [(g, n / totals[len(g)]) for g, n in counts.most_common() if n > 1]


def main(argv: list[str] | None = None) -> int:
    """Build the table file from wordfreq and the NTREX table split."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ntrex_dir", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    buckets: dict[tuple[str, int], list[str]] = {}
    for lang in (*WORDFREQ_LANGUAGES, *NTREX_LANGUAGES):
        if lang in WORDFREQ_LANGUAGES:
            rows = wordfreq_rows(lang)
        else:
            rows = corpus_rows(ntrex_lines(args.ntrex_dir, lang))
            if lang in CHAT_CORPORA:
                chat = CHAT_CORPORA[lang].read_text(encoding="utf-8").splitlines()
                rows += corpus_rows(chat)
            counted: dict[str, int] = {}
            for cb, word in rows:
                counted[word] = max(cb, counted.get(word, cb))
            for word in EVERYDAY[lang].split():
                counted[word] = max(counted.get(word, EVERYDAY_CENTIBELS), EVERYDAY_CENTIBELS)
            rows = [(cb, word) for word, cb in counted.items()]
        for cb, word in rows:
            buckets.setdefault((lang, cb), []).append(word)
    lines = [f"{lang}\t{cb}\t{' '.join(words)}" for (lang, cb), words in buckets.items()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write_gzip(args.out, lines)
    print(f"{args.out}: {len(lines)} lines, {args.out.stat().st_size} bytes")
    words: dict[str, list[str]] = {}
    for (lang, _), bucket in buckets.items():
        words.setdefault(lang, []).extend(bucket)
    grams = [
        f"{lang}\t{gram}\t{prob:.3g}"
        for lang, vocabulary in words.items()
        for gram, prob in ngram_rows(vocabulary)
    ]
    _write_gzip(NGRAMS_OUT, grams)
    print(f"{NGRAMS_OUT}: {len(grams)} n-grams, {NGRAMS_OUT.stat().st_size} bytes")
    return 0


def _write_gzip(path: Path, lines: list[str]) -> None:
    """Write lines gzipped, with no timestamp, so a rebuild gives the same bytes."""
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        packed.write(("\n".join(lines) + "\n").encode("utf-8"))


if __name__ == "__main__":
    raise SystemExit(main())
