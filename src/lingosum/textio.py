"""Reading input text from a file or stdin, with clear errors for what is not text."""

from __future__ import annotations

import codecs
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lingosum.errors import InputError

# Share of undecodable bytes above which a file is refused rather than repaired.
MAX_BAD_BYTE_SHARE = 0.01
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class InputText:
    """Decoded text, where it came from, and anything the user should know about it."""

    text: str
    name: str
    warnings: tuple[str, ...] = ()


def read_input(source: str | Path | None, *, max_chars: int | None = None) -> InputText:
    """Read text from a file path, or from stdin when ``source`` is ``None`` or ``"-"``.

    Raises:
        InputError: missing, unreadable, binary, undecodable, empty or too large input.
    """
    if source is None or str(source) == "-":
        return decode_bytes(_read_stream(sys.stdin.buffer), "<stdin>", max_chars=max_chars)
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{path} is a directory; give a file (use `lingosum batch` for folders)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    return decode_bytes(data, str(path), max_chars=max_chars)


def _read_stream(stream: BinaryIO) -> bytes:
    try:
        return stream.read()
    except OSError as error:
        raise InputError(f"cannot read standard input: {error}") from None


def decode_bytes(data: bytes, name: str, *, max_chars: int | None = None) -> InputText:
    """Turn raw bytes into text: BOMs honoured, binary refused, bad UTF-8 repaired with a
    warning when rare and refused when common.

    Raises:
        InputError: binary data, mostly undecodable bytes, no text, or over ``max_chars``.
    """
    warnings: list[str] = []
    encoding = next((enc for bom, enc in BOMS if data.startswith(bom)), None)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise InputError(
                f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding}"
            ) from None
    else:
        if b"\x00" in data[:8192]:
            raise InputError(f"{name} looks like a binary file, not text")
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
        if bad:
            if bad > max(8, MAX_BAD_BYTE_SHARE * len(data)):
                raise InputError(
                    f"{name} is not UTF-8 text ({bad} undecodable bytes); "
                    "convert it first, e.g. with: iconv -f LATIN1 -t UTF-8"
                )
            warnings.append(f"{name}: replaced {bad} undecodable byte(s) with U+FFFD")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{name} is empty: there is no text to work on")
    if max_chars is not None and len(text) > max_chars:
        raise InputError(
            f"{name} has {len(text):,} characters, more than the limit of {max_chars:,}; "
            "raise it with --max-chars, or split the text and use `lingosum batch`"
        )
    return InputText(text, name, tuple(warnings))
