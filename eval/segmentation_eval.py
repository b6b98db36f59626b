"""Score lingosum's sentence splitter against NTREX-128 (and FLORES-200) line boundaries.

Each NTREX document is rebuilt as running text: consecutive reference lines are joined
with one space, except that a line without terminal punctuation (a headline, a byline)
becomes its own paragraph (joined to its neighbours with a blank line). The text is then
split with :func:`lingosum.segment.split_paragraphs` and
:func:`lingosum.segment.split_sentences`, and the predicted sentence boundaries are
compared with the reference line boundaries. A boundary is the number of non-whitespace
characters before it, so the score does not depend on how whitespace was rebuilt.

FLORES-200 devtest has no documents; groups of ``--flores-group`` consecutive lines are
joined with a space into pseudo-paragraphs.

The plain ``.!?`` regex baseline is scored in the same run for comparison.

Web text (``--web FILE.conllu``, English only): the ``# text =`` lines of a CoNLL-U file
(e.g. UD English-EWT train or dev, never test) are grouped by ``# newdoc`` and
``# newpar``. By default (``--web-join headline``) each document is rebuilt like an NTREX
document: sentences joined by one space, a sentence without terminal punctuation (a
signature, a heading, "lol") on its own paragraph. ``--web-join newline`` joins the
sentences of a paragraph with a space and paragraphs with a newline, whatever their
punctuation; ``--web-join space`` joins everything with a space. The last two leave many
boundaries with nothing to see (no punctuation, no line break), which no splitter finds.
pysbd and sentencex are scored in the same run when they are installed
(``pip install pysbd sentencex``; neither is a lingosum dependency).

Usage::

    python eval/segmentation_eval.py /work/shared/evaldata/mt/ntrex128 \
        [--flores /work/shared/evaldata/mt/flores200_devtest] [--extra] [--errors N]
    python eval/segmentation_eval.py --web eval/data/ewt_dev_heldout.conllu [--errors N]

This script is not part of the package and is not imported by the tests.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lingosum.segment import split_paragraphs, split_sentences

Splitter = Callable[[str, str], list[str]]

# language code -> (NTREX file suffix, FLORES file stem)
CORE_LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("src.eng", "eng_Latn"),
    "az": ("ref.aze-Latn", "azj_Latn"),
    "ka": ("ref.kat", "kat_Geor"),
    "ru": ("ref.rus", "rus_Cyrl"),
}
# Languages lingosum has no specific rules for: they exercise the generic fallback.
EXTRA_LANGUAGES: dict[str, tuple[str, str]] = {
    "de": ("ref.deu", "deu_Latn"),
    "fr": ("ref.fra", "fra_Latn"),
    "tr": ("ref.tur", "tur_Latn"),
    "uk": ("ref.ukr", "ukr_Cyrl"),
    "kk": ("ref.kaz", "kaz_Cyrl"),
    "hy": ("ref.hye", "hye_Armn"),
}

_TERMINAL_LINE = re.compile(r"[.!?…։。！？][\"'”’»“)\]]*\s*$")
_BASELINE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Score:
    """Boundary counts for one splitter on one language."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """Share of predicted boundaries that are reference boundaries, in percent."""
        found = self.true_positives + self.false_positives
        return 100.0 * self.true_positives / found if found else 100.0

    @property
    def recall(self) -> float:
        """Share of reference boundaries that were predicted, in percent."""
        wanted = self.true_positives + self.false_negatives
        return 100.0 * self.true_positives / wanted if wanted else 100.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall, in percent."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file, without line endings."""
    return path.read_text(encoding="utf-8").splitlines()


def ntrex_documents(ntrex_dir: Path, suffix: str) -> list[list[str]]:
    """The reference lines of one NTREX language, grouped by document (in file order)."""
    ids = [line.split("\t")[0] for line in read_lines(ntrex_dir / "DOCUMENT_IDS.tsv")]
    lines = read_lines(ntrex_dir / f"newstest2019-{suffix}.txt")
    if len(ids) != len(lines):
        raise ValueError(f"{suffix}: {len(lines)} lines but {len(ids)} document ids")
    documents: list[list[str]] = []
    previous = None
    for doc_id, line in zip(ids, lines, strict=True):
        if doc_id != previous:
            documents.append([])
            previous = doc_id
        documents[-1].append(line.strip())
    return documents


def flores_documents(flores_dir: Path, stem: str, group: int) -> list[list[str]]:
    """FLORES-200 devtest lines of one language in groups of ``group`` consecutive lines."""
    lines = [line.strip() for line in read_lines(flores_dir / f"{stem}.devtest")]
    return [lines[i : i + group] for i in range(0, len(lines), group)]


def conllu_documents(path: Path) -> list[list[list[str]]]:
    """The sentences (``# text =``) of a CoNLL-U file, by document and paragraph."""
    documents: list[list[list[str]]] = []
    for line in read_lines(path):
        if line.startswith("# newdoc") or not documents:
            documents.append([[]])
        if line.startswith("# newpar") and documents[-1][-1]:
            documents[-1].append([])
        if line.startswith("# text = "):
            documents[-1][-1].append(line[len("# text = ") :].strip())
    return [[p for p in doc if p] for doc in documents if any(doc)]


def web_text(paragraphs: Sequence[Sequence[str]], join: str) -> tuple[str, list[str]]:
    """A document's running text and its reference sentences, in order."""
    sentences = [s for paragraph in paragraphs for s in paragraph]
    if join == "headline":
        return join_document(sentences), sentences
    separator = "\n" if join == "newline" else " "
    return separator.join(" ".join(paragraph) for paragraph in paragraphs), sentences


def other_splitters() -> dict[str, Splitter]:
    """pysbd and sentencex, where installed (for comparison only)."""
    found: dict[str, Splitter] = {}
    try:
        import pysbd  # type: ignore[import-not-found]

        segmenter = pysbd.Segmenter(language="en", clean=False)
        found["pysbd"] = lambda text, language: [s for s in segmenter.segment(text) if s.strip()]
    except ImportError:
        pass
    try:
        import sentencex  # type: ignore[import-not-found]

        found["sentencex"] = lambda text, language: [
            s for s in sentencex.segment(language, text) if s.strip()
        ]
    except ImportError:
        pass
    return found


def evaluate_web(path: Path, join: str, show_errors: int) -> None:
    """Print precision, recall and F1 of each splitter on web-text documents."""
    documents = conllu_documents(path)
    print(f"\n{path} ({len(documents)} documents, joined: {join})")
    print(f"{'splitter':<10} {'lang':<4} {'P':>6} {'R':>6} {'F1':>6}")
    splitters = {"lingosum": lingosum_splitter, "regex": regex_splitter, **other_splitters()}
    for name, splitter in splitters.items():
        tp = fp = fn = 0
        errors: list[str] = []
        for paragraphs in documents:
            text, reference = web_text(paragraphs, join)
            predicted = splitter(text, "en")
            gold, found = boundaries(reference), boundaries(predicted)
            tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
            errors.extend(_describe_errors(text, gold, found))
        print(_row(name, "en", Score(tp, fp, fn)))
        for line in errors[:show_errors] if name == "lingosum" else []:
            print(f"    {line}")


def has_terminal_punctuation(line: str) -> bool:
    """Whether a reference line ends a sentence with punctuation (else: headline, byline)."""
    return bool(_TERMINAL_LINE.search(line))


def join_document(lines: Sequence[str], headlines: bool = True) -> str:
    """Running text of a document; unpunctuated lines become paragraphs if ``headlines``."""
    text = ""
    for i, line in enumerate(lines):
        if i:
            own_paragraph = not has_terminal_punctuation(lines[i - 1]) or not (
                has_terminal_punctuation(line)
            )
            text += "\n\n" if headlines and own_paragraph else " "
        text += line
    return text


def boundaries(pieces: Sequence[str]) -> set[int]:
    """Offsets (in non-whitespace characters) between consecutive pieces."""
    offsets: set[int] = set()
    position = 0
    for piece in pieces[:-1]:
        position += len("".join(piece.split()))
        offsets.add(position)
    return offsets


def lingosum_splitter(text: str, language: str) -> list[str]:
    """lingosum's paragraph and sentence splitting."""
    return [s for p in split_paragraphs(text) for s in split_sentences(p, language)]


def regex_splitter(text: str, language: str) -> list[str]:
    """Baseline: split paragraphs on blank lines, then after any ``.!?`` before a space."""
    del language
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [s for p in paragraphs for s in _BASELINE.split(p) if s.strip()]


def score(
    documents: Sequence[Sequence[str]],
    splitter: Splitter,
    language: str,
    headlines: bool,
    errors: list[str] | None = None,
) -> Score:
    """Compare the splitter's boundaries with the line boundaries over all documents."""
    tp = fp = fn = 0
    for lines in documents:
        text = join_document(lines, headlines)
        predicted = splitter(text, language)
        if "".join("".join(predicted).split()) != "".join(text.split()):
            raise ValueError(f"{language}: the splitter lost or changed characters")
        reference = boundaries(lines)
        found = boundaries(predicted)
        tp += len(reference & found)
        fp += len(found - reference)
        fn += len(reference - found)
        if errors is not None:
            errors.extend(_describe_errors(text, reference, found))
    return Score(tp, fp, fn)


def _describe_errors(text: str, reference: set[int], found: set[int]) -> list[str]:
    """One line of context per wrong boundary: ``FP``/``FN`` and the text around it."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    lines = []
    for kind, offsets in (("FP", found - reference), ("FN", reference - found)):
        for offset in sorted(offsets):
            at = positions[offset] if offset < len(positions) else len(text)
            context = text[max(0, at - 50) : at] + " ‖ " + text[at : at + 40]
            lines.append(f"{kind}: {' '.join(context.split())}")
    return lines


def _row(name: str, language: str, result: Score) -> str:
    return (
        f"{name:<10} {language:<4} {result.precision:6.1f} {result.recall:6.1f} "
        f"{result.f1:6.1f}   (tp={result.true_positives} fp={result.false_positives} "
        f"fn={result.false_negatives})"
    )


def evaluate(
    title: str,
    corpora: dict[str, list[list[str]]],
    headlines: bool,
    show_errors: int,
) -> None:
    """Print precision, recall and F1 of both splitters for each language."""
    print(f"\n{title}")
    print(f"{'splitter':<10} {'lang':<4} {'P':>6} {'R':>6} {'F1':>6}")
    for language, documents in corpora.items():
        errors: list[str] = []
        ours = score(documents, lingosum_splitter, language, headlines, errors)
        baseline = score(documents, regex_splitter, language, headlines)
        print(_row("lingosum", language, ours))
        print(_row("regex", language, baseline))
        for line in errors[:show_errors]:
            print(f"    {line}")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ntrex_dir", type=Path, nargs="?", help="the ntrex128 directory")
    parser.add_argument("--web", type=Path, action="append", default=[], help="CoNLL-U file")
    parser.add_argument("--web-join", choices=("headline", "newline", "space"), default="headline")
    parser.add_argument(
        "--flores",
        type=Path,
        default=None,
        help="flores200_devtest directory (default: ../flores200_devtest next to ntrex_dir)",
    )
    parser.add_argument("--flores-group", type=int, default=5, help="lines per pseudo-paragraph")
    parser.add_argument("--extra", action="store_true", help="also score de fr tr uk kk hy")
    parser.add_argument("--errors", type=int, default=0, help="print up to N wrong boundaries")
    args = parser.parse_args(argv)

    for path in args.web:
        evaluate_web(path, args.web_join, args.errors)
    if args.ntrex_dir is None:
        return 0
    languages = dict(CORE_LANGUAGES)
    if args.extra:
        languages.update(EXTRA_LANGUAGES)
    ntrex = {
        lang: ntrex_documents(args.ntrex_dir, suffix) for lang, (suffix, _) in languages.items()
    }
    evaluate("NTREX-128 (documents, headlines as paragraphs)", ntrex, True, args.errors)

    flores_dir = args.flores or args.ntrex_dir.parent / "flores200_devtest"
    if flores_dir.is_dir():
        flores = {
            lang: flores_documents(flores_dir, stem, args.flores_group)
            for lang, (_, stem) in languages.items()
        }
        title = f"FLORES-200 devtest (groups of {args.flores_group} lines joined with a space)"
        evaluate(title, flores, False, args.errors)
        print(
            "note: many FLORES lines hold two or more sentences, so most FLORES false"
            " positives are correct splits; recall is the informative number there."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
