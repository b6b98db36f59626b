"""Where a batch job's records go: a JSONL file, a CSV file, or a directory of text files.

All three keep an append-only journal (see :mod:`lingosum.batch.journal`): the JSONL and CSV
outputs are their own journal; a directory output writes each result to its own file (to a
temporary name, then renamed) and then notes it in ``manifest.jsonl``. ``done`` tells the
job which (document, target) pairs an earlier run already recorded, and ``records`` what
each was made from (its fingerprint). Every output is locked before anything in it is
cleaned up or rewritten (see :class:`~lingosum.batch.journal.OutputLock`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from lingosum.batch.inputs import Document
from lingosum.batch.journal import (
    Codec,
    Journal,
    open_journal,
    remove_temporaries,
    temporary_path,
)
from lingosum.batch.records import (
    CSV_HEADER,
    FIELDS,
    LEGACY_FIELDS,
    Record,
    csv_row,
    jsonl_line,
    parse_csv_cells,
    parse_csv_row,
    parse_jsonl_line,
)
from lingosum.batch.resume import ResumeCheck
from lingosum.errors import ConfigError, OutputError

FORMATS = ("jsonl", "csv", "dir")
MANIFEST = "manifest.jsonl"
LEGACY = (
    "was written before lingosum records had fingerprints, so --resume cannot tell "
    "whether its results still match their input; use --force to start it over, "
    "or write to another output"
)


def _csv_header_problem(unit: bytes) -> str | None:
    try:
        cells = tuple(parse_csv_cells(unit))
    except (ValueError, UnicodeDecodeError):
        cells = ()
    if cells == FIELDS:
        return None
    if cells == LEGACY_FIELDS:
        return LEGACY
    return (
        "is not a lingosum batch csv output (its first line is not the expected header); "
        "choose another output, or --force to replace it"
    )


JSONL = Codec("jsonl", b"", False, parse_jsonl_line)
CSV = Codec("csv", CSV_HEADER, True, parse_csv_row, _csv_header_problem)


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
    """A place records go; ``done`` maps (id, target) already recorded to its status,
    ``records`` to its last record (without text)."""

    done: dict[tuple[str, str], str]
    records: dict[tuple[str, str], Record]
    warnings: tuple[str, ...]

    def write(self, record: Record, document: Document) -> None: ...

    def pending(self, document: Document, targets: Sequence[str]) -> tuple[str, ...]: ...

    def notes(self) -> list[str]: ...

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


def open_output(
    path: Path, fmt: str, mode: OutputMode, task: str, check: ResumeCheck | None = None
) -> Output:
    """Open ``path`` for a job's records, recovering what an earlier run left.

    Args:
        check: stamps every record with its fingerprint, vets the records already there
            before anything is changed, and says which pairs are still to do (see
            :mod:`lingosum.batch.resume`); without it records are not fingerprinted.

    Raises:
        OutputError: see :func:`check_output`; another job is writing it; ``check``
            refused it; or it cannot be created or read.
    """
    check_output(path, fmt, mode)
    if fmt == "dir":
        return DirectoryOutput(path, mode, task, check)
    return RecordFile(path, CSV if fmt == "csv" else JSONL, mode, task, check)


class _Recorded:
    """What outputs share: the journal, what it holds per (id, target), the resume rules."""

    def __init__(
        self, path: Path, codec: Codec, mode: OutputMode, task: str, check: ResumeCheck | None
    ) -> None:
        self._codec = codec
        self._task = task
        self._check = check
        self._journal, recovered = open_journal(
            path,
            codec,
            task=task,
            retry_failed=mode.retry_failed,
            start_over=mode.force,
            vet=None if check is None else check.vet,
        )
        self.done = recovered.done
        self.records = recovered.records
        self.warnings = recovered.warnings
        self._replaced = 0

    def pending(self, document: Document, targets: Sequence[str]) -> tuple[str, ...]:
        """The targets of ``document`` with no record that still stands."""
        if self._check is None:
            return tuple(t for t in targets if (document.id, t) not in self.done)
        return self._check.pending(document, targets, self.records)

    def notes(self) -> list[str]:
        """What the user should know at the end of the job (redone pairs, absent inputs)."""
        return [] if self._check is None else self._check.notes(self.records)

    def _stamp(self, record: Record, document: Document) -> Record:
        if self._check is None:
            return record
        return self._check.stamper.stamp(record, document.text)

    def _append(self, record: Record, unit: bytes) -> None:
        self._journal.append(unit)
        self._replaced += record.key in self.done
        self.done[record.key] = record.status
        self.records[record.key] = replace(record, text=None)

    def close(self) -> None:
        """Drop the records this run superseded (redone pairs), then release the output."""
        try:
            if self._replaced:
                self._journal.compact(self._codec, self._task)
        finally:
            self._journal.close()


class RecordFile(_Recorded):
    """A JSONL or CSV file with one record per line (row)."""

    def __init__(
        self,
        path: Path,
        codec: Codec,
        mode: OutputMode,
        task: str,
        check: ResumeCheck | None = None,
    ) -> None:
        _make_parent(path.parent)
        self._encode = csv_row if codec is CSV else jsonl_line
        super().__init__(path, codec, mode, task, check)

    def write(self, record: Record, document: Document) -> None:
        record = self._stamp(record, document)
        self._append(record, self._encode(record))


class DirectoryOutput(_Recorded):
    """``OUT/<target>/<document path>`` per result, and ``OUT/manifest.jsonl`` of records.

    A result file is complete before its manifest line is written; a run that dies between
    the two redoes that document and replaces the file with the same content. The
    manifest's lock guards the whole folder: temporary result files of an interrupted run
    are removed only once it is held.
    """

    _journal: Journal

    def __init__(
        self, root: Path, mode: OutputMode, task: str, check: ResumeCheck | None = None
    ) -> None:
        _make_parent(root)
        self.root = root
        self._real_root = root.resolve()
        super().__init__(root / MANIFEST, JSONL, mode, task, check)
        if remove_temporaries(root, recursive=True):
            self.warnings += (f"{root}: removed temporary files left by an interrupted run",)

    def write(self, record: Record, document: Document) -> None:
        record = self._stamp(record, document)
        relative = None
        if record.ok:
            relative = f"{record.target_language}/{document.path}"
            write_atomically(self._inside(relative), (record.text or "") + "\n")
        self._append(record, jsonl_line(replace(record, text=None), output=relative))

    def _inside(self, relative: str) -> Path:
        """The file for ``relative``; refuses one that would resolve outside the output (a
        symlink inside it pointing elsewhere)."""
        target = self.root / relative
        if not target.resolve().is_relative_to(self._real_root):
            raise OutputError(f"refusing to write {target}: it leads outside {self.root}")
        return target


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it
    into place: ``path`` is either absent, its old content, or the whole new content.

    Raises:
        OutputError: the file cannot be written (full disk, permissions...).
    """
    temporary = temporary_path(path)
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


def _make_parent(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {folder}: {error.strerror or error}") from None
