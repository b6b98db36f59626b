"""Fetching pages from a local HTTP server, article extraction and input format detection."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from lingosum import __version__
from lingosum.errors import ConfigError, FetchError, InputError
from lingosum.fetch import Fetched, fetch_url, is_url
from lingosum.markup import extract_article, resolve_format
from local_http import serving

PAGES = Path(__file__).parent / "fixtures" / "pages"
BIG = 20 * 1024 * 1024
RUSSIAN = "Министры встретились в Баку и договорились о новой железной дороге."


class _Handler(BaseHTTPRequestHandler):
    """Routes for every case the fetcher must handle; records the requests it saw."""

    seen: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        return

    def _send(self, body: bytes, content_type: str, status: int = 200, length: bool = True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("User-Agent", "")))
        routes = {
            "/article": lambda: self._send(
                (PAGES / "baku-railway.html").read_bytes(), "text/html; charset=utf-8"
            ),
            "/notes.md": lambda: self._send(b"# Notes\n\nSome *text*.\n", "text/markdown"),
            "/plain": lambda: self._send(b"Just plain text.\n", "text/plain"),
            "/cp1251": lambda: self._send(
                f"<p>{RUSSIAN}</p>".encode("cp1251"), "text/html; charset=windows-1251"
            ),
            "/meta-charset": lambda: self._send(
                f'<html><head><meta charset="windows-1251"></head><body><p>{RUSSIAN}</p>'
                "</body></html>".encode("cp1251"),
                "text/html",
            ),
            "/pdf": lambda: self._send(b"%PDF-1.4 fake", "application/pdf"),
            "/binary": lambda: self._send(b"<html>\x00\x01\x02" * 100, "text/html"),
            "/missing": lambda: self._send(b"not here", "text/html", status=404),
            "/big-declared": lambda: self._send(b"a" * BIG, "text/html"),
            "/big-streamed": self._big_streamed,
            "/loop": lambda: self._redirect("/loop"),
            "/moved": lambda: self._redirect("/article"),
            "/slow": self._slow,
            "/trickle": self._trickle,
        }
        route = routes.get(self.path)
        try:
            if route is None:
                self._send(b"no route", "text/plain", status=500)
            else:
                route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (size or time limit)

    def _redirect(self, target: str) -> None:
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _big_streamed(self) -> None:
        # No Content-Length: only the limit enforced while streaming can stop this one.
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        for _ in range(BIG // len(chunk) + 1):
            self.wfile.write(chunk)

    def _slow(self) -> None:
        time.sleep(1.5)
        self._send(b"<p>late</p>", "text/html")

    def _trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(8):  # each piece arrives in time, the whole does not
            self.wfile.write(b"<p>drip</p>" * 100)
            self.wfile.flush()
            time.sleep(0.2)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def test_fetches_a_page_with_user_agent(server: str) -> None:
    page = fetch_url(f"{server}/article", offline=False)
    assert isinstance(page, Fetched)
    assert page.final_url == f"{server}/article"
    assert page.content_type.startswith("text/html")
    assert "Baku–Tbilisi–Kars" in page.text
    assert ("/article", f"lingosum/{__version__}") in _Handler.seen


def test_follows_a_bounded_redirect(server: str) -> None:
    page = fetch_url(f"{server}/moved", offline=False)
    assert page.url == f"{server}/moved"
    assert page.final_url == f"{server}/article"


@pytest.mark.parametrize(
    ("path", "kind"), [("/notes.md", "markdown"), ("/plain", "text"), ("/article", "html")]
)
def test_content_type_decides_format(server: str, path: str, kind: str) -> None:
    page = fetch_url(f"{server}{path}", offline=False)
    assert resolve_format(page.final_url, page.content_type, page.text) == kind


@pytest.mark.parametrize("path", ["/cp1251", "/meta-charset"])
def test_declared_charset_is_honoured(server: str, path: str) -> None:
    assert RUSSIAN in fetch_url(f"{server}{path}", offline=False).text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/loop", "more than 5 redirects"),
        ("/pdf", "is application/pdf, not a web page or text"),
        ("/binary", "looks like a binary file"),
        ("/big-declared", "more than the limit of 10,485,760"),
        ("/big-streamed", "larger than the limit of 10,485,760 bytes"),
    ],
)
def test_bad_responses_give_one_line(server: str, path: str, message: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_url(f"{server}{path}", offline=False)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
def test_time_limit(server: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"within 0\.5 s"):
        fetch_url(f"{server}{path}", offline=False, timeout=0.5)
    assert time.monotonic() - started < 1.4


def test_offline_refuses_before_connecting(server: str) -> None:
    before = len(_Handler.seen)
    with pytest.raises(FetchError, match="offline mode"):
        fetch_url(f"{server}/article", offline=True)
    assert len(_Handler.seen) == before


def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match=f"cannot connect to 127.0.0.1:{port}"):
        fetch_url(f"http://127.0.0.1:{port}/", offline=False, timeout=2)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://", "https://exa mple.com/"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(FetchError, match="not a valid"):
        fetch_url(url, offline=False)


def test_fetch_error_is_an_input_error() -> None:
    assert issubclass(FetchError, InputError)
    assert FetchError.exit_code == 2


def test_is_url() -> None:
    assert is_url("https://example.com") and is_url("HTTP://x")
    assert not is_url("example.com/page.html") and not is_url("notes.md")


# -- article extraction ------------------------------------------------------------------

CHROME = [
    "We use cookies",
    "Accept all",
    "Politics",
    "Related stories",
    "Oil prices rise",
    "Great news, finally",
    "passenger trains to Kars",
    "All rights reserved",
]


def test_article_keeps_the_story_and_drops_the_chrome(server: str) -> None:
    page = fetch_url(f"{server}/article", offline=False)
    article = extract_article(page.text, url=page.final_url)
    assert article.title is not None and article.title.startswith("Ministers agree to double")
    assert article.author == "Nino Beridze"
    assert article.date == "2024-05-02"
    assert article.url == page.final_url
    for sentence in ["agreed to double the freight capacity", "the shortest route", "1 July"]:
        assert sentence in article.text
    for chrome in CHROME:
        assert chrome not in article.text
    assert "\n\n" in article.text  # paragraphs stay apart for the segmenter


def test_article_of_a_div_soup_page() -> None:
    article = extract_article((PAGES / "tbilisi-festival.html").read_text(encoding="utf-8"))
    assert article.title == "Tbilisi film festival opens with record audience"
    assert "record audience of more than 4,000 people" in article.text
    assert "Freedom Square" in article.text
    for chrome in ["uses cookies", "Opera season extended", "Tickets are too expensive"]:
        assert chrome not in article.text


def test_page_without_article_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no article text found in https://x.test/"):
        extract_article(
            "<html><body><img src='a.png'><script>x()</script></body></html>", "https://x.test/"
        )


# -- format resolution ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "text", "expected"),
    [
        ("page.html", None, "plain words", "html"),
        ("page.HTM", None, "plain words", "html"),
        ("notes.md", "text/plain", "# x", "markdown"),
        ("https://x.test/a.md?raw=1", "text/plain", "# x", "markdown"),
        ("story.txt", None, "<p>tag</p>", "text"),
        ("https://x.test/news/42", "text/html; charset=utf-8", "anything", "html"),
        ("https://x.test/feed", "text/markdown", "anything", "markdown"),
        (None, None, "<!DOCTYPE html><html><body>x</body></html>", "html"),
        (None, None, "\n  <div class='a'><p>Hello</p></div>", "html"),
        (None, None, "Use the <b> tag for bold.", "text"),
        (None, None, "# Heading\n\n- item", "text"),
        (None, "text/plain", "<p>x</p>", "html"),
    ],
)
def test_resolve_format_auto(
    name: str | None, content_type: str | None, text: str, expected: str
) -> None:
    assert resolve_format(name, content_type, text) == expected


def test_resolve_format_given_wins_and_unknown_is_refused() -> None:
    assert resolve_format("page.html", "text/html", "<p>x</p>", "text") == "text"
    with pytest.raises(ConfigError, match="unknown input format 'xml'"):
        resolve_format(None, None, "x", "xml")
