"""What a translation must not change in a document, and how much of it survived.

Used by the test suite and ``bench/markup_preservation.py`` to check HTML and Markdown
translations, and usable by callers that want to verify a result before trusting it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lingosum.markup.html import parse_html
from lingosum.markup.tree import TRANSLATED_ATTRIBUTES, TreeJob

__all__ = ["Preservation", "Structure", "html_structure", "markdown_structure", "preservation"]

_LINK_ATTRIBUTES = ("href", "src", "srcset", "action", "cite")


@dataclass
class Structure:
    """The parts of a document that translation keeps.

    ``elements``: tag paths in document order; ``attributes``: every attribute but the
    translated ones; ``links``: link and image targets; ``code``: the text of untouched
    elements (code, pre, script, style, textarea, ``translate="no"``...).
    """

    elements: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Preservation:
    """Share (0..1) of each part of the source found unchanged, in order, in the output."""

    elements: float
    attributes: float
    links: float
    code: float


def html_structure(html: str) -> Structure:
    """The structure of an HTML document or fragment, as lxml parses it."""
    root = parse_html(html).root
    structure = Structure()
    kinds = TreeJob()
    _walk_html(root, str(root.tag), kinds, structure)
    return structure


def _walk_html(node: Any, path: str, kinds: TreeJob, out: Structure) -> None:
    out.elements.append(path)
    for name, value in sorted(node.attrib.items()):
        if name not in TRANSLATED_ATTRIBUTES:
            out.attributes.append((path, name, value))
        if name in _LINK_ATTRIBUTES:
            out.links.append(value)
    if kinds.kind(node) in ("untouched", "atom"):
        out.code.append(_untouched_source(node))
        return
    for index, child in enumerate(node):
        if isinstance(child.tag, str):
            _walk_html(child, f"{path}/{index}:{child.tag}", kinds, out)
        else:
            out.code.append(str(child))


def _untouched_source(node: Any) -> str:
    """An untouched element's source, less the attributes translation may change."""
    import copy

    from lxml import etree

    clone = copy.deepcopy(node)
    for name in TRANSLATED_ATTRIBUTES:
        clone.attrib.pop(name, None)
    return etree.tostring(clone, encoding="unicode", with_tail=False)


def markdown_structure(text: str) -> Structure:
    """The structure of a Markdown document as markdown-it-py parses it (soft line breaks
    are not structure: translation joins a paragraph's lines)."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    parser.disable("text_join")
    structure = Structure()
    _walk_tokens(parser.parse(text), "", structure)
    return structure


def _walk_tokens(tokens: Sequence[Any], path: str, out: Structure) -> None:
    for token in tokens:
        if token.type in ("text", "softbreak") or token.info == "escape":
            continue  # backslash escapes are text: translations may need new ones
        out.elements.append(f"{path}{token.type}:{token.tag}:{token.markup}")
        for name, value in sorted((token.attrs or {}).items()):
            if name != "alt":
                out.attributes.append((token.type, name, str(value)))
            if name in _LINK_ATTRIBUTES:
                out.links.append(str(value))
        if token.type in ("code_inline", "code_block", "fence", "text_special"):
            out.code.append(token.content)
        elif token.type in ("html_block", "html_inline"):
            nested = html_structure(token.content) if token.type == "html_block" else None
            out.code += nested.code if nested else [token.content]
            out.links += nested.links if nested else []
        if token.children:
            _walk_tokens(token.children, f"{path}{token.type}/", out)


def preservation(before: Structure, after: Structure) -> Preservation:
    """How much of ``before`` is found, in order and unchanged, in ``after``."""
    return Preservation(
        elements=_kept(before.elements, after.elements),
        attributes=_kept(before.attributes, after.attributes),
        links=_kept(before.links, after.links),
        code=_kept(before.code, after.code),
    )


def _kept(before: Sequence[Any], after: Sequence[Any]) -> float:
    if not before:
        return 1.0
    matcher = difflib.SequenceMatcher(a=list(before), b=list(after), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(before)
