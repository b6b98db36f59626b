"""A batch job: every document into every target language, each pair recorded once.

Documents are read lazily and taken in chunks. For each chunk the documents still to do
go through ``translate_batch`` / ``summarize_batch`` together, so every model loads once
per process and sentences of many documents share each ``generate`` call (the backend
sorts them by length). A chunk that fails is split in halves until the failing documents
are alone; they become failed records and the rest of the job goes on. Errors that would
fail every document (a model missing or broken, a bad models file) stop the job instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TypeVar

from lingosum.batch.inputs import (
    Document,
    InputOptions,
    count_documents,
    find_origins,
    read_documents,
)
from lingosum.batch.outputs import Output, OutputMode, check_output, open_output, resolve_format
from lingosum.batch.records import Record
from lingosum.batch.resume import ResumeCheck, Stamper
from lingosum.batch.work import Item, Job, preflight, process
from lingosum.engine import Engine
from lingosum.errors import ConfigError, InputError
from lingosum.registry import TASKS, check_target
from lingosum.settings import Settings
from lingosum.summarize.engine import LENGTHS, SummarizeOptions
from lingosum.translate.engine import TranslateOptions

T = TypeVar("T")


@dataclass(frozen=True)
class BatchOptions:
    """What a batch job does and where its results go.

    Attributes:
        task: ``"translate"`` or ``"summarize"``.
        targets: target language codes.
        output: a ``.jsonl`` or ``.csv`` file, or a directory.
        format: ``jsonl``, ``csv`` or ``dir``; ``None`` guesses from ``output``.
        source: the source language of every document; ``None`` detects each one.
        mode: what to do with an existing output (resume, force, retry failed).
        chunk_size: documents handed to the library at once.
        threads: CPU threads for inference, process-wide (``0`` leaves the default).
    """

    task: str
    targets: tuple[str, ...]
    output: Path
    format: str | None = None
    source: str | None = None
    mode: OutputMode = field(default_factory=OutputMode)
    chunk_size: int = 64
    threads: int = 0
    inputs: InputOptions = field(default_factory=InputOptions)
    summarize: SummarizeOptions = field(default_factory=SummarizeOptions)
    translate: TranslateOptions = field(default_factory=TranslateOptions)


@dataclass(frozen=True)
class Progress:
    """Documents handled so far (done = ok + failed + skipped)."""

    total: int
    done: int
    ok: int
    failed: int
    skipped: int
    elapsed: float


@dataclass(frozen=True)
class BatchReport:
    """How a job ended. ``skipped_failed`` counts skipped documents whose earlier records
    failed; ``records`` counts records written by this run."""

    total: int
    ok: int
    failed: int
    skipped: int
    skipped_failed: int
    records: int
    seconds: float
    output: Path

    @property
    def success(self) -> bool:
        """True when every document of the job has only ``ok`` records in the output."""
        return self.failed == 0 and self.skipped_failed == 0


def _ignore(_: object) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """Callbacks for a caller that shows progress and warnings."""

    progress: Callable[[Progress], None] = _ignore
    warning: Callable[[str], None] = _ignore


class Tally:
    """Running counts of a job."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.ok = self.failed = self.skipped = self.skipped_failed = self.records = 0
        self.started = time.monotonic()

    def count(self, ok: bool, records: int) -> None:
        self.records += records
        if ok:
            self.ok += 1
        else:
            self.failed += 1

    def progress(self) -> Progress:
        done = self.ok + self.failed + self.skipped
        return Progress(self.total, done, self.ok, self.failed, self.skipped, self._elapsed())

    def report(self, output: Path) -> BatchReport:
        return BatchReport(
            self.total,
            self.ok,
            self.failed,
            self.skipped,
            self.skipped_failed,
            self.records,
            self._elapsed(),
            output,
        )

    def _elapsed(self) -> float:
        return time.monotonic() - self.started


def run_batch(
    inputs: Sequence[str],
    options: BatchOptions,
    *,
    settings: Settings | None = None,
    hooks: Hooks | None = None,
    engine: Engine | None = None,
) -> BatchReport:
    """Run a batch job to the end, or until an error that would fail every document.

    Args:
        inputs: files, directories, table files (.jsonl/.csv/.tsv) or ``-`` for stdin.
        options: what to do and where to write.
        settings: where models come from and run (ignored when ``engine`` is given).
        hooks: progress and warning callbacks.
        engine: the engine holding the models; a new one, closed at the end, by default.

    Returns:
        The counts; documents that failed are in the output as failed records.

    Raises:
        InputError: an input is missing, or nothing to read was found.
        ConfigError, UnsupportedLanguageError: bad options or models file.
        OutputError: the output exists (without resume or force), or cannot be written.
        ModelError: a model the job needs cannot be loaded; nothing more was written.
    """
    hooks = hooks or Hooks()
    if engine is None:
        with Engine(settings, notify=hooks.warning) as own:
            return run_batch(inputs, options, hooks=hooks, engine=own)
    job = make_job(options, engine, hooks)
    fmt = resolve_format(options.output, options.format)
    check_output(options.output, fmt, options.mode)
    input_options = replace(options.inputs, exclude=options.output, offline=engine.settings.offline)
    origins = find_origins(inputs, input_options)
    tally = Tally(count_documents(origins, input_options))
    _use_threads(options.threads, hooks.warning)
    preflight(job)
    output = open_output(options.output, fmt, options.mode, job.task, resume_check(options, job))
    try:
        documents = read_documents(origins, input_options)
        _run_all(_chunks(documents, options.chunk_size), job, output, tally, hooks)
    finally:
        output.close()
    return tally.report(options.output)


def _run_all(
    chunks: Iterable[list[Document]], job: Job, output: Output, tally: Tally, hooks: Hooks
) -> None:
    for message in output.warnings:
        hooks.warning(message)
    hooks.progress(tally.progress())
    for chunk in chunks:
        _run_chunk(chunk, job, output, tally, hooks)
        hooks.progress(tally.progress())
    for message in output.notes():
        hooks.warning(message)


def make_job(options: BatchOptions, engine: Engine, hooks: Hooks) -> Job:
    if options.task not in TASKS:
        raise ConfigError(f"unknown task {options.task!r}; choose from {', '.join(TASKS)}")
    if options.chunk_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    if options.summarize.length not in LENGTHS:
        raise ConfigError(
            f"unknown length {options.summarize.length!r}; choose from {', '.join(LENGTHS)}"
        )
    if not options.targets:
        raise ConfigError("no target language given; use e.g. --to az,ka,ru")
    targets = tuple(dict.fromkeys(check_target(code, engine.registry) for code in options.targets))
    source = options.source.strip().lower() if options.source else None
    return Job(
        options.task,
        targets,
        source,
        engine,
        options.summarize,
        options.translate,
        hooks.warning,
    )


def resume_check(options: BatchOptions, job: Job) -> ResumeCheck:
    """The fingerprints of this job's records, and what ``--resume`` trusts (the same
    fingerprint functions serve any executor: see :mod:`lingosum.batch.fingerprint`)."""
    stamper = Stamper(
        job.task,
        source=job.source,
        translate=job.translate,
        summarize=job.summarize,
        max_chars=options.inputs.max_chars,
        plan=lambda language, target: job.engine.job_models(job.task, [target], language),
    )
    return ResumeCheck(stamper, options.output)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _run_chunk(
    chunk: Sequence[Document], job: Job, output: Output, tally: Tally, hooks: Hooks
) -> None:
    """Skip what is done, fail what cannot run, process the rest together, record all."""
    items: list[Item] = []
    for document in chunk:
        todo = pending_targets(document, job, output, tally, hooks)
        if todo is None:
            continue
        pending, earlier_failed = todo
        language, error = document_language(document, job)
        if error is not None or language is None:
            failed = [job.failure(document, language, t, error or "") for t in pending]
            _record(output, document, failed, tally, earlier_failed)
            continue
        items.append(Item(document, language, pending, earlier_failed))
    for item, records in zip(items, process(items, job), strict=True):
        _record(output, item.document, records, tally, item.earlier_failed)


def pending_targets(
    document: Document, job: Job, output: Output, tally: Tally, hooks: Hooks
) -> tuple[tuple[str, ...], bool] | None:
    """The targets of ``document`` still to do and whether an earlier run failed it, or
    ``None`` (counted as skipped) when nothing is left; shared by every executor."""
    pending = output.pending(document, job.targets)
    earlier_failed = any(output.done.get((document.id, t)) == "failed" for t in job.targets)
    if not pending:
        tally.skipped += 1
        tally.skipped_failed += earlier_failed
        return None
    for message in document.warnings:
        hooks.warning(message)
    return pending, earlier_failed


def _record(
    output: Output,
    document: Document,
    records: Sequence[Record],
    tally: Tally,
    earlier_failed: bool,
) -> None:
    for record in records:
        output.write(record, document)
    tally.count(all(r.ok for r in records) and not earlier_failed, len(records))


def document_language(document: Document, job: Job) -> tuple[str | None, str | None]:
    """(source language, None) or (None, why the document cannot be processed)."""
    if document.error is not None:
        return None, document.error
    try:
        return job.engine.source_language(document.text or "", job.source), None
    except InputError as error:
        return None, f"{document.source}: {error}"


def _use_threads(threads: int, warn: Callable[[str], None]) -> None:
    """Limit inference to ``threads`` CPUs: torch's intra-op pool, and the process's CPU
    affinity where the OS has one (CTranslate2 sizes its pool from it). More threads than
    the CPUs this process may use are cut down with a warning: thread pools cannot create
    thousands of threads (libgomp crashes the process)."""
    if threads <= 0:
        return
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if usable and threads > usable:
        warn(
            f"--jobs {threads} is more than the {usable} CPU(s) this process may use; "
            f"using {usable}"
        )
        threads = usable
    if hasattr(os, "sched_getaffinity") and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        if threads < len(cpus):
            os.sched_setaffinity(0, cpus[:threads])
    import torch

    torch.set_num_threads(threads)
