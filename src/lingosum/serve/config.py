"""The server's settings: one frozen dataclass, and the API keys file it may name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lingosum.errors import ConfigError

# Bytes a character can take on the wire: 4 in UTF-8, 12 as a JSON surrogate pair
# (\ud83d\ude00) or form-encoded (%F0%9F%98%80). The body cap follows from the char limit.
_WIRE_BYTES_PER_CHAR = 12
_BODY_OVERHEAD = 64 * 1024
_BODY_CAP_WITHOUT_CHAR_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class ServeConfig:
    """How ``lingosum serve`` behaves.

    Attributes:
        targets: target languages offered; empty = every target of the model table.
        api_keys: valid keys; ``None`` = no key needed.
        char_limit: most characters in one request (a list counts its texts together);
            0 = no limit.
        batch_limit: most texts in one list request; 0 = no limit.
        batch_window_ms: how long the first sentence of a batch waits for company.
        max_batch: most sentences in one model call (1 turns batching across requests off).
        max_queue: most requests waiting for the model before new ones get 503.
        req_limit: requests per minute per client address; 0 = no rate limit.
        timeout_s: a request not answered after this many seconds gets 504.
        beams: beam size of translation (alternatives raise it where they need more).
        max_tokens: most tokens generated per translated sentence (bounds each request's
            cost; lingosum also caps a sentence at twice its input plus 10).
        frontend_timeout_ms: what the web page waits for an answer.
    """

    targets: tuple[str, ...] = ()
    api_keys: frozenset[str] | None = None
    char_limit: int = 10_000
    batch_limit: int = 100
    batch_window_ms: int = 10
    max_batch: int = 64
    max_queue: int = 256
    req_limit: int = 300
    timeout_s: float = 60.0
    beams: int = 4
    max_tokens: int = 512
    frontend_timeout_ms: int = 60_000

    @property
    def body_limit(self) -> int:
        """Largest request body accepted, in bytes (413 above it)."""
        if self.char_limit <= 0:
            return _BODY_CAP_WITHOUT_CHAR_LIMIT
        return self.char_limit * _WIRE_BYTES_PER_CHAR + _BODY_OVERHEAD

    def check(self) -> ServeConfig:
        """Raises ConfigError for values no server can run with."""
        for name in ("char_limit", "batch_limit", "batch_window_ms", "req_limit"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be 0 or more")
        for name in ("max_batch", "max_queue", "beams", "max_tokens"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be 1 or more")
        if self.timeout_s <= 0:
            raise ConfigError("--timeout must be more than 0 seconds")
        return self


def read_api_keys(path: Path) -> frozenset[str]:
    """Keys from a text file: one a line; blank lines and ``#`` comments ignored.

    Raises:
        ConfigError: the file cannot be read or holds no key.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the API keys file {path}: {error}") from None
    keys = frozenset(
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )
    if not keys:
        raise ConfigError(f"the API keys file {path} holds no key")
    return keys
