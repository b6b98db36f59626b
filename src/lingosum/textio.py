"""Reading input text from a file or stdin, with clear errors for what is not text.

Input is read in chunks against a byte limit, so a stream that never ends (``/dev/zero``,
``yes |``) ends in an error instead of exhausting memory, and a NUL byte stops the read at
once. Only regular files are opened by name: a FIFO or a device would block or never end.
"""

from __future__ import annotations

import codecs
import os
import stat
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
# UTF-8 needs at most 4 bytes per character (UTF-32 exactly 4): a read of more than
# max_chars * 4 bytes (plus a BOM) is over the limit whatever the encoding.
MAX_BYTES_PER_CHAR = 4
# Without a character limit, reading still stops here: hours of model work lie far below
# this, and a bounded read is what keeps an endless stream from exhausting memory.
UNLIMITED_BYTES = 256 << 20
CHUNK_BYTES = 1 << 20
FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
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
        InputError: missing, unreadable, not a regular file, binary, undecodable, empty or
            too large input.
    """
    if source is None or str(source) == "-":
        try:
            data = read_bounded(sys.stdin.buffer, "<stdin>", max_chars)
        except OSError as error:
            raise InputError(f"cannot read standard input: {error.strerror or error}") from None
        return decode_bytes(data, "<stdin>", max_chars=max_chars)
    path = Path(source)
    return decode_bytes(read_file(path, max_chars), str(path), max_chars=max_chars)


def read_file(path: Path, max_chars: int | None) -> bytes:
    """The bytes of the regular file ``path``, read against the limit for ``max_chars``.

    Raises:
        InputError: missing, a directory or other non-regular file, unreadable, binary, or
            larger than the limit allows.
    """
    try:
        with open_regular(path) as handle:
            return read_bounded(handle, str(path), max_chars)
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file (checked on the open file, so
    nothing can swap it for a FIFO in between; opening does not block on a FIFO).

    Raises:
        InputError: a directory, FIFO, device or socket.
        OSError: it cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(not_a_file(path, mode) + PIPE_HINT)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


PIPE_HINT = "; pipe it to standard input (-) instead"


def not_a_file(path: Path | str, mode: int) -> str:
    """Why ``path`` (with ``st_mode`` ``mode``) is not read: it is no regular file."""
    if stat.S_ISDIR(mode):
        return f"{path} is a directory; give a file (use `lingosum batch` for folders)"
    kind = next((name for test, name in FILE_KINDS if test(mode)), "not a regular file")
    return f"{path} is {kind}, not a regular file"


def byte_limit(max_chars: int | None) -> int:
    """The most bytes a text of ``max_chars`` characters can take (BOM included)."""
    if max_chars is None:
        return UNLIMITED_BYTES
    return max_chars * MAX_BYTES_PER_CHAR + len(codecs.BOM_UTF32_LE)


def read_bounded(stream: BinaryIO, name: str, max_chars: int | None) -> bytes:
    """Read ``stream`` to its end in chunks, stopping with an error as soon as it holds more
    than :func:`byte_limit` allows or (without a byte-order mark) a NUL byte.

    Raises:
        InputError: a NUL byte (binary data), or more bytes than the limit allows.
        OSError: the stream cannot be read.
    """
    limit = byte_limit(max_chars)
    chunks: list[bytes] = []
    size = 0
    head = b""
    while chunk := stream.read(min(CHUNK_BYTES, limit + 1 - size)):
        if len(head) < 4:
            head = (head + chunk)[:4]
        if b"\x00" in chunk and (len(head) >= 4 or size) and not _has_bom(head):
            raise InputError(binary_message(name))
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise InputError(too_large_message(name, max_chars))
    return b"".join(chunks)


def _has_bom(head: bytes) -> bool:
    return any(head.startswith(bom) for bom, _ in BOMS)


def binary_message(name: str) -> str:
    return f"{name} looks like a binary file, not text (it contains NUL bytes)"


def too_large_message(name: str, max_chars: int | None) -> str:
    if max_chars is None:
        return (
            f"{name} is larger than {UNLIMITED_BYTES >> 20} MiB, the most lingosum reads "
            "at once; split it"
        )
    return (
        f"{name} has more than the limit of {max_chars:,} characters (it holds over "
        f"{byte_limit(max_chars):,} bytes); raise it with --max-chars, or split the text"
    )


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
        if "\x00" in text:
            raise InputError(binary_message(name))
    else:
        if b"\x00" in data:
            raise InputError(binary_message(name))
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
