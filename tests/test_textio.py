"""Reading input: encodings, binary files, directories, emptiness, size limits."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from lingosum.errors import InputError
from lingosum.textio import decode_bytes, read_input


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Hello world", "Hello world"),
        (codecs.BOM_UTF8 + "Привет".encode(), "Привет"),
        ("გამარჯობა".encode("utf-16"), "გამარჯობა"),
        (codecs.BOM_UTF16_BE + "Salam dünya".encode("utf-16-be"), "Salam dünya"),
        (b"Line one\r\nLine two", "Line one\nLine two"),
    ],
)
def test_decodes_text(data: bytes, expected: str) -> None:
    assert decode_bytes(data, "x").text == expected


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", codecs.BOM_UTF8 + b"\n"])
def test_empty_input_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="empty"):
        decode_bytes(data, "x")


def test_binary_is_refused() -> None:
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.png")


def test_a_few_bad_bytes_are_replaced_with_a_warning() -> None:
    data = ("A long enough English sentence. " * 20).encode() + b"\xff\xfe oops"
    result = decode_bytes(data, "doc.txt")
    assert "\ufffd" in result.text
    assert "undecodable" in result.warnings[0]


def test_mostly_undecodable_text_is_refused() -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        decode_bytes("café crème à la carte".encode("latin-1") * 10, "latin1.txt")


def test_size_limit_is_explicit() -> None:
    with pytest.raises(InputError, match="--max-chars"):
        decode_bytes(b"a" * 101, "big.txt", max_chars=100)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_input(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_input(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("text", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="permission denied"):
            read_input(path)
    finally:
        path.chmod(0o644)
