"""Is a download server reachable? One short probe per server and job, so that a missing
network fails a job in seconds with one message, instead of a retry loop per model.

huggingface_hub retries a refused connection five times with back-off (about 24 s a model)
and waits without limit for a server that accepts and never answers; a probe with a short
timeout, made before any download, answers the question once.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lingosum.errors import first_line

DEFAULT_TIMEOUT = 4.0
"""Seconds a probe waits for a server to connect and answer."""
HUB = "https://huggingface.co"


@dataclass(frozen=True)
class Probe:
    """What a probe found: ``problem`` is empty when the server answered."""

    url: str
    problem: str
    seconds: float
    timeout: float

    @property
    def ok(self) -> bool:
        return not self.problem

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "reachable": self.ok,
            "problem": self.problem or None,
            "seconds": round(self.seconds, 3),
            "timeout": self.timeout,
        }

    def describe(self) -> str:
        """One line: ``https://huggingface.co reachable (answered in 0.21 s)``."""
        if self.ok:
            return f"{self.url} reachable (answered in {self.seconds:.2f} s)"
        return f"{self.url} unreachable: {self.problem}"


def hub_endpoint() -> str:
    """The Hugging Face Hub endpoint in use: ``$HF_ENDPOINT`` (a mirror) or huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or HUB


def server_of(url: str) -> str:
    """``https://host:port`` of a URL: what one probe covers."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def probe(url: str, timeout: float = DEFAULT_TIMEOUT) -> Probe:
    """Ask ``url``'s server for a response (any HTTP status counts as an answer).

    Name resolution, connecting and the first answer together take at most about
    ``timeout`` seconds: the request runs in a daemon thread, because resolving a name has
    no timeout of its own.
    """
    server = server_of(url)
    outcome: list[str] = []
    start = time.monotonic()
    worker = threading.Thread(target=lambda: outcome.append(_ask(server, timeout)), daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    seconds = time.monotonic() - start
    problem = outcome[0] if outcome else f"no answer within {timeout:g} s"
    return Probe(server, problem, seconds, timeout)


def _ask(server: str, timeout: float) -> str:
    """'' when ``server`` answers an HTTP HEAD request, else why not (one line)."""
    import urllib.error  # late: urllib.request imports ssl, http and email
    import urllib.request

    request = urllib.request.Request(server + "/", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return ""
    except urllib.error.HTTPError:
        return ""  # an error status is still an answer: the server is there
    except urllib.error.URLError as error:
        return _reason(error.reason, server, timeout)
    except (OSError, ValueError) as error:
        return _reason(error, server, timeout)


def _reason(error: object, server: str, timeout: float) -> str:
    import ssl

    host = urlsplit(server).hostname or server
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the name {host}"
    if isinstance(error, ConnectionRefusedError):
        return f"{host} refused the connection"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(error, ssl.SSLError):
        return ""  # a TLS handshake answered: certificates are huggingface_hub's to judge
    if isinstance(error, OSError) and error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"no route to {host}"
    return first_line(error) if isinstance(error, BaseException) else str(error)
