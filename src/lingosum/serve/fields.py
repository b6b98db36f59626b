"""Reading a request's fields the way LibreTranslate does: JSON or form-encoded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from lingosum.serve.limits import ApiError, missing


@dataclass(frozen=True)
class Fields:
    """A request's parameters; JSON values keep their types, form values are strings."""

    values: Mapping[str, Any]
    is_json: bool

    def text(self, name: str, default: str = "") -> str:
        """A single string field (a number in JSON is accepted as its text).

        Raises:
            ApiError: 400 when the value is a list or an object.
        """
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ApiError(400, f"Invalid request: {name} must be a string")
        return str(value)

    def number(self, name: str, default: int, highest: int) -> int:
        """A whole number between 0 and ``highest``.

        Raises:
            ApiError: 400 for anything else.
        """
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"Invalid request: {name} must be a whole number") from None
        if not 0 <= value <= highest:
            raise ApiError(400, f"Invalid request: {name} must be between 0 and {highest}")
        return value

    def texts(self, name: str) -> tuple[list[str], bool]:
        """The texts of a field given as a string or a list, and whether it was a list.

        Raises:
            ApiError: 400 when missing, empty or not made of strings.
        """
        value = self.values.get(name)
        if isinstance(value, list):
            if not value or not all(isinstance(item, str) for item in value):
                raise ApiError(400, f"Invalid request: {name} must be a list of strings")
            return [_unix_lines(item, self.is_json) for item in value], True
        if not isinstance(value, str) or not value.strip():
            raise missing(name)
        return [_unix_lines(value, self.is_json)], False


def _unix_lines(text: str, is_json: bool) -> str:
    # Form posts use CRLF line ends (RFC 2046); as LibreTranslate does, normalise them so the
    # character limit counts the same text the same way whichever way it was sent.
    return text if is_json else "\n".join(text.splitlines())


async def read_fields(request: Request) -> Fields:
    """Parse the body as JSON (by content type, or when it looks like an object) or a form.

    Raises:
        ApiError: 400 for malformed JSON or JSON that is not an object.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if kind == "application/json" or (not kind and body.lstrip().startswith(b"{")):
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Invalid JSON format") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid JSON format")
        return Fields(data, True)
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        values: dict[str, Any] = dict(request.query_params)
        for name in form:
            items = [item for item in form.getlist(name) if isinstance(item, str)]
            values[name] = items[0] if len(items) == 1 else items
        return Fields(values, False)
    return Fields(dict(request.query_params), False)
