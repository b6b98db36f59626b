"""Finding and reading the documents of a batch job.

Inputs are text files, directories walked recursively, ``-`` for stdin, and table files
(``.jsonl``, ``.csv``, ``.tsv``) holding one document per row. Documents are read lazily, one
at a time, in a deterministic order, so that ids are stable from one run to the next and
``--resume`` can match them. A document that cannot be read is still yielded, with its
error, so that it becomes a failed record instead of stopping the job.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Literal

from lingosum.batch.naming import Namer
from lingosum.errors import InputError
from lingosum.textio import decode_bytes

TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}
TABLE_SUFFIXES = (".jsonl", *TABLE_DELIMITERS)
STDIN_NAME = "<stdin>"
# Bytes per character in the worst case of UTF-8: a file over max_chars * 4 bytes is too
# long for sure and is refused without reading it.
MAX_BYTES_PER_CHAR = 4


@dataclass(frozen=True)
class InputOptions:
    """Which files a job reads and how table rows are understood.

    Attributes:
        globs: file-name patterns matched in directories; table files given by name are
            always read as tables.
        text_field: the key (JSONL) or column (CSV/TSV) holding the text.
        id_field: the key or column holding the id; rows without one get ``<file>#<line>``.
        max_chars: longer documents fail (``None`` = no limit).
        exclude: a path never read as input (the job's own output).
    """

    globs: tuple[str, ...] = ("*.txt", "*.md")
    text_field: str = "text"
    id_field: str = "id"
    max_chars: int | None = 2_000_000
    exclude: Path | None = None


@dataclass(frozen=True)
class Document:
    """One input document: its text, or why it could not be read.

    ``id`` is unique within the job and stable between runs; ``source`` says where the
    document came from; ``path`` is where its results go in a directory output (made safe
    and unique by :class:`~lingosum.batch.naming.Namer`).
    """

    id: str
    source: str
    path: str
    text: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Origin:
    """One thing named on the command line or found in a directory."""

    kind: Literal["file", "table", "stdin"]
    path: Path
    name: str


def find_origins(inputs: Sequence[str], options: InputOptions) -> list[Origin]:
    """Expand the inputs into files, in a stable order.

    Raises:
        InputError: an input is missing, is the output, or nothing matched.
    """
    origins: list[Origin] = []
    excluded = options.exclude.resolve() if options.exclude else None
    for given in inputs:
        if given == "-":
            origins.append(Origin("stdin", Path("-"), STDIN_NAME))
            continue
        path = Path(given)
        if not path.exists():
            raise InputError(f"input not found: {given}")
        if excluded is not None and _within(path.resolve(), excluded):
            raise InputError(f"{given} is (inside) the output; give the output another name")
        if path.is_dir():
            origins.extend(_walk(path, options.globs, excluded))
        else:
            origins.append(_origin(path, path.name))
    if not origins:
        raise InputError(
            f"no input documents found in {', '.join(inputs)} "
            f"(looked for {', '.join(options.globs)}; change it with --glob)"
        )
    return origins


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _origin(path: Path, name: str) -> Origin:
    kind: Literal["file", "table"] = "table" if path.suffix.lower() in TABLE_SUFFIXES else "file"
    return Origin(kind, path, name)


def _walk(root: Path, globs: Sequence[str], excluded: Path | None) -> Iterator[Origin]:
    """Matching files under ``root``, sorted, never following links to directories."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if excluded is None or (here / d).resolve() != excluded)
        for name in sorted(files):
            path = here / name
            if not any(fnmatch(name, pattern) for pattern in globs):
                continue
            if excluded is not None and path.resolve() == excluded:
                continue
            yield _origin(path, path.relative_to(root).as_posix())


def count_documents(origins: Sequence[Origin], options: InputOptions) -> int:
    """How many documents the origins hold; checks table headers on the way.

    Raises:
        InputError: a CSV/TSV file has no text column.
    """
    total = 0
    for origin in origins:
        if origin.kind != "table":
            total += 1
        elif origin.path.suffix.lower() == ".jsonl":
            with origin.path.open("rb") as handle:
                total += sum(1 for line in handle if line.strip())
        else:
            total += sum(1 for _ in _table_rows(origin, options))
    return total


def read_documents(origins: Sequence[Origin], options: InputOptions) -> Iterator[Document]:
    """Every document of every origin, read one at a time, with job-unique ids and paths."""
    namer = Namer()
    for origin in origins:
        for document in _read_origin(origin, options):
            yield namer.claim(document)


def _read_origin(origin: Origin, options: InputOptions) -> Iterator[Document]:
    if origin.kind == "stdin":
        yield _text_document(origin, lambda: sys.stdin.buffer.read(), options)
    elif origin.kind == "file":
        yield _text_document(origin, lambda: _read_file(origin.path, options.max_chars), options)
    elif origin.path.suffix.lower() == ".jsonl":
        yield from _jsonl_documents(origin, options)
    else:
        for line, row in _table_rows(origin, options):
            yield _row_document(origin, line, row, options)


def _text_document(origin: Origin, read: Callable[[], bytes], options: InputOptions) -> Document:
    path = "stdin.txt" if origin.kind == "stdin" else origin.name
    source = STDIN_NAME if origin.kind == "stdin" else str(origin.path)
    try:
        decoded = decode_bytes(read(), source, max_chars=options.max_chars)
    except InputError as error:
        return Document(origin.name, source, path, error=str(error))
    except OSError as error:
        return Document(origin.name, source, path, error=f"cannot read {source}: {error}")
    return Document(origin.name, source, path, decoded.text, warnings=decoded.warnings)


def _read_file(path: Path, max_chars: int | None) -> bytes:
    size = path.stat().st_size
    if max_chars is not None and size > max_chars * MAX_BYTES_PER_CHAR:
        raise InputError(
            f"{path} is {size:,} bytes, more than the limit of {max_chars:,} characters; "
            "raise it with --max-chars, or split the file"
        )
    return path.read_bytes()


def _jsonl_documents(origin: Origin, options: InputOptions) -> Iterator[Document]:
    with origin.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except ValueError as error:
                row = ValueError(f"line {number} is not valid JSON ({error})")
            yield _row_document(origin, number, row, options)


def _table_rows(origin: Origin, options: InputOptions) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, row) of a CSV/TSV file; the header is row 0."""
    csv.field_size_limit(max(options.max_chars or 0, 1 << 24) * 2)
    delimiter = TABLE_DELIMITERS[origin.path.suffix.lower()]
    with origin.path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = reader.fieldnames or []
        if options.text_field not in columns:
            raise InputError(
                f"{origin.path} has no column {options.text_field!r} "
                f"(columns: {', '.join(columns) or 'none'}); choose one with --text-field"
            )
        yield from enumerate(reader, start=1)


def _row_document(origin: Origin, number: int, row: Any, options: InputOptions) -> Document:
    """A document from one JSONL object or CSV row (``row`` is an error when unparseable)."""
    where = f"{origin.name}#{number}"
    source = f"{origin.path}:{number}"
    given = row.get(options.id_field) if isinstance(row, dict) else None
    doc_id = _row_id(given) or where
    path = doc_id if doc_id.lower().endswith((".txt", ".md")) else f"{doc_id}.txt"
    if isinstance(row, Exception):
        return Document(doc_id, source, path, error=f"{origin.path}: {row}")
    if not isinstance(row, dict):
        return Document(doc_id, source, path, error=f"{source} is not a JSON object")
    text = row.get(options.text_field)
    if not isinstance(text, str):
        found = "missing" if text is None else f"a {type(text).__name__}, not text"
        return Document(doc_id, source, path, error=f"{source}: {options.text_field!r} is {found}")
    try:
        decoded = decode_bytes(text.encode("utf-8", "replace"), source, max_chars=options.max_chars)
    except InputError as error:
        return Document(doc_id, source, path, error=str(error))
    return Document(doc_id, source, path, decoded.text, warnings=decoded.warnings)


def _row_id(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value).strip()
    return text or None
