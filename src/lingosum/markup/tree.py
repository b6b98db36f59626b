"""Translating the text of lxml element trees while keeping every element where it was.

HTML documents and the inline markup of Markdown (rebuilt as a small element tree) both go
through :class:`TreeJob`.

Vocabulary
----------
* A **block** element (``p``, ``li``, ``td``, ``h1``..., or any element holding one) is a
  container; its text is translated in **runs**.
* A **run** is the text of a container up to the next block, ``<br>`` or untouched
  element: the container's text (or the tail of the child before it), its inline children
  with all their text, and their tails. A run is translated as one unit, so a sentence
  that crosses ``<b>`` or ``<a>`` reaches the model whole.
* **Inline** elements (``b``, ``a``, ``em``, ``span``...) are the elements a run crosses.
* **Atoms** (``code``, ``kbd``, ``img``, comments, ``translate="no"``...) are copied
  untouched; each stands in its run as one private-use marker character, which cuts the
  text there (see :mod:`lingosum.markup.protect`) and shows exactly where the atom goes.
* **Untouched** elements (``script``, ``style``, ``pre``, ``textarea``...) end a run and
  keep their content.

Placement rule
--------------
Every run is translated, and so is the text of every inline element on its own, all in one
batched call. Each inline element then goes around its own translation where that text is
found in the run's translation: exactly, else ignoring case (the run's wording is kept);
among several matches the one at word boundaries and nearest the element's relative
position in the source wins. When it is not found, the element is kept with its own
translation at its relative position, moved to the nearest word start. Elements are
never dropped and their order never changes. Only ``alt``, ``title`` and ``placeholder``
attributes are translated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lingosum.errors import InputError

__all__ = ["TreeJob"]

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "optgroup",
        "option",
        "p",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
    ]
)
BREAK_TAGS = frozenset({"br", "hr"})
UNTOUCHED_TAGS = frozenset({"script", "style", "pre", "textarea", "template", "noscript"})
ATOM_TAGS = frozenset(
    [
        "code",
        "kbd",
        "samp",
        "var",
        "img",
        "input",
        "wbr",
        "svg",
        "math",
        "video",
        "audio",
        "canvas",
        "iframe",
        "object",
        "embed",
        "picture",
    ]
)
TRANSLATED_ATTRIBUTES = ("alt", "title", "placeholder")
# Markers come from Unicode's private-use plane 16, which real text practically never uses.
MARKER_BASE = 0x100000
MARKER_END = 0x10FFFE

Element = Any  # lxml elements, comments and processing instructions


@dataclass
class _Run:
    owner: Element
    attr: str  # "text" or "tail" of owner
    items: list[Element] = field(default_factory=list)
    source: str = ""


def _get(node: Element, attr: str) -> str:
    return (node.text if attr == "text" else node.tail) or ""


def _set(node: Element, attr: str, value: str) -> None:
    if attr == "text":
        node.text = value or None
    else:
        node.tail = value or None


class TreeJob:
    """The translatable texts of one or more element trees, and putting translations back.

    Usage: :meth:`add` every tree, translate :meth:`texts` in one call (with
    :meth:`is_marker`), then :meth:`apply` the results; the trees are changed in place.
    """

    def __init__(self) -> None:
        self._kinds: dict[Element, str] = {}
        self._runs: list[_Run] = []
        self._inline: list[Element] = []
        self._source: dict[Element, str] = {}
        self._layout: dict[Element, tuple[int, int]] = {}
        self._markers: dict[Element, str] = {}
        self._attributes: list[tuple[Element, str]] = []
        self._translated: dict[Element, str] = {}

    def add(self, root: Element) -> None:
        """Collect the runs, inline elements and attributes of the tree under ``root``.

        Raises:
            InputError: the tree holds characters of the range used for markers.
        """
        for node in root.iter():
            values = node.attrib.values() if _is_el(node) else ()
            texts = [node.text or "", node.tail or "", *values]
            if any(ord(char) >= MARKER_BASE for text in texts for char in text):
                raise InputError("the document holds private-use characters of plane 16")
        self._collect(root)
        self._collect_attributes(root)

    def is_marker(self, char: str) -> bool:
        """Whether ``char`` stands for an atom."""
        return MARKER_BASE <= ord(char) <= MARKER_END

    def texts(self) -> list[str]:
        """The texts to translate: runs, inline elements, then attribute values."""
        return (
            [run.source for run in self._runs]
            + [self._source[item] for item in self._inline]
            + [node.get(name) for node, name in self._attributes]
        )

    def apply(self, translations: list[str]) -> None:
        """Put the translations of :meth:`texts` (same order) into the trees."""
        runs, rest = translations[: len(self._runs)], translations[len(self._runs) :]
        inline, values = rest[: len(self._inline)], rest[len(self._inline) :]
        self._translated = dict(zip(self._inline, inline, strict=False))
        for run, text in zip(self._runs, runs, strict=False):
            self._fill(run.owner, run.attr, run.items, text)
        for (node, name), value in zip(self._attributes, values, strict=False):
            node.set(name, value)

    # -- classification -------------------------------------------------------------

    def kind(self, node: Element) -> str:
        """``block``, ``inline``, ``atom``, ``untouched`` or ``break``."""
        known = self._kinds.get(node)
        if known is None:
            known = self._kinds[node] = self._classify(node)
        return known

    def _classify(self, node: Element) -> str:
        if not _is_el(node):
            return "atom"  # comments and processing instructions
        tag = str(node.tag).lower()
        if tag in UNTOUCHED_TAGS:
            return "untouched"
        if tag in BREAK_TAGS:
            return "break"
        holds_block = tag in BLOCK_TAGS or any(
            self.kind(child) in ("block", "untouched", "break") for child in node
        )
        if _marked_no(node):
            return "untouched" if holds_block else "atom"
        if tag in ATOM_TAGS:
            return "atom"
        return "block" if holds_block else "inline"

    # -- collection -----------------------------------------------------------------

    def _collect(self, container: Element) -> None:
        current = _Run(container, "text")
        for child in container:
            kind = self.kind(child)
            if kind in ("inline", "atom"):
                current.items.append(child)
                continue
            self._add_run(current)
            if kind == "block":
                self._collect(child)
            current = _Run(child, "tail")
        self._add_run(current)

    def _add_run(self, run: _Run) -> None:
        mark = len(self._inline)
        run.source = self._flatten(_get(run.owner, run.attr), run.items)
        if any(char.isalpha() for char in run.source):
            self._runs.append(run)
        else:  # nothing to translate: forget the inline elements it registered
            for item in self._inline[mark:]:
                del self._source[item]
            del self._inline[mark:]

    def _flatten(self, text: str, items: list[Element]) -> str:
        """The run's text with inline elements replaced by their text and atoms by markers."""
        out = text
        starts = []
        for item in items:
            starts.append(len(out))
            if self.kind(item) == "atom":
                out += self._marker(item)
            else:
                inner = self._flatten(item.text or "", list(item))
                self._inline.append(item)
                self._source[item] = inner
                out += inner
            out += item.tail or ""
        for item, start in zip(items, starts, strict=False):
            self._layout[item] = (start, len(out))
        return out

    def _marker(self, node: Element) -> str:
        code = MARKER_BASE + len(self._markers)
        if code > MARKER_END:
            raise InputError("the document has too many untouched elements to translate")
        self._markers[node] = chr(code)
        return self._markers[node]

    def _collect_attributes(self, node: Element) -> None:
        if not _is_el(node) or _marked_no(node):
            return
        for name in TRANSLATED_ATTRIBUTES:
            value = node.get(name)
            if value and any(char.isalpha() for char in value):
                self._attributes.append((node, name))
        if self.kind(node) not in ("atom", "untouched"):
            for child in node:
                self._collect_attributes(child)

    # -- placement ------------------------------------------------------------------

    def _fill(self, owner: Element, attr: str, items: list[Element], text: str) -> None:
        """Share ``text`` out between the slot ``owner.attr``, ``items`` and their tails."""
        cursor = 0
        slot = (owner, attr)
        for item in items:
            if self.kind(item) == "atom":
                found = text.find(self._markers[item], cursor)
                position = found if found >= 0 else cursor
                _set(*slot, text[cursor:position])
                cursor = position + (found >= 0)
            else:
                text, position, inner = self._place(item, text, cursor)
                _set(*slot, text[cursor:position])
                cursor = position + len(inner) if inner is not None else position
                self._fill(item, "text", list(item), inner or self._translated[item])
            slot = (item, "tail")
        _set(*slot, text[cursor:])

    def _place(self, item: Element, text: str, cursor: int) -> tuple[str, int, str | None]:
        """Where ``item`` goes in ``text``: the (maybe changed) text, the position, and the
        matched stretch of text the element takes (None when it keeps its own translation)."""
        own = self._translated[item]
        start, total = self._layout[item]
        expected = cursor + round(start / max(total, 1) * (len(text) - cursor))
        limit = self._limit(text, cursor, item)
        position = _best_match(text, own, cursor, limit, expected)
        if position is not None:
            return text, position, text[position : position + len(own)]
        for marker in self._subtree_markers(item):
            text = text.replace(marker, "")
        limit = self._limit(text, cursor, item)
        position = _nearest_word_start(text, cursor, limit, expected)
        if own.strip():
            if position < len(text) and not text[position].isspace() and not own[-1].isspace():
                text = text[:position] + " " + text[position:]
            if position > 0 and not text[position - 1].isspace() and not own[0].isspace():
                text = text[:position] + " " + text[position:]
                position += 1
        return text, position, None

    def _limit(self, text: str, cursor: int, item: Element) -> int:
        """The first marker after ``cursor`` that is not inside ``item``, or the end."""
        own = set(self._subtree_markers(item))
        for index in range(cursor, len(text)):
            if self.is_marker(text[index]) and text[index] not in own:
                return index
        return len(text)

    def _subtree_markers(self, item: Element) -> Iterator[str]:
        for node in item.iterdescendants():
            if node in self._markers:
                yield self._markers[node]


def _marked_no(node: Element) -> bool:
    """``translate="no"`` (HTML) or ``class="notranslate"`` (the convention of web
    translators)."""
    return node.get("translate") == "no" or "notranslate" in (node.get("class") or "").split()


def _is_el(node: Element) -> bool:
    return isinstance(node.tag, str)


def _at_boundary(text: str, start: int, end: int) -> bool:
    before = start == 0 or not text[start - 1].isalnum()
    return before and (end == len(text) or not text[end].isalnum())


def _best_match(text: str, needle: str, low: int, high: int, expected: int) -> int | None:
    """The start of ``needle`` in ``text[low:high]`` best fitting ``expected``, or None."""
    if not needle.strip() or len(needle) > high - low:
        return None
    for fold in (_same, str.lower):
        hay, pin = fold(text), fold(needle)
        if len(hay) != len(text) or len(pin) != len(needle):
            continue  # case folding changed lengths: offsets would not line up
        found = []
        index = hay.find(pin, low, high)
        while index >= 0:
            found.append(index)
            index = hay.find(pin, index + 1, high)
        if found:
            return min(
                found,
                key=lambda i: (not _at_boundary(text, i, i + len(pin)), abs(i - expected)),
            )
    return None


def _same(text: str) -> str:
    return text


def _nearest_word_start(text: str, low: int, high: int, expected: int) -> int:
    candidates = [p for p in range(low, high + 1) if p in (low, high) or text[p - 1].isspace()]
    return min(candidates, key=lambda p: abs(p - expected))
