"""Translating HTML while keeping the document: the same elements, attributes and nesting.

Parsing and serialising are lxml's (libxml2's HTML parser, which repairs broken markup the
way browsers mostly do); which text is translated and where it goes back is decided in
:mod:`lingosum.markup.tree`. A fragment comes back as a fragment, a full document as a
document with its doctype.
"""

from __future__ import annotations

import html as html_escape
from dataclasses import dataclass
from typing import Any

from lingosum.errors import InputError
from lingosum.markup.protect import Translate, translate_marked
from lingosum.markup.tree import TreeJob

__all__ = ["ParsedHtml", "is_document", "parse_html", "serialize_html", "translate_html"]

_DOCUMENT_STARTS = ("<!doctype", "<html", "<?xml")


@dataclass
class ParsedHtml:
    """A parsed document or fragment; ``root`` is ``<html>`` or a wrapper ``<div>``."""

    root: Any
    document: bool
    doctype: str
    leading: str
    trailing: str
    nbsp_entities: bool


def is_document(html: str) -> bool:
    """Whether ``html`` is a whole document (doctype, ``<html>`` or ``<body>``), not a
    fragment."""
    head = html.lstrip("\ufeff \t\r\n").lower()
    return head.startswith(_DOCUMENT_STARTS) or "<body" in head or "<html" in head


def parse_html(html: str) -> ParsedHtml:
    """Parse a document or a fragment.

    Raises:
        InputError: the parser cannot make anything of it.
    """
    import lxml.etree
    import lxml.html

    document = is_document(html)
    body = html.lstrip("\ufeff \t\r\n") if document else html
    leading = html[: len(html) - len(body)]
    # libxml2's HTML parser would turn an XML declaration into a comment: set it aside.
    if body.startswith("<?xml") and "?>" in body:
        end = body.index("?>") + 2
        leading, body = leading + body[:end], body[end:]
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        if document:
            root = lxml.html.document_fromstring(body.encode("utf-8"), parser=parser)
        else:
            root = lxml.html.fragment_fromstring(
                body.encode("utf-8"), create_parent="div", parser=parser
            )
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as error:
        raise InputError(f"cannot parse the HTML: {error}") from None
    # libxml2 invents an HTML 4 doctype when there is none; keep the source's choice.
    has_doctype = body.lstrip()[:9].lower() == "<!doctype"
    doctype = root.getroottree().docinfo.doctype if document and has_doctype else ""
    # libxml2 turns &nbsp; into U+00A0; write it back as the entity when the source used it.
    nbsp = "&nbsp;" in html and "\xa0" not in html
    return ParsedHtml(root, document, doctype, leading, html[len(html.rstrip()) :], nbsp)


def serialize_html(parsed: ParsedHtml) -> str:
    """Write a parsed document or fragment back as text."""
    import lxml.html

    root = parsed.root
    if parsed.document:
        out = lxml.html.tostring(root.getroottree(), encoding="unicode", doctype=parsed.doctype)
    else:
        out = html_escape.escape(root.text or "", quote=False) + "".join(
            lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in root
        )
        out = out.rstrip()
    if parsed.nbsp_entities:
        out = out.replace("\xa0", "&nbsp;")
    return parsed.leading + out + parsed.trailing


def translate_html(html: str, translate: Translate) -> str:
    """Translate the text of an HTML document or fragment, keeping its markup.

    Text is translated per run (a block element's text across its inline children); inline
    elements are put back around their translated words (see :mod:`lingosum.markup.tree`
    for the rule). ``script``, ``style``, ``pre``, ``textarea``, ``code``, ``kbd`` and
    elements marked ``translate="no"`` are untouched; of the attributes only ``alt``,
    ``title`` and ``placeholder`` are translated. URLs, e-mail addresses, @handles and
    #hashtags never reach the model.

    Args:
        html: a full document or a fragment.
        translate: maps a list of plain-text blocks to their translations; called once.

    Returns:
        The translated document or fragment.

    Raises:
        InputError: the HTML cannot be parsed.
        ModelError: ``translate`` returned the wrong number of texts.
    """
    if not html.strip():
        return html
    parsed = parse_html(html)
    job = TreeJob()
    job.add(parsed.root)
    job.apply(translate_marked(job.texts(), translate, is_marker=job.is_marker))
    return serialize_html(parsed)
