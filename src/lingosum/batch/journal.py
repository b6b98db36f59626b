"""An append-only file of records that survives crashes.

Every record is appended as one complete unit (a JSONL line, a CSV row) with a single
``os.write`` to a file opened with ``O_APPEND``; a failed write is undone by truncating back
to the last complete unit, and the file is fsync'ed every few records. After a crash
(``kill -9``, power loss, full disk) the file can end in a partial unit and nothing worse:
:func:`open_journal` cuts it off before appending, so the file is always valid.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from lingosum.batch.records import Record
from lingosum.errors import OutputError

SYNC_EVERY = 32
SYNC_SECONDS = 2.0
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Codec:
    """How records are laid out in a journal: a header, and one unit per record.

    ``quoted``: a unit may contain newlines inside double quotes (CSV), so a newline ends
    a unit only where the count of ``"`` since the unit's start is even.
    """

    name: str
    header: bytes
    quoted: bool
    decode: Callable[[bytes], Record]
    check_header: Callable[[bytes], bool] = lambda unit: True


@dataclass(frozen=True)
class Recovered:
    """What an existing journal already holds."""

    done: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def iter_units(chunks: Iterable[bytes], quoted: bool) -> Iterator[bytes]:
    """Split a byte stream into complete newline-terminated units; an unterminated tail is
    not yielded. With ``quoted``, newlines inside a double-quoted field do not end a unit."""
    buffer = b""
    scanned = 0
    quotes = 0
    for chunk in chunks:
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", scanned)) >= 0:
            if quoted:
                quotes += buffer.count(b'"', scanned, end)
            scanned = end + 1
            if quotes % 2 == 0:
                yield buffer[start:scanned]
                start, quotes = scanned, 0
        if quoted:
            quotes += buffer.count(b'"', scanned)
        buffer = buffer[start:]
        scanned = len(buffer)


class Journal:
    """The open, locked journal; :meth:`append` writes one complete unit or nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as error:
            raise OutputError(f"cannot open {path}: {error.strerror or error}") from None
        _lock(self._fd, path)
        self._size = os.fstat(self._fd).st_size
        self._unsynced = 0
        self._synced_at = time.monotonic()

    @property
    def size(self) -> int:
        return self._size

    def append(self, data: bytes) -> None:
        """Append ``data`` whole; on any failure, cut the file back and raise.

        Raises:
            OutputError: the write failed (full disk, I/O error); the file is left valid.
        """
        start = self._size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except BaseException as error:
            self.truncate(start)
            if isinstance(error, OSError):
                raise OutputError(
                    f"cannot write {self.path}: {error.strerror or error}; "
                    "what was written is intact: fix the cause and rerun with --resume"
                ) from None
            raise
        self._size = start + len(data)
        self._unsynced += 1
        if self._unsynced >= SYNC_EVERY or time.monotonic() - self._synced_at > SYNC_SECONDS:
            self.sync()

    def truncate(self, size: int) -> None:
        try:
            os.ftruncate(self._fd, size)
        except OSError:
            return
        self._size = size

    def sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as error:
            raise OutputError(f"cannot write {self.path}: {error.strerror or error}") from None
        self._unsynced = 0
        self._synced_at = time.monotonic()

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            self.sync()
        finally:
            os.close(self._fd)
            self._fd = -1


def open_journal(
    path: Path, codec: Codec, *, task: str, retry_failed: bool = False, start_over: bool = False
) -> tuple[Journal, Recovered]:
    """Open (creating) a journal for appending, after making what it holds valid.

    A partial last unit is cut off. Units that repeat a record or (with ``retry_failed``)
    record a failure are removed by rewriting the file to a temporary name
    and renaming it over the original, so there is never a moment without a valid file.

    Raises:
        OutputError: the file holds something other than this task's records (it is left
            as it is), or cannot be written.
    """
    journal = Journal(path)
    if start_over:
        journal.truncate(0)
    try:
        kept, complete, dropped, failed = _survey(path, codec, task, retry_failed)
        notes = []
        if complete < journal.size:
            notes.append(f"{path}: removed a partial record left by an interrupted run")
        if dropped or (retry_failed and failed):
            journal.close()
            _rewrite(path, codec, task, retry_failed)
            journal = Journal(path)
            if dropped:
                notes.append(f"{path}: removed {dropped} repeated record(s)")
        elif complete < journal.size:
            journal.truncate(complete)
        if journal.size == 0 and codec.header:
            journal.append(codec.header)
    except BaseException:
        journal.close()
        raise
    return journal, Recovered(kept, tuple(notes))


def _survey(
    path: Path, codec: Codec, task: str, retry_failed: bool
) -> tuple[dict[tuple[str, str], str], int, int, int]:
    """(kept key -> status, bytes of complete units, units to drop, failures to retry)."""
    kept: dict[tuple[str, str], str] = {}
    complete = dropped = failed = 0
    for index, (unit, record) in enumerate(_units(path, codec, task)):
        complete += len(unit)
        if index == 0 and codec.header:
            continue
        if record is None:
            raise OutputError(
                f"{path}: {'row' if codec.quoted else 'line'} {index + 1} is not a lingosum "
                "batch record; remove it, or use --force to start the output over"
            )
        if record.key in kept:
            dropped += 1
        elif retry_failed and not record.ok:
            failed += 1
        else:
            kept[record.key] = record.status
    return kept, complete, dropped, failed


def _units(path: Path, codec: Codec, task: str) -> Iterator[tuple[bytes, Record | None]]:
    """Each complete unit, with its record (``None`` for the header and for garbage)."""
    with path.open("rb") as handle:
        units = iter_units(iter(partial(handle.read, CHUNK_BYTES), b""), codec.quoted)
        if codec.header:
            header = next(units, None)
            if header is None:
                return
            if not codec.check_header(header):
                raise OutputError(
                    f"{path} is not a lingosum batch {codec.name} output (its first line is "
                    "not the expected header); choose another output, or --force to replace it"
                )
            yield header, None
        for unit in units:
            yield unit, _decode(unit, codec, path, task)


def _decode(unit: bytes, codec: Codec, path: Path, task: str) -> Record | None:
    try:
        record = codec.decode(unit)
    except (ValueError, UnicodeDecodeError):
        return None
    if record.task != task:
        raise OutputError(
            f"{path} holds results of `{record.task}`, not `{task}`; "
            "use another output, or --force to start it over"
        )
    return record


def _rewrite(path: Path, codec: Codec, task: str, retry_failed: bool) -> None:
    """Write the units worth keeping to a temporary file and rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.lingosum-tmp")
    seen: set[tuple[str, str]] = set()
    try:
        with temporary.open("wb") as out:
            for index, (unit, record) in enumerate(_units(path, codec, task)):
                if index == 0 and codec.header:
                    out.write(unit)
                if record is None or record.key in seen or (retry_failed and not record.ok):
                    continue
                seen.add(record.key)
                out.write(unit)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot rewrite {path}: {error.strerror or error}") from None


def _lock(fd: int, path: Path) -> None:
    """Refuse a second writer: two jobs appending to one output would mix their records."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no advisory locks
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise OutputError(f"{path} is being written by another lingosum batch job") from None
