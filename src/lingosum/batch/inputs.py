"""Finding and reading the documents of a batch job.

Inputs are text files, directories walked recursively, ``-`` for stdin, and table files
(``.jsonl``, ``.csv``, ``.tsv``) holding one document per row. Documents are read lazily, one
at a time, in a deterministic order, so that ids are stable from one run to the next and
``--resume`` can match them. A document that cannot be read (binary, too large, a FIFO or
device found in a folder) is still yielded, with its error, so that it becomes a failed
record instead of stopping or blocking the job.

Ids: a file's path (relative to the folder given); a table row's id field, which must be
unique in the job; else ``FILE#<hash of the text>``, so that inserting or removing rows does
not move other rows' ids (``source`` still gives ``FILE:LINE``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import partial
from pathlib import Path
from typing import Any, Literal

from lingosum.batch.naming import Namer, safe_relpath
from lingosum.errors import InputError
from lingosum.fetch import is_url
from lingosum.textio import (
    PIPE_HINT,
    byte_limit,
    decode_bytes,
    not_a_file,
    open_regular,
    read_bounded,
    read_file,
)

TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}
TABLE_SUFFIXES = (".jsonl", *TABLE_DELIMITERS)
HTML_SUFFIXES = (".html", ".htm")
STDIN_NAME = "<stdin>"
ROW_ID_DIGITS = 12


@dataclass(frozen=True)
class InputOptions:
    """Which files a job reads and how table rows are understood.

    Attributes:
        globs: file-name patterns matched in directories; table files given by name are
            always read as tables.
        text_field: the key (JSONL) or column (CSV/TSV) holding the text.
        id_field: the key or column holding the id; rows without one get
            ``<file>#<hash of the text>``.
        max_chars: longer documents fail (``None`` = no limit; reading still stops at
            :data:`lingosum.textio.UNLIMITED_BYTES`).
        exclude: a path never read as input (the job's own output).
        offline: refuse URLs (each becomes a failed record) instead of fetching them.
    """

    globs: tuple[str, ...] = ("*.txt", "*.md", "*.html", "*.htm")
    text_field: str = "text"
    id_field: str = "id"
    max_chars: int | None = 2_000_000
    exclude: Path | None = None
    offline: bool = False


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

    kind: Literal["file", "table", "stdin", "special", "url"]
    path: Path
    name: str
    problem: str | None = None


def find_origins(inputs: Sequence[str], options: InputOptions) -> list[Origin]:
    """Expand the inputs into files, in a stable order.

    Raises:
        InputError: an input is missing, is the output, is not a regular file (a FIFO or
            device would block or never end; pipe it to ``-``), or nothing matched.
    """
    origins: list[Origin] = []
    excluded = options.exclude.resolve() if options.exclude else None
    for given in inputs:
        if given == "-":
            origins.append(Origin("stdin", Path("-"), STDIN_NAME))
            continue
        if is_url(given):
            origins.append(Origin("url", Path(safe_relpath(given)), given))
            continue
        path = Path(given)
        if not path.exists():
            raise InputError(f"input not found: {given}")
        if excluded is not None and _within(path.resolve(), excluded):
            raise InputError(f"{given} is (inside) the output; give the output another name")
        if path.is_dir():
            origins.extend(_walk(path, options.globs, excluded))
            continue
        origin = _origin(path, path.name)
        if origin.problem is not None:
            raise InputError(origin.problem.replace("; skipped", PIPE_HINT))
        origins.append(origin)
    if not origins:
        raise InputError(
            f"no input documents found in {', '.join(inputs)} "
            f"(looked for {', '.join(options.globs)}; change it with --glob)"
        )
    return origins


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _origin(path: Path, name: str) -> Origin:
    """A file, or a table file; ``special`` (with the reason) when it exists but is no
    regular file. A file that cannot be examined is left for reading to report."""
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return Origin("special", path, name, f"{not_a_file(path, mode)}; skipped")
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
    """How many documents the origins hold; checks table headers and ids on the way, so
    that a bad table stops the job before any work.

    Raises:
        InputError: a CSV/TSV file has no text column; two rows have the same id (a resumed
            job could not tell their results apart).
    """
    total = 0
    seen: dict[str, str] = {}
    for origin in origins:
        if origin.kind != "table":
            total += 1
            continue
        try:
            total += _check_ids(origin, options, seen)
        except OSError as error:
            raise InputError(f"cannot read {origin.path}: {error.strerror or error}") from None
    return total


def _check_ids(origin: Origin, options: InputOptions, seen: dict[str, str]) -> int:
    """Count the rows of a table file, noting each id given and refusing one seen before."""
    count = 0
    for number, row in _rows(origin, options):
        count += 1
        given = _row_id(row.get(options.id_field)) if isinstance(row, dict) else None
        if given is None:
            continue
        where = f"{origin.path} line {number}"
        if given in seen:
            raise InputError(
                f"id {given!r} appears twice, in {seen[given]} and {where}; ids must be "
                "unique (fix the data, or choose another --id-field)"
            )
        seen[given] = where
    return count


def read_documents(origins: Sequence[Origin], options: InputOptions) -> Iterator[Document]:
    """Every document of every origin, read one at a time, with job-unique ids and paths."""
    namer = Namer()
    for origin in origins:
        for document in _read_origin(origin, options):
            yield namer.claim(document)


def _read_origin(origin: Origin, options: InputOptions) -> Iterator[Document]:
    if origin.kind == "special":
        yield Document(origin.name, str(origin.path), origin.name, error=origin.problem)
    elif origin.kind == "stdin":
        stdin = sys.stdin.buffer
        read = partial(read_bounded, stdin, STDIN_NAME, options.max_chars)
        yield _text_document(origin, read, options)
    elif origin.kind == "file":
        yield _text_document(origin, partial(read_file, origin.path, options.max_chars), options)
    elif origin.kind == "url":
        yield _url_document(origin, options)
    else:
        try:
            for number, row in _rows(origin, options):
                yield _row_document(origin, number, row, options)
        except OSError as error:
            raise InputError(f"cannot read {origin.path}: {error.strerror or error}") from None


def _text_document(origin: Origin, read: Callable[[], bytes], options: InputOptions) -> Document:
    path = "stdin.txt" if origin.kind == "stdin" else origin.name
    source = STDIN_NAME if origin.kind == "stdin" else str(origin.path)
    try:
        decoded = decode_bytes(read(), source, max_chars=options.max_chars)
    except InputError as error:
        return Document(origin.name, source, path, error=str(error))
    except OSError as error:
        reason = error.strerror or str(error)
        return Document(origin.name, source, path, error=f"cannot read {source}: {reason}")
    if origin.path.suffix.lower() in HTML_SUFFIXES:
        return _article_document(origin.name, source, path, decoded.text, decoded.warnings)
    return Document(origin.name, source, path, decoded.text, warnings=decoded.warnings)


def _url_document(origin: Origin, options: InputOptions) -> Document:
    """A web page: its id is the URL, its text the article (or the text it serves; see
    :func:`lingosum.documents.fetch_source`); a page that cannot be fetched is a failed
    record, not the end of the job."""
    from lingosum.documents import fetch_source
    from lingosum.errors import FetchError

    url, path = origin.name, f"{origin.path.as_posix()}.txt"
    try:
        page = fetch_source(url, offline=options.offline)
    except FetchError as error:
        return Document(url, url, path, error=str(error))
    except InputError as error:
        return Document(url, url, path, error=f"{url}: {error}")
    return Document(url, url, path, page.raw, warnings=page.warnings)


def _article_document(
    doc_id: str, source: str, path: str, html: str, warnings: tuple[str, ...]
) -> Document:
    """A document whose text is the article of an HTML file (see lingosum.documents)."""
    from lingosum.markup import extract_article

    try:
        article = extract_article(html)
    except InputError as error:
        return Document(doc_id, source, path, error=f"{source}: {error}")
    return Document(doc_id, source, path, article.text, warnings=warnings)


def _rows(origin: Origin, options: InputOptions) -> Iterator[tuple[int, Any]]:
    """(line or row number, row) of a table file; a row that cannot be parsed is an
    exception in place of the row."""
    if origin.path.suffix.lower() == ".jsonl":
        return _jsonl_rows(origin, options)
    return _table_rows(origin, options)


def _jsonl_rows(origin: Origin, options: InputOptions) -> Iterator[tuple[int, Any]]:
    limit = byte_limit(options.max_chars) * 2  # JSON escapes can double a text's bytes
    with open_regular(origin.path) as handle:
        number = 0
        while raw := handle.readline(limit + 1):
            number += 1
            row: Any
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (more := handle.readline(limit + 1)) and not more.endswith(b"\n"):
                    pass
                row = ValueError(f"line {number} is longer than {limit:,} bytes")
            elif not raw.strip():
                continue
            else:
                try:
                    row = json.loads(raw)
                except ValueError as error:
                    row = ValueError(f"line {number} is not valid JSON ({error})")
            yield number, row


def _table_rows(origin: Origin, options: InputOptions) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, row) of a CSV/TSV file; the header is row 0."""
    csv.field_size_limit(max(options.max_chars or 0, 1 << 24) * 2)
    delimiter = TABLE_DELIMITERS[origin.path.suffix.lower()]
    binary = open_regular(origin.path)
    with io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="") as handle:
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
    source = f"{origin.path}:{number}"
    given = row.get(options.id_field) if isinstance(row, dict) else None
    doc_id = _row_id(given) or f"{origin.name}#{_content_digest(row, options)}"
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


def _content_digest(row: Any, options: InputOptions) -> str:
    """A short hash of the row's text (of the whole row when it has no text)."""
    text = row.get(options.text_field) if isinstance(row, dict) else None
    if not isinstance(text, str):
        text = json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:ROW_ID_DIGITS]


def _row_id(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value).strip()
    return text or None
