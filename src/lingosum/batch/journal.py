"""An append-only file of records that survives crashes, written by one job at a time.

Every record is appended as one complete unit (a JSONL line, a CSV row) with a single
``os.write`` to a file opened with ``O_APPEND``; a failed write is undone by truncating back
to the last complete unit, and the file is fsync'ed every few records. After a crash
(``kill -9``, power loss, full disk) the file can end in a partial unit and nothing worse:
:func:`open_journal` cuts it off before appending, so the file is always valid.

One job at a time: :class:`OutputLock` holds an exclusive lock on a separate, never replaced
file beside the journal (``.NAME.lingosum-lock``) from before anything is cleaned up or
rewritten until the job ends, so a second job on the same output is refused without touching
it. Rewrites (dropping superseded or failed records) go to a temporary file that is renamed
over the journal; one left by a killed run is removed by the next run, under the lock.

A key may be recorded more than once when a pair was redone (its input changed): the last
record wins, and the earlier ones are dropped by the next rewrite.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from lingosum.batch.records import Record
from lingosum.errors import OutputError

SYNC_EVERY = 32
SYNC_SECONDS = 2.0
CHUNK_BYTES = 1 << 20
TEMP_SUFFIX = ".lingosum-tmp"
LOCK_SUFFIX = ".lingosum-lock"

Key = tuple[str, str]
Vet = Callable[[Mapping[Key, Record]], None]


@dataclass(frozen=True)
class Codec:
    """How records are laid out in a journal: a header, and one unit per record.

    ``quoted``: a unit may contain newlines inside double quotes (CSV), so a newline ends
    a unit only where the count of ``"`` since the unit's start is even.
    ``check_header`` returns ``None`` for a good header, else why it is not one.
    """

    name: str
    header: bytes
    quoted: bool
    decode: Callable[[bytes], Record]
    check_header: Callable[[bytes], str | None] = lambda unit: None


@dataclass(frozen=True)
class Recovered:
    """What an existing journal already holds: each key's status, and its last record
    (without its text)."""

    done: dict[Key, str] = field(default_factory=dict)
    records: dict[Key, Record] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass
class _Survey:
    records: dict[Key, Record] = field(default_factory=dict)
    last: dict[Key, int] = field(default_factory=dict)
    complete: int = 0
    superseded: int = 0
    failed: int = 0

    def keep(self, retry_failed: bool) -> set[int]:
        return {
            index
            for key, index in self.last.items()
            if not (retry_failed and not self.records[key].ok)
        }


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


def lock_path(path: Path) -> Path:
    """The lock file of the journal (or output) ``path``."""
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


def temporary_path(path: Path) -> Path:
    """Where this process writes a new version of ``path`` before renaming it."""
    return path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")


class OutputLock:
    """An exclusive, non-blocking lock on an output, held on its own lock file.

    The lock file is never replaced or removed (removing it would let two jobs lock two
    different files of the same name), so rewriting the output keeps the lock. The kernel
    releases the lock when the process ends, however it ends.
    """

    def __init__(self, path: Path) -> None:
        self.path = lock_path(path)
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise OutputError(f"cannot create {self.path}: {error.strerror or error}") from None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no advisory locks
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(self._fd)
            os.close(self._fd)
            raise OutputError(
                f"{path} is being written by another lingosum batch job{holder}; "
                "wait for it to finish (nothing was changed)"
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _read_pid(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def remove_temporaries(folder: Path, prefix: str = ".", *, recursive: bool = False) -> int:
    """Remove temporary files an interrupted run left (they were never renamed into
    place). Call only while holding the output's lock: only its holder writes them.

    Returns:
        How many were removed.
    """
    removed = 0
    walk = os.walk(folder) if recursive else [(str(folder), [], _names(folder))]
    for where, _, names in walk:
        for name in names:
            if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
                try:
                    Path(where, name).unlink()
                except OSError:
                    continue
                removed += 1
    return removed


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


class Journal:
    """The open journal; :meth:`append` writes one complete unit or nothing.

    Owns ``lock`` (released by :meth:`close`).
    """

    def __init__(self, path: Path, lock: OutputLock) -> None:
        self.path = path
        self.lock = lock
        self._fd = -1
        self._open()

    def _open(self) -> None:
        try:
            self._fd = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644
            )
        except OSError as error:
            raise OutputError(f"cannot open {self.path}: {error.strerror or error}") from None
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

    def rewrite(self, codec: Codec, task: str, keep: set[int]) -> None:
        """Replace the file by its header and the units numbered in ``keep`` (still under
        the lock), then go on appending to the new file."""
        self.sync()
        os.close(self._fd)
        self._fd = -1
        _rewrite(self.path, codec, task, keep)
        self._open()

    def compact(self, codec: Codec, task: str) -> int:
        """Drop records a later record of the same key superseded.

        Returns:
            How many were dropped.
        """
        survey = _survey(self.path, codec, task)
        if survey.superseded:
            self.rewrite(codec, task, survey.keep(retry_failed=False))
        return survey.superseded

    def close(self) -> None:
        try:
            if self._fd >= 0:
                try:
                    self.sync()
                finally:
                    os.close(self._fd)
                    self._fd = -1
        finally:
            self.lock.release()


def open_journal(
    path: Path,
    codec: Codec,
    *,
    task: str,
    retry_failed: bool = False,
    start_over: bool = False,
    vet: Vet | None = None,
) -> tuple[Journal, Recovered]:
    """Lock, then open (creating) a journal for appending, after making what it holds valid.

    Under the lock: temporary files of interrupted rewrites are removed, a partial last
    unit is cut off, ``vet`` sees the last record of every key (and may refuse the output
    before anything else changes), and units superseded by a later record of the same key
    or (with ``retry_failed``) recording a failure are removed by rewriting the file to a
    temporary name and renaming it, so there is never a moment without a valid file.

    Raises:
        OutputError: another job holds the lock; the file holds something other than this
            task's records (it is left as it is); ``vet`` refused it; it cannot be written.
    """
    lock = OutputLock(path)
    try:
        journal = Journal(path, lock)
    except BaseException:
        lock.release()
        raise
    try:
        if start_over:
            journal.truncate(0)
        survey, notes = _repair(journal, codec, task, retry_failed, vet)
    except BaseException:
        journal.close()
        raise
    kept = {k: r for k, r in survey.records.items() if not (retry_failed and not r.ok)}
    done = {key: record.status for key, record in kept.items()}
    return journal, Recovered(done, kept, tuple(notes))


def _repair(
    journal: Journal, codec: Codec, task: str, retry_failed: bool, vet: Vet | None
) -> tuple[_Survey, list[str]]:
    """Under the journal's lock: make its file valid (see :func:`open_journal`); returns
    what it holds and what was repaired."""
    path = journal.path
    notes = []
    if remove_temporaries(path.parent, f".{path.name}."):
        notes.append(f"{path}: removed a temporary file left by an interrupted run")
    survey = _survey(path, codec, task)
    if survey.complete < journal.size:
        notes.append(f"{path}: removed a partial record left by an interrupted run")
    if vet is not None:
        vet(survey.records)
    if survey.superseded or (retry_failed and survey.failed):
        journal.rewrite(codec, task, survey.keep(retry_failed))
        if survey.superseded:
            notes.append(f"{path}: removed {survey.superseded} superseded record(s)")
    elif survey.complete < journal.size:
        journal.truncate(survey.complete)
    if journal.size == 0 and codec.header:
        journal.append(codec.header)
    return survey, notes


def _survey(path: Path, codec: Codec, task: str) -> _Survey:
    """The last record of each key (text dropped), where it is, and what is redundant."""
    survey = _Survey()
    for index, (unit, record) in enumerate(_units(path, codec, task)):
        survey.complete += len(unit)
        if index == 0 and codec.header:
            continue
        if record is None:
            raise OutputError(
                f"{path}: {'row' if codec.quoted else 'line'} {index + 1} is not a lingosum "
                "batch record; remove it, or use --force to start the output over"
            )
        if record.key in survey.last:
            survey.superseded += 1
            survey.failed -= not survey.records[record.key].ok
        survey.failed += not record.ok
        survey.last[record.key] = index
        survey.records[record.key] = replace(record, text=None)
    return survey


def _units(path: Path, codec: Codec, task: str) -> Iterator[tuple[bytes, Record | None]]:
    """Each complete unit, with its record (``None`` for the header and for garbage)."""
    with path.open("rb") as handle:
        units = iter_units(iter(partial(handle.read, CHUNK_BYTES), b""), codec.quoted)
        if codec.header:
            header = next(units, None)
            if header is None:
                return
            problem = codec.check_header(header)
            if problem is not None:
                raise OutputError(f"{path} {problem}")
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


def _rewrite(path: Path, codec: Codec, task: str, keep: set[int]) -> None:
    """Write the header and the units numbered in ``keep`` to a temporary file, flush it
    to disk, and rename it over ``path``."""
    temporary = temporary_path(path)
    try:
        with temporary.open("wb") as out:
            for index, (unit, _) in enumerate(_units(path, codec, task)):
                if (index == 0 and codec.header) or index in keep:
                    out.write(unit)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot rewrite {path}: {error.strerror or error}") from None
