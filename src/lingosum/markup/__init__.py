"""Markup-aware input: web page extraction, and HTML and Markdown translation that keeps
the document's structure.

``translate`` arguments are callables mapping a list of plain-text blocks to their
translations in order (see :data:`lingosum.markup.protect.Translate`); each document is
translated with one call.
"""

from __future__ import annotations

from lingosum.markup.article import Article, extract_article
from lingosum.markup.formats import FORMATS, Format, resolve_format
from lingosum.markup.html import translate_html
from lingosum.markup.markdown import translate_markdown
from lingosum.markup.protect import Translate, find_protected

__all__ = [
    "FORMATS",
    "Article",
    "Format",
    "Translate",
    "extract_article",
    "find_protected",
    "resolve_format",
    "translate_html",
    "translate_markdown",
]
