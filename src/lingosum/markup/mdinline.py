"""Markdown inline markup as a small element tree, and back to Markdown source.

markdown-it-py parses a paragraph's inline content into tokens but gives no source
positions, so :func:`build_inline` walks the raw content alongside the tokens and records
each token's exact source (``*`` or ``_``, the link's ``](target "title")``...). The tree
uses four tags that :mod:`lingosum.markup.tree` already knows:

* ``div``: the root (a block);
* ``span``: emphasis, strong, strikethrough, a link's text, an image's alt text, with the
  source markup in the attributes ``open`` and ``close`` (link targets live there,
  untouched);
* ``code``: atoms copied verbatim (inline code, inline HTML, autolinks, escapes, entities),
  source in ``raw``;
* ``br``: hard line breaks (end a run), source in ``raw`` with the next line's prefix.

:func:`write_inline` turns the (translated) tree back into Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["Misaligned", "build_inline", "escape_markdown", "write_inline"]

_SOFTBREAK = re.compile(r"[ \t]*\n[ \t]*")
_HARDBREAK = re.compile(r"(?: {2,}|\\)\n[ \t]*")
_SPACES = re.compile(r"\s*")
_MARKUP = ("em", "strong", "s")
# Characters a translation must not introduce as markup.
_SPECIAL = re.compile(r"([\\`*_\[\]<|])")


class Misaligned(Exception):
    """The tokens do not match the source: the region is left as it was."""


def escape_markdown(text: str) -> str:
    """Backslash-escape characters that would turn a translation's text into markup."""
    return _SPECIAL.sub(r"\\\1", text)


class _Builder:
    def __init__(self, source: str, prefixes: Sequence[str]) -> None:
        from lxml import etree

        self.etree = etree
        self.source = source
        self.position = 0
        self.prefixes = prefixes
        self.root = etree.Element("div")
        self.stack = [self.root]

    def take(self, raw: str) -> str:
        if not self.source.startswith(raw, self.position):
            raise Misaligned(f"expected {raw!r} at {self.position}")
        self.position += len(raw)
        return raw

    def take_pattern(self, pattern: re.Pattern[str]) -> str:
        match = pattern.match(self.source, self.position)
        if match is None:
            raise Misaligned(f"expected {pattern.pattern!r} at {self.position}")
        self.position = match.end()
        return match.group()

    def text(self, text: str) -> None:
        current = self.stack[-1]
        if len(current):
            current[-1].tail = (current[-1].tail or "") + text
        else:
            current.text = (current.text or "") + text

    def atom(self, raw: str, tag: str = "code") -> None:
        self.etree.SubElement(self.stack[-1], tag, raw=raw)

    def open(self, raw: str) -> None:
        self.stack.append(self.etree.SubElement(self.stack[-1], "span", open=raw))

    def close(self, raw: str) -> None:
        if len(self.stack) < 2:
            raise Misaligned("closing markup without an opening")
        span = self.stack.pop()
        span.set("close", raw)
        if raw in ("]", "][]"):
            # A shortcut or collapsed reference: its text is the label, so it cannot change.
            atom = self.etree.Element("code", raw=span.get("open", "") + write_inline(span) + raw)
            span.getparent().replace(span, atom)


def build_inline(content: str, tokens: Sequence[Any], prefixes: Sequence[str]) -> Any:
    """Build the element tree of one inline region.

    Args:
        content: the inline token's ``content`` (raw source, line prefixes removed).
        tokens: the inline token's ``children``.
        prefixes: each source line's prefix (quote markers, list indentation), used to
            continue the text after a hard line break.

    Returns:
        The root ``div`` element.

    Raises:
        Misaligned: a token cannot be matched to the source.
    """
    builder = _Builder(content, prefixes)
    _walk(builder, list(tokens))
    rest = content[builder.position :]
    if rest.strip() or len(builder.stack) != 1:
        raise Misaligned("source left over after the last token")
    builder.text(rest)
    return builder.root


def _walk(builder: _Builder, tokens: list[Any]) -> None:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "link_open" and token.markup in ("autolink", "linkify"):
            end = builder.source.find(">", builder.position) + 1
            if token.markup == "linkify" or end == 0:
                raise Misaligned("unsupported link form")
            builder.atom(builder.take(builder.source[builder.position : end]))
            while tokens[index].type != "link_close":
                index += 1
        else:
            _token(builder, token)
        index += 1


def _token(builder: _Builder, token: Any) -> None:
    kind = token.type
    if kind == "text":
        builder.text(builder.take(token.content))
    elif kind == "softbreak":
        builder.take_pattern(_SOFTBREAK)
        builder.text(" ")
    elif kind == "hardbreak":
        raw = builder.take_pattern(_HARDBREAK)
        line = builder.source.count("\n", 0, builder.position)
        prefix = builder.prefixes[line] if line < len(builder.prefixes) else ""
        builder.atom(raw.rstrip(" \t") + prefix, tag="br")
    elif kind.endswith("_open") and kind[:-5] in _MARKUP:
        builder.open(builder.take(token.markup))
    elif kind.endswith("_close") and kind[:-6] in _MARKUP:
        builder.close(builder.take(token.markup))
    elif kind == "code_inline":
        builder.atom(builder.take(_code_span(builder.source, builder.position, token.markup)))
    elif kind == "html_inline":
        builder.atom(builder.take(token.content))
    elif kind == "text_special":
        builder.atom(builder.take(token.markup))
    elif kind == "link_open":
        builder.open(builder.take("["))
    elif kind == "link_close":
        builder.close(builder.take(_link_tail(builder.source, builder.position)))
    elif kind == "image":
        builder.open(builder.take("!["))
        _walk(builder, list(token.children or []))
        builder.close(builder.take(_link_tail(builder.source, builder.position)))
    else:
        raise Misaligned(f"unsupported token {kind}")


def _code_span(source: str, start: int, ticks: str) -> str:
    """The source of the code span opened by ``ticks`` at ``start``."""
    if not source.startswith(ticks, start):
        raise Misaligned("code span")
    index = source.find(ticks, start + len(ticks))
    while index >= 0:
        after = index + len(ticks)
        if source[index - 1] != "`" and (after == len(source) or source[after] != "`"):
            return source[start:after]
        index = source.find(ticks, index + 1)
    raise Misaligned("unclosed code span")


def _link_tail(source: str, start: int) -> str:
    """The source from a link text's closing ``]`` to the end of its target."""
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    if not source.startswith("]", start):
        raise Misaligned("link text end")
    after = start + 1
    if source.startswith("(", after):
        position = _skip_space(source, after + 1)
        destination = parseLinkDestination(source, position, len(source))
        if destination.ok:
            position = _skip_space(source, destination.pos)
            title = parseLinkTitle(source, position, len(source))
            if title.ok:
                position = _skip_space(source, title.pos)
        if source.startswith(")", position):
            return source[start : position + 1]
    if source.startswith("[", after):
        end = source.find("]", after)
        if end > 0:
            return source[start : end + 1]
    return "]"


def _skip_space(source: str, position: int) -> int:
    match = _SPACES.match(source, position)
    return match.end() if match else position


def write_inline(root: Any) -> str:
    """Markdown source of a tree made by :func:`build_inline` (text as it is now)."""
    out = [root.text or ""]
    for child in root:
        if child.tag == "span":
            out += [child.get("open", ""), write_inline(child), child.get("close", "")]
        else:
            out.append(child.get("raw", ""))
        out.append(child.tail or "")
    return "".join(out)
