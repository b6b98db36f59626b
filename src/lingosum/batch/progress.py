"""Showing a batch job's progress: a rich bar on a terminal, periodic log lines elsewhere."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TextIO

from lingosum.batch.runner import BatchReport, Hooks, Progress

LOG_SECONDS = 10.0


def _rate(progress: Progress) -> float:
    """Documents per second actually processed (skipped ones cost nothing)."""
    worked = progress.ok + progress.failed
    return worked / progress.elapsed if progress.elapsed > 0 else 0.0


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe_progress(progress: Progress) -> str:
    """``120/500 documents (118 ok, 2 failed, 0 skipped), 12.3 docs/s, ETA 0:31``."""
    rate = _rate(progress)
    remaining = progress.total - progress.done
    eta = _clock(remaining / rate) if rate > 0 else "?"
    return (
        f"{progress.done}/{progress.total} documents ({progress.ok} ok, {progress.failed} "
        f"failed, {progress.skipped} skipped), {rate:.1f} docs/s, ETA {eta}"
    )


def describe_report(report: BatchReport) -> str:
    """The summary line a job ends with."""
    worked = report.ok + report.failed
    rate = worked / report.seconds if report.seconds > 0 else 0.0
    line = (
        f"{report.ok} ok, {report.failed} failed, {report.skipped} skipped "
        f"of {report.total} documents in {report.seconds:.1f} s ({rate:.1f} docs/s); "
        f"{report.records} records written to {report.output}"
    )
    if report.skipped_failed:
        line += (
            f"; {report.skipped_failed} skipped document(s) failed in an earlier run "
            "(rerun with --retry-failed to try them again)"
        )
    return line


@contextmanager
def progress_hooks(quiet: bool, stream: TextIO | None = None) -> Iterator[Hooks]:
    """Hooks that show progress and warnings on ``stream`` (stderr): a live bar when it is a
    terminal, a log line every ``LOG_SECONDS`` otherwise, nothing when ``quiet``."""
    out = stream or sys.stderr
    if quiet:
        yield Hooks()
    elif out.isatty():
        with _bar(out) as hooks:
            yield hooks
    else:
        with _log_lines(out) as hooks:
            yield hooks


@contextmanager
def _log_lines(out: TextIO) -> Iterator[Hooks]:
    """A log line whenever a chunk finishes and at least ``LOG_SECONDS`` passed, and from a
    ticker thread while a long chunk runs; each line's time and rate are computed when it
    is printed, so it is never stale."""
    lock = threading.Lock()
    state: dict[str, Any] = {"progress": None, "at": 0.0, "printed": 0.0}
    stop = threading.Event()

    def emit(force: bool) -> None:
        with lock:
            progress, now = state["progress"], time.monotonic()
            if progress is None or not progress.done:
                return
            if not force and now - state["printed"] < LOG_SECONDS:
                return
            current = replace(progress, elapsed=progress.elapsed + now - state["at"])
            state["printed"] = now
            print(f"lingosum batch: {describe_progress(current)}", file=out, flush=True)

    def show(progress: Progress) -> None:
        with lock:
            state["progress"], state["at"] = progress, time.monotonic()
        emit(force=progress.done == progress.total)

    def tick() -> None:
        while not stop.wait(LOG_SECONDS):
            emit(force=False)

    def warn(message: str) -> None:
        print(f"lingosum: warning: {message}", file=out, flush=True)

    ticker = threading.Thread(target=tick, name="lingosum-progress", daemon=True)
    ticker.start()
    try:
        yield Hooks(show, warn)
    finally:
        stop.set()
        ticker.join(timeout=1)


@contextmanager
def _bar(out: TextIO) -> Iterator[Hooks]:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    console = Console(file=out)
    bar = Bar(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("docs · {task.fields[detail]}"),
        console=console,
    )
    task: list[Any] = []

    def show(progress: Progress) -> None:
        if not task:
            task.append(bar.add_task("batch", total=progress.total, detail=""))
        rate = _rate(progress)
        eta = _clock((progress.total - progress.done) / rate) if rate > 0 else "?"
        detail = f"{progress.failed} failed · {progress.skipped} skipped · {rate:.1f}/s · ETA {eta}"
        bar.update(task[0], completed=progress.done, detail=detail)

    with bar:
        yield Hooks(show, lambda message: console.print(f"[yellow]warning:[/] {escape(message)}"))
