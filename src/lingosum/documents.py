"""Documents as users hand them over: a file, standard input or a URL, in plain text, HTML
or Markdown, and how each format is translated and summarized with an engine.

The rules, in one place:
- a web page fetched from a URL is reduced to its article (trafilatura): it is summarized
  and translated as that text, with its title, author and date reported alongside;
- a local HTML file (or HTML on stdin) is translated as a document, its markup kept, and
  summarized from its article;
- Markdown is translated with its markup kept and summarized from its text;
- plain text is what it always was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lingosum.engine import Engine
from lingosum.markup import Article
from lingosum.summarize.engine import SummarizeOptions, Summary
from lingosum.translate.engine import TranslateOptions, Translation


@dataclass(frozen=True)
class Source:
    """One input document.

    Attributes:
        raw: the document as read (HTML, Markdown or text).
        format: ``text``, ``html`` or ``markdown``.
        name: the path, URL or ``-``.
        article: what was extracted from a web page or HTML file, if anything.
        warnings: what the user should know about reading it.
    """

    raw: str
    format: str
    name: str
    article: Article | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The document's plain text: what detection and summarization read."""
        if self.article is not None:
            return self.article.text
        if self.format == "markdown":
            return markdown_text(self.raw)
        return self.raw

    def metadata(self) -> dict[str, Any]:
        """Title, author, date and URL of an extracted article (empty for other input)."""
        if self.article is None:
            return {}
        return {
            "title": self.article.title,
            "author": self.article.author,
            "date": self.article.date,
            "url": self.article.url,
        }


def read_source(
    name: str,
    *,
    input_format: str = "auto",
    offline: bool = False,
    max_chars: int | None = None,
) -> Source:
    """Read a file, ``-`` (stdin) or an http(s) URL and decide its format.

    Raises:
        InputError: unreadable input, or a page without article text.
        FetchError: the URL cannot be fetched (or ``offline``).
        ConfigError: an unknown ``input_format``.
    """
    from lingosum.fetch import is_url
    from lingosum.markup import extract_article, resolve_format
    from lingosum.textio import read_input

    if is_url(name):
        return fetch_source(name, input_format=input_format, offline=offline)
    read = read_input(name, max_chars=max_chars)
    fmt = resolve_format(None if name == "-" else name, None, read.text, input_format)
    article = extract_article(read.text) if fmt == "html" else None
    return Source(read.text, fmt, name, article, read.warnings)


def fetch_source(url: str, *, input_format: str = "auto", offline: bool = False) -> Source:
    """Fetch an http(s) URL: a web page becomes its article (``raw`` is the article's text),
    anything else the text it serves.

    Raises:
        FetchError: the URL cannot be fetched (or ``offline``).
        InputError: a page without article text.
        ConfigError: an unknown ``input_format``.
    """
    from lingosum.fetch import fetch_url
    from lingosum.markup import extract_article, resolve_format

    fetched = fetch_url(url, offline=offline)
    fmt = resolve_format(fetched.final_url, fetched.content_type, fetched.text, input_format)
    if fmt != "html":
        return Source(fetched.text, fmt, url, warnings=fetched.warnings)
    page = extract_article(fetched.text, url=fetched.final_url)
    return Source(page.text, "text", url, page, fetched.warnings)


def markdown_text(text: str) -> str:
    """The readable text of a Markdown document (markup dropped, paragraphs kept)."""
    from lxml import html as lxml_html
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").render(text)
    if not rendered.strip():
        return ""
    root = lxml_html.fragment_fromstring(rendered, create_parent="div")
    blocks = [" ".join(node.text_content().split()) for node in root]
    return "\n\n".join(block for block in blocks if block)


def translate_source(
    engine: Engine,
    source: Source,
    targets: Sequence[str],
    *,
    language: str | None = None,
    options: TranslateOptions | None = None,
) -> list[Translation]:
    """Translate a document into each target, keeping HTML or Markdown markup.

    Returns:
        One ``Translation`` per target, in order.

    Raises:
        As :meth:`Engine.translate_many`.
    """
    if source.format == "text":
        return engine.translate_many([source.text], targets, sources=[language], options=options)[0]
    detected = engine.source_language(source.text, language)
    return [_translate_markup(engine, source, target, detected, options) for target in targets]


def _translate_markup(
    engine: Engine,
    source: Source,
    target: str,
    language: str,
    options: TranslateOptions | None,
) -> Translation:
    """One HTML or Markdown document into ``target``: its text pieces go to the engine in
    one call (they are fragments, too short to detect: ``language`` is given)."""
    from lingosum.markup import translate_html, translate_markdown

    used: list[Translation] = []

    def translate(pieces: Sequence[str]) -> list[str]:
        rows = engine.translate_many(
            pieces, [target], sources=[language] * len(pieces), options=options
        )
        used.extend(row[0] for row in rows[:1])
        return [row[0].text for row in rows]

    rebuild = translate_html if source.format == "html" else translate_markdown
    text = rebuild(source.raw, translate)
    first = used[0] if used else Translation("", language, target)
    return replace(first, text=text, alternatives=())


def summarize_source(
    engine: Engine,
    source: Source,
    targets: Sequence[str],
    *,
    language: str | None = None,
    options: SummarizeOptions | None = None,
) -> list[Summary]:
    """Summarize a document's text (a page's article) into each target.

    Raises:
        As :meth:`Engine.summarize_many`.
    """
    return engine.summarize_many([source.text], targets, sources=[language], options=options)[0]
