"""Batch progress on a non-terminal: log lines that are current when printed."""

from __future__ import annotations

import io
import time

import pytest

from lingosum.batch import progress as progress_module
from lingosum.batch.runner import Progress


def test_log_lines_tick_while_a_chunk_runs_and_are_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module, "LOG_SECONDS", 0.2)
    out = io.StringIO()
    with progress_module.progress_hooks(quiet=False, stream=out) as hooks:
        hooks.progress(Progress(total=10, done=0, ok=0, failed=0, skipped=0, elapsed=0.0))
        hooks.progress(Progress(total=10, done=2, ok=2, failed=0, skipped=0, elapsed=1.0))
        time.sleep(0.7)  # a long chunk: no new progress, but the ticker keeps the log alive
        hooks.progress(Progress(total=10, done=10, ok=10, failed=0, skipped=0, elapsed=2.0))
    lines = [line for line in out.getvalue().splitlines() if line.startswith("lingosum batch")]
    assert len(lines) >= 3
    assert lines[-1].startswith("lingosum batch: 10/10 documents")
    assert len(set(lines[:-1])) == len(lines[:-1])  # elapsed time moves: no repeated stale line


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with progress_module.progress_hooks(quiet=True, stream=out) as hooks:
        hooks.progress(Progress(total=1, done=1, ok=1, failed=0, skipped=0, elapsed=0.1))
        hooks.warning("x")
    assert out.getvalue() == ""
