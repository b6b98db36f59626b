"""The main text of a web page and its metadata, without the page's chrome."""

from __future__ import annotations

from dataclasses import dataclass

from lingosum.errors import InputError

__all__ = ["Article", "extract_article"]


@dataclass(frozen=True)
class Article:
    """An article found in a web page.

    ``text`` holds the paragraphs separated by blank lines; metadata the page does not
    give is None.
    """

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None


def extract_article(html: str, url: str | None = None) -> Article:
    """Extract the main text, title, author and date of a news page with trafilatura.

    Navigation, cookie banners, comments, related links, ads and footers are dropped;
    tables stay (their cells become text lines).

    Args:
        html: the page.
        url: where it came from (helps metadata extraction; kept in the result).

    Returns:
        The article.

    Raises:
        InputError: no article text was found.
    """
    import trafilatura

    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    text = getattr(document, "text", None) or ""
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    name = url or "the page"
    if not paragraphs:
        raise InputError(f"no article text found in {name} (a page built by JavaScript has none)")
    return Article(
        text="\n\n".join(paragraphs),
        title=getattr(document, "title", None) or None,
        author=getattr(document, "author", None) or None,
        date=getattr(document, "date", None) or None,
        url=url,
    )
