"""Fetching a web page: bounded in size, time and redirects, with one-line errors."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from lingosum.errors import FetchError, InputError, first_line
from lingosum.textio import decode_bytes

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "Fetched", "fetch_url", "is_url"]

DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
TEXT_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown"}
)
# The charset a page declares in a <meta> tag, looked for in its first bytes as browsers do.
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class Fetched:
    """A fetched page: the URL asked for, the URL after redirects, the content type and
    the decoded text."""

    url: str
    final_url: str
    content_type: str
    text: str
    warnings: tuple[str, ...] = ()


def is_url(source: str) -> bool:
    """Whether an input name is an http(s) URL rather than a file path."""
    return source.lower().startswith(("http://", "https://"))


def fetch_url(
    url: str,
    *,
    offline: bool,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = 5,
) -> Fetched:
    """Download a web page or text file.

    Args:
        url: an http or https URL.
        offline: refuse before any connection is made.
        timeout: seconds for connecting and for the whole download.
        max_bytes: largest body accepted (after decompression), checked while streaming.
        max_redirects: redirects followed before giving up.

    Returns:
        The page, decoded with its declared charset (else UTF-8).

    Raises:
        FetchError: bad URL, offline, connection failure, HTTP error, redirect loop,
            timeout, body too large, or content that is not HTML or text.
    """
    host = _check_url(url)
    if offline:
        raise FetchError(f"cannot fetch {url}: offline mode allows no network access")
    limits = (timeout, max_bytes, max_redirects)
    final_url, content_type, data = _download(url, host, limits)
    text, warnings = _decode(url, data, content_type)
    return Fetched(url, final_url, content_type, text, warnings)


def _download(url: str, host: str, limits: tuple[float, int, int]) -> tuple[str, str, bytes]:
    """(final URL, content type, body) of one GET, within the limits
    (timeout, max bytes, max redirects)."""
    import httpx

    from lingosum import __version__

    timeout, max_bytes, max_redirects = limits
    headers = {
        "User-Agent": f"lingosum/{__version__}",
        "Accept": "text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,*/*;q=0.1",
    }
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(
                headers=headers,
                timeout=timeout,
                follow_redirects=True,
                max_redirects=max_redirects,
            ) as client,
            client.stream("GET", url) as response,
        ):
            content_type = _check_response(url, response, max_bytes)
            data = _read_capped(url, response, max_bytes, deadline, timeout)
            return str(response.url), content_type, data
    except httpx.TooManyRedirects:
        raise FetchError(f"cannot fetch {url}: more than {max_redirects} redirects") from None
    except httpx.TimeoutException:
        raise FetchError(f"cannot fetch {url}: no answer within {timeout:g} s") from None
    except httpx.ConnectError as error:
        raise FetchError(f"cannot connect to {host}: {first_line(error)}") from None
    except httpx.HTTPError as error:
        raise FetchError(f"cannot fetch {url}: {first_line(error)}") from None


def _check_url(url: str) -> str:
    """The URL's host; FetchError when it is not a usable http(s) URL."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise FetchError(f"not a valid URL: {url} ({first_line(error)})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host or "%" in parsed.host:
        raise FetchError(f"not a valid http(s) URL: {url}")
    return parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"


def _check_response(url: str, response: Any, max_bytes: int) -> str:
    """The media type of an acceptable response; FetchError otherwise."""
    if response.status_code >= 400:
        reason = response.reason_phrase or "error"
        raise FetchError(f"cannot fetch {url}: HTTP {response.status_code} {reason}")
    content_type = response.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media not in TEXT_TYPES:
        raise FetchError(f"{url} is {media}, not a web page or text")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url} is {int(length):,} bytes, more than the limit of {max_bytes:,}")
    return content_type


def _read_capped(url: str, response: Any, max_bytes: int, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url} is larger than the limit of {max_bytes:,} bytes")
        if time.monotonic() > deadline:
            raise FetchError(f"cannot fetch {url}: not downloaded within {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(url: str, data: bytes, content_type: str) -> tuple[str, tuple[str, ...]]:
    """Decode with the header's charset, else a <meta> charset, else as UTF-8."""
    if b"\x00" in data[:8192]:
        raise FetchError(f"{url} looks like a binary file, not a web page or text")
    charset = _charset(content_type, data)
    if charset and charset.replace("_", "-") not in ("utf-8", "utf8"):
        try:
            text = data.decode(charset, errors="replace")
        except LookupError:
            pass
        else:
            if text.strip():
                return text.replace("\r\n", "\n"), ()
    try:
        decoded = decode_bytes(data, url)
    except InputError as error:
        raise FetchError(str(error)) from None
    return decoded.text, decoded.warnings


def _charset(content_type: str, data: bytes) -> str | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    match = _META_CHARSET.search(data[:2048])
    return match.group(1).decode("ascii").lower() if match else None
