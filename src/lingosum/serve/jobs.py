"""What the server asks of the engine: the batched model calls and language detection.

The functions here run on the batcher's worker thread (``make_runner``) or on a thread of
their own (``detect_sources``); none of them touches the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

from lingosum.engine import Engine
from lingosum.segment import split_paragraphs, split_sentences
from lingosum.serve.config import ServeConfig
from lingosum.serve.limits import ApiError
from lingosum.summarize.engine import SummarizeOptions, Summary
from lingosum.translate.engine import TranslateOptions, Translation

TEXT, HTML = "text", "html"
# LibreTranslate judges a text this short by the detection of all texts of the request.
SHORT_TEXT_CHARS = 40


@dataclass(frozen=True)
class JobKey:
    """What jobs must share to go to the model together."""

    task: str
    targets: tuple[str, ...]
    fmt: str = TEXT
    alternatives: int = 0
    length: str = "medium"


@dataclass(frozen=True)
class Job:
    """One request's texts and their (given or detected) source languages."""

    texts: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Detected:
    language: str
    confidence: float  # 0-100, as LibreTranslate reports it

    def to_dict(self) -> dict[str, Any]:
        return {"confidence": self.confidence, "language": self.language}


def make_runner(
    engine: Engine, config: ServeConfig
) -> Callable[[Hashable, Sequence[Job]], list[Any]]:
    """The batcher's model call: all jobs' texts in one engine call, split back per job.

    Each job's result is a list, one entry per text, of lists, one entry per target, of the
    engine's ``Translation`` or ``Summary`` objects.
    """

    def run(key: Hashable, jobs: Sequence[Job]) -> list[Any]:
        if not isinstance(key, JobKey):
            raise TypeError(f"unexpected job key {key!r}")
        texts = [text for job in jobs for text in job.texts]
        sources: list[str | None] = [source for job in jobs for source in job.sources]
        outputs: list[Sequence[Translation | Summary]] = []
        if key.task == "summarize":
            outputs += engine.summarize_many(
                texts, key.targets, sources=sources, options=summarize_options(key, config)
            )
        elif key.fmt == HTML:
            options = translate_options(replace(key, alternatives=0), config)
            outputs += _translate_html(engine, texts, sources, key.targets, options)
        else:
            outputs += engine.translate_many(
                texts,
                key.targets,
                sources=sources,
                options=translate_options(key, config),
            )
        results, start = [], 0
        for job in jobs:
            results.append(outputs[start : start + len(job.texts)])
            start += len(job.texts)
        return results

    return run


def translate_options(key: JobKey, config: ServeConfig) -> TranslateOptions:
    """Decoding options: the model batch as large as the batcher's, so that a merged
    batch is one model call; n-best alternatives need as many beams as hypotheses."""
    hypotheses = key.alternatives + 1
    return TranslateOptions(
        num_beams=max(config.beams, hypotheses),
        batch_size=config.max_batch,
        max_new_tokens=config.max_tokens,
        num_hypotheses=hypotheses,
    )


def summarize_options(key: JobKey, config: ServeConfig) -> SummarizeOptions:
    translation = translate_options(JobKey("translate", key.targets), config)
    return SummarizeOptions(key.length, config.beams, translation=translation)


def _translate_html(
    engine: Engine,
    docs: Sequence[str],
    sources: Sequence[str | None],
    targets: tuple[str, ...],
    options: TranslateOptions,
) -> list[list[Translation]]:
    """Translate HTML documents, keeping their markup, with one engine call for all.

    ``translate_html`` asks for a document's text blocks in one call. A first pass only
    collects every document's blocks; they are translated together; a second pass puts
    each document's translations back (parsing the same input gives the same blocks).
    """
    from lingosum.markup.html import translate_html
    from lingosum.translate import Translation

    collected = [_blocks_of(doc) for doc in docs]
    todo = [
        (block, source)
        for blocks, source in zip(collected, sources, strict=True)
        for block in blocks
        if block.strip()
    ]
    rows = []
    if todo:
        texts, langs = [block for block, _ in todo], [source for _, source in todo]
        rows = engine.translate_many(texts, targets, sources=langs, options=options)
    done = iter(row[0].text for row in rows)
    results = []
    for doc, blocks, source in zip(docs, collected, sources, strict=True):
        mine = [next(done) if block.strip() else block for block in blocks]
        text = translate_html(doc, _answer(mine))
        results.append([Translation(text, source or "", targets[0])])
    return results


def _blocks_of(doc: str) -> list[str]:
    """The text blocks ``translate_html`` would send for ``doc``."""
    from lingosum.markup.html import translate_html

    seen: list[str] = []

    def collect(blocks: Sequence[str]) -> list[str]:
        seen.extend(blocks)
        return list(blocks)

    translate_html(doc, collect)
    return seen


def _answer(translations: list[str]) -> Callable[[Sequence[str]], list[str]]:
    def give(_: Sequence[str]) -> list[str]:
        return translations

    return give


def count_sentences(texts: Sequence[str], sources: Sequence[str], fmt: str) -> int:
    """How many model inputs a job brings, roughly: what ``--max-batch`` counts."""
    total = 0
    for text, source in zip(texts, sources, strict=True):
        plain = html_text(text) if fmt == HTML else text
        total += sum(len(split_sentences(p, source)) for p in split_paragraphs(plain))
    return max(1, total)


def detect_sources(engine: Engine, texts: Sequence[str], fmt: str) -> list[Detected]:
    """Each text's language as LibreTranslate reports it for ``source=auto``.

    A short text (or one the detector cannot judge) takes the language of all texts of the
    request together, as LibreTranslate does.

    Raises:
        ApiError: 400 when no language can be told.
    """
    plain = [html_text(text) if fmt == HTML else text for text in texts]
    overall: Detected | None = None
    found = []
    for text in plain:
        detected = _detect(engine, text) if len(text) > SHORT_TEXT_CHARS else None
        if detected is None:
            overall = overall or _detect(engine, "\n".join(plain))
            if overall is None:
                raise ApiError(400, "Cannot detect the language of the text; pass source")
            detected = overall
        found.append(detected)
    return found


def detect_candidates(engine: Engine, text: str, top: int = 3) -> list[Detected]:
    """The most likely languages of ``text`` (``und`` with confidence 0 when none)."""
    detection = engine.detect(text, top=top)
    if not detection.candidates:
        return [Detected(detection.language, 0.0)]
    return [Detected(c.language, round(100.0 * c.probability, 1)) for c in detection.candidates]


def _detect(engine: Engine, text: str) -> Detected | None:
    detection = engine.detect(text, top=1)
    if detection.language == "und":
        return None
    return Detected(detection.language, round(100.0 * detection.confidence, 1))


class _TextOnly(HTMLParser):
    """Collects the text of an HTML document, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML document or fragment (for detection and counting only)."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
