"""Where a batch job's records go: a JSONL file, a CSV file, or a directory of text files.

All three keep an append-only journal (see :mod:`lingosum.batch.journal`): the JSONL and CSV
outputs are their own journal; a directory output writes each result to its own file (to a
temporary name, then renamed) and then notes it in ``manifest.jsonl``. ``done`` tells the
job which (document, target) pairs an earlier run already recorded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from lingosum.batch.inputs import Document
from lingosum.batch.journal import Codec, Journal, open_journal
from lingosum.batch.records import (
    CSV_HEADER,
    FIELDS,
    Record,
    csv_row,
    jsonl_line,
    parse_csv_cells,
    parse_csv_row,
    parse_jsonl_line,
)
from lingosum.errors import ConfigError, OutputError

FORMATS = ("jsonl", "csv", "dir")
MANIFEST = "manifest.jsonl"
TEMP_SUFFIX = ".lingosum-tmp"

JSONL = Codec("jsonl", b"", False, parse_jsonl_line)
CSV = Codec("csv", CSV_HEADER, True, parse_csv_row, lambda unit: _is_csv_header(unit))


def _is_csv_header(unit: bytes) -> bool:
    try:
        return tuple(parse_csv_cells(unit)) == FIELDS
    except (ValueError, UnicodeDecodeError):
        return False


@dataclass(frozen=True)
class OutputMode:
    """How to treat an output that exists: continue it, or replace it.

    ``retry_failed`` (implies ``resume``): drop failed records so their documents run again.
    """

    resume: bool = False
    force: bool = False
    retry_failed: bool = False

    @property
    def continues(self) -> bool:
        return self.resume or self.retry_failed


class Output(Protocol):
    """A place records go; ``done`` maps (id, target) already recorded to its status."""

    done: dict[tuple[str, str], str]
    warnings: tuple[str, ...]

    def write(self, record: Record, document: Document) -> None: ...

    def close(self) -> None: ...


def resolve_format(path: Path, given: str | None) -> str:
    """The output format: ``given``, or from the name (``.jsonl``, ``.csv``, else a folder).

    Raises:
        ConfigError: unknown format, or a name that looks like a file of another kind.
    """
    if given is not None:
        if given not in FORMATS:
            raise ConfigError(f"unknown format {given!r}; choose from {', '.join(FORMATS)}")
        return given
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if path.is_dir() or not suffix:
        return "dir"
    raise ConfigError(
        f"cannot tell the output format from {path.name!r}; "
        "name it .jsonl or .csv, or pass --format jsonl|csv|dir"
    )


def check_output(path: Path, fmt: str, mode: OutputMode) -> None:
    """Refuse, before any work, an output that would be overwritten or cannot be ours.

    Raises:
        ConfigError: ``--force`` with ``--resume``.
        OutputError: the output exists (without resume or force), or is of the wrong kind.
    """
    if mode.force and mode.continues:
        raise ConfigError("--force starts the output over and --resume continues it; pick one")
    if not path.exists() and not path.is_symlink():
        return
    if fmt == "dir" and not path.is_dir():
        raise OutputError(f"{path} exists and is not a directory; choose another output")
    if fmt != "dir" and path.is_dir():
        raise OutputError(f"{path} is a directory; use --format dir, or name a file")
    if mode.force or not _has_content(path):
        return
    if not mode.continues:
        raise OutputError(
            f"{path} already exists; add --resume to finish it, or --force to start over"
        )
    if fmt == "dir" and not (path / MANIFEST).exists():
        raise OutputError(
            f"{path} has no {MANIFEST}, so it is not a lingosum batch output; "
            "choose another folder, or --force to write into it anyway"
        )


def _has_content(path: Path) -> bool:
    if path.is_dir():
        return any(path.iterdir())
    return path.stat().st_size > 0


def open_output(path: Path, fmt: str, mode: OutputMode, task: str) -> Output:
    """Open ``path`` for a job's records, recovering what an earlier run left.

    Raises:
        OutputError: see :func:`check_output`; or the output cannot be created or read.
    """
    check_output(path, fmt, mode)
    if fmt == "dir":
        return DirectoryOutput(path, mode, task)
    return RecordFile(path, CSV if fmt == "csv" else JSONL, mode, task)


class RecordFile:
    """A JSONL or CSV file with one record per line (row)."""

    def __init__(self, path: Path, codec: Codec, mode: OutputMode, task: str) -> None:
        _make_parent(path.parent)
        self._encode = csv_row if codec is CSV else jsonl_line
        self._journal, recovered = open_journal(
            path, codec, task=task, retry_failed=mode.retry_failed, start_over=mode.force
        )
        self.done = recovered.done
        self.warnings = recovered.warnings

    def write(self, record: Record, document: Document) -> None:
        self._journal.append(self._encode(record))

    def close(self) -> None:
        self._journal.close()


class DirectoryOutput:
    """``OUT/<target>/<document path>`` per result, and ``OUT/manifest.jsonl`` of records.

    A result file is complete before its manifest line is written; a run that dies between
    the two redoes that document and replaces the file with the same content.
    """

    def __init__(self, root: Path, mode: OutputMode, task: str) -> None:
        _make_parent(root)
        self.root = root
        self._real_root = root.resolve()
        if mode.continues:
            _remove_temporaries(root)
        self._journal: Journal
        self._journal, recovered = open_journal(
            root / MANIFEST,
            JSONL,
            task=task,
            retry_failed=mode.retry_failed,
            start_over=mode.force,
        )
        self.done = recovered.done
        self.warnings = recovered.warnings

    def write(self, record: Record, document: Document) -> None:
        relative = None
        if record.ok:
            relative = f"{record.target_language}/{document.path}"
            write_atomically(self._inside(relative), (record.text or "") + "\n")
        self._journal.append(jsonl_line(replace(record, text=None), output=relative))

    def _inside(self, relative: str) -> Path:
        """The file for ``relative``; refuses one that would resolve outside the output (a
        symlink inside it pointing elsewhere)."""
        target = self.root / relative
        if not target.resolve().is_relative_to(self._real_root):
            raise OutputError(f"refusing to write {target}: it leads outside {self.root}")
        return target

    def close(self) -> None:
        self._journal.close()


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it
    into place: ``path`` is either absent, its old content, or the whole new content.

    Raises:
        OutputError: the file cannot be written (full disk, permissions...).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(
            f"cannot write {path}: {error.strerror or error}; fix the cause and rerun with --resume"
        ) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove_temporaries(root: Path) -> None:
    """Temporary files an interrupted run left behind (they were never renamed)."""
    for folder, _, files in os.walk(root):
        for name in files:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                Path(folder, name).unlink(missing_ok=True)


def _make_parent(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {folder}: {error.strerror or error}") from None
