"""Translating Markdown while keeping the document.

markdown-it-py (CommonMark plus tables and strikethrough) finds the blocks and their source
lines. Only three kinds of region change; every other line is copied as it was:

* paragraphs and headings: the inline content is rebuilt as an element tree
  (:mod:`lingosum.markup.mdinline`), translated like HTML, and written back on one line
  (soft line breaks become spaces; hard breaks stay, with their line's prefix);
* table cells: each cell's text is replaced inside its row line;
* HTML blocks: translated with :func:`lingosum.markup.html.translate_html`'s machinery,
  when they are whole elements (a lone ``<div>`` opening Markdown content is left alone).

Code blocks, fenced code, reference definitions, thematic breaks and YAML front matter are
untouched; inline code, autolinks, inline HTML, escapes and entities are copied verbatim,
link and image targets too; image alt text is translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from lingosum.errors import InputError
from lingosum.markup.html import parse_html, serialize_html
from lingosum.markup.mdinline import Misaligned, build_inline, escape_markdown, write_inline
from lingosum.markup.protect import Translate, translate_marked
from lingosum.markup.tree import TreeJob

__all__ = ["translate_markdown"]

# Characters that may stand before a line's content: quote markers, list markers, heading
# hashes and indentation.
_PREFIX_CHARS = frozenset(" \t>-*+#.)0123456789")
# Line starts that would make text a list item, heading or block quote.
_NUMBERED = re.compile(r"\d{1,9}(?=[.)](?:\s|$))")
_MARKER = re.compile(r">|(?:#{1,6}|[-+])(?:\s|$)")


@dataclass
class _Edits:
    """Replacement lines by first line: ``start -> (end, text)``."""

    lines: list[str]
    offset: int
    by_start: dict[int, tuple[int, Callable[[], str]]] = field(default_factory=dict)
    rows: dict[int, _RowWriter] = field(default_factory=dict)

    def replace(self, start: int, end: int, write: Callable[[], str]) -> None:
        self.by_start[start + self.offset] = (end + self.offset, write)

    def result(self) -> str:
        out: list[str] = []
        index = 0
        while index < len(self.lines):
            if index in self.by_start:
                end, write = self.by_start[index]
                out.append(write())
                index = end
            else:
                out.append(self.lines[index])
                index += 1
        return "\n".join(out)


def translate_markdown(text: str, translate: Translate) -> str:
    """Translate the prose of a Markdown document, keeping its structure.

    Args:
        text: Markdown source.
        translate: maps a list of plain-text blocks to their translations; called once.

    Returns:
        The translated Markdown.

    Raises:
        InputError: an HTML block cannot be parsed.
        ModelError: ``translate`` returned the wrong number of texts.
    """
    from markdown_it import MarkdownIt

    lines = text.split("\n")
    offset = _front_matter_end(lines)
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    parser.disable("text_join")  # keeps escapes and entities as tokens of their own
    tokens = parser.parse("\n".join(lines[offset:]))
    edits = _Edits(lines, offset)
    md_job, html_job = TreeJob(), TreeJob()
    for index, token in enumerate(tokens):
        if token.type == "inline" and token.map:
            before = tokens[index - 1].type if index else ""
            if before in ("th_open", "td_open"):
                _add_cell(token, edits, md_job)
            else:
                _add_inline(token, edits, md_job)
        elif token.type == "html_block" and token.map:
            _add_html(token, edits, html_job)
    md_texts, html_texts = md_job.texts(), html_job.texts()
    translations = translate_marked(
        md_texts + html_texts,
        translate,
        is_marker=md_job.is_marker,
        escapes=[escape_markdown] * len(md_texts) + [None] * len(html_texts),
    )
    md_job.apply(translations[: len(md_texts)])
    html_job.apply(translations[len(md_texts) :])
    return edits.result()


def _front_matter_end(lines: list[str]) -> int:
    """The number of lines of a leading YAML front matter block (0 when there is none)."""
    if lines and lines[0].rstrip() == "---":
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                return index + 1
    return 0


def _locate(line: str, content: str) -> int:
    """Where ``content`` starts in ``line`` after a prefix of markers, or -1."""
    for index in range(len(line) + 1):
        if line.startswith(content, index):
            return index
        if index < len(line) and line[index] not in _PREFIX_CHARS:
            break
    return -1


def _add_inline(token: Any, edits: _Edits, job: TreeJob) -> None:
    start = token.map[0]
    content_lines = token.content.split("\n")
    source = edits.lines[start + edits.offset : start + edits.offset + len(content_lines)]
    places = [_locate(line, part) for line, part in zip(source, content_lines, strict=False)]
    if len(source) < len(content_lines) or min(places) < 0:
        return  # cannot map the content onto the lines: leave the block as it was
    prefixes = [line[:place] for line, place in zip(source, places, strict=False)]
    suffix = source[-1][places[-1] + len(content_lines[-1]) :]
    try:
        root = build_inline(token.content, token.children or [], prefixes)
    except Misaligned:
        return
    job.add(root)
    edits.replace(start, start + len(content_lines), lambda: _write_lines(root, prefixes, suffix))


def _write_lines(root: Any, prefixes: list[str], suffix: str) -> str:
    """A paragraph's (translated) source: the first line's prefix, the text, and after each
    hard break the prefix that line had."""
    lines = write_inline(root).split("\n")
    out = [prefixes[0] + _escape_line_start(lines[0])]
    for line in lines[1:]:
        prefix = max((p for p in prefixes[1:] if line.startswith(p)), key=len, default="")
        out.append(prefix + _escape_line_start(line[len(prefix) :]))
    return "\n".join(out) + suffix


def _escape_line_start(line: str) -> str:
    """Escape a translation that would begin a list, heading or quote at a line's start."""
    number = _NUMBERED.match(line)
    if number:
        return line[: number.end()] + "\\" + line[number.end() :]
    if _MARKER.match(line):
        return "\\" + line
    return line


def _add_cell(token: Any, edits: _Edits, job: TreeJob) -> None:
    if not token.content.strip():
        return
    try:
        root = build_inline(token.content, token.children or [], [""])
    except Misaligned:
        return
    job.add(root)
    row = token.map[0]
    writer = edits.rows.get(row)
    if writer is None:
        writer = edits.rows[row] = _RowWriter(edits.lines[row + edits.offset])
        edits.replace(row, row + 1, writer)
    writer.cells.append((token.content, root))


class _RowWriter:
    """Writes a table row with each cell's text replaced, left to right."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.cells: list[tuple[str, Any]] = []

    def __call__(self) -> str:
        out, cursor = [], 0
        for content, root in self.cells:
            found = self.line.find(content, cursor)
            if found < 0:
                continue
            out += [self.line[cursor:found], write_inline(root)]
            cursor = found + len(content)
        return "".join(out) + self.line[cursor:]


def _add_html(token: Any, edits: _Edits, job: TreeJob) -> None:
    start, end = token.map
    raw = "\n".join(edits.lines[start + edits.offset : end + edits.offset])
    if not raw.strip() or not _round_trips(raw):
        return
    parsed = parse_html(raw)
    job.add(parsed.root)
    edits.replace(start, end, lambda: serialize_html(parsed))


class _TagEvents(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.events.append(("start", tag))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))


def _tag_events(html: str) -> list[tuple[str, str]]:
    events = _TagEvents()
    events.feed(html)
    events.close()
    return events.events


def _round_trips(raw: str) -> bool:
    """Whether lxml reads and writes the block with the same tags (an HTML block that opens
    an element closed in a later block would come back closed, breaking the document)."""
    try:
        return _tag_events(serialize_html(parse_html(raw))) == _tag_events(raw)
    except InputError:
        return False
