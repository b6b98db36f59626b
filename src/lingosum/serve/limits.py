"""What the server refuses, and how: API keys, per-client rate limits, text limits.

Every refusal is an :class:`ApiError` carrying LibreTranslate's status code and message,
which the app turns into ``{"error": "..."}``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from lingosum.serve.config import ServeConfig

# Past this many tracked clients, those whose bucket has refilled are forgotten: the table
# of addresses must not grow without bound under a scan of many addresses.
_MAX_TRACKED_CLIENTS = 10_000


class ApiError(Exception):
    """A request the server answers with an error status and ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def missing(name: str) -> ApiError:
    return ApiError(400, f"Invalid request: missing {name} parameter")


def check_api_key(key: str | None, config: ServeConfig) -> None:
    """Raises ApiError (400 without a key, 403 with a wrong one) when keys are required."""
    if config.api_keys is None:
        return
    if not key:
        raise ApiError(400, "Please contact the server operator to get an API key")
    if key not in config.api_keys:
        raise ApiError(403, "Invalid API key")


def check_texts(texts: Sequence[str], is_list: bool, config: ServeConfig) -> None:
    """Raises ApiError 400 when a request holds too many texts or characters."""
    if is_list and config.batch_limit and len(texts) > config.batch_limit:
        raise ApiError(
            400,
            f"Invalid request: request ({len(texts)}) exceeds text limit ({config.batch_limit})",
        )
    chars = sum(len(text) for text in texts)
    if config.char_limit and chars > config.char_limit:
        raise ApiError(
            400, f"Invalid request: request ({chars}) exceeds text limit ({config.char_limit})"
        )


class RateLimiter:
    """A token bucket per client address: ``per_minute`` requests, refilled continuously.

    Thread-safe; 0 requests per minute means no limit.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Take one request from ``client``'s bucket.

        Raises:
            ApiError: 429 when the bucket is empty, with the seconds until the next token.
        """
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                wait = max(1, round((1.0 - tokens) / rate))
                raise ApiError(
                    429,
                    f"Slowdown: {self.per_minute} per 1 minute",
                    {"Retry-After": str(wait)},
                )
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > _MAX_TRACKED_CLIENTS:
                self._forget_idle(now, rate)

    def _forget_idle(self, now: float, rate: float) -> None:
        full = [
            client
            for client, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * rate >= self.per_minute
        ]
        for client in full:
            del self._buckets[client]
