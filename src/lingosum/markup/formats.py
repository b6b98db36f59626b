"""Deciding whether an input is plain text, HTML or Markdown."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal

from lingosum.errors import ConfigError

__all__ = ["FORMATS", "Format", "resolve_format"]

Format = Literal["text", "html", "markdown"]
FORMATS = ("text", "html", "markdown", "auto")

_BY_EXTENSION: dict[str, Format] = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".txt": "text",
}
_BY_CONTENT_TYPE: dict[str, Format] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<body", "<?xml")
# Tags whose presence near the start makes a text HTML rather than prose mentioning a tag.
_HTML_TAGS = ("<p>", "<p ", "<div", "<article", "<br>", "<br/>", "<span", "<a href", "<h1", "<ul")


def resolve_format(
    name: str | None, content_type: str | None, text: str, given: str = "auto"
) -> Format:
    """Which format an input is in.

    ``given`` wins unless it is ``auto``. Then, in order: the file extension of ``name``
    (a path or URL), the content type (``text/plain`` counts only when the extension said
    nothing), and the content: a text that starts like an HTML document, or starts with a
    tag and holds common HTML tags, is HTML. Markdown is never guessed from content alone:
    plain text with a dash list reads fine as text, and the Markdown path joins soft-wrapped
    lines.

    Args:
        name: file path or URL, or None (stdin).
        content_type: HTTP ``Content-Type`` header value, or None.
        text: the decoded input.
        given: ``text``, ``html``, ``markdown`` or ``auto``.

    Returns:
        ``text``, ``html`` or ``markdown``.

    Raises:
        ConfigError: ``given`` is not one of the four names.
    """
    if given not in FORMATS:
        raise ConfigError(f"unknown input format {given!r}; use one of {', '.join(FORMATS)}")
    if given != "auto":
        return given  # type: ignore[return-value]
    if name:
        path = name.split("?", 1)[0].split("#", 1)[0]
        suffix = PurePosixPath(path).suffix.lower()
        if suffix in _BY_EXTENSION:
            return _BY_EXTENSION[suffix]
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _BY_CONTENT_TYPE:
        return _BY_CONTENT_TYPE[media]
    return "html" if _looks_like_html(text) else "text"


def _looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:4096].lower()
    if head.startswith(_HTML_STARTS):
        return True
    return head.startswith("<") and any(tag in head for tag in _HTML_TAGS)
