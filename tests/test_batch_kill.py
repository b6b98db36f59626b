"""A real ``lingosum batch`` process killed with SIGKILL, then interrupted with Ctrl-C
(SIGINT), then resumed to the end: every (document, target) pair is in the output once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model_factory import corpus_lines

DOCUMENTS = 100
TARGETS = ("az", "ru")
TIMEOUT = 120


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def interrupt_after(process: subprocess.Popen[bytes], output: Path, lines: int, sig: int) -> int:
    """Wait until ``output`` has ``lines`` more lines, send ``sig``, return the exit code."""
    target = count_lines(output) + lines
    deadline = time.monotonic() + TIMEOUT
    while count_lines(output) < target:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(
                f"batch ended (rc {process.returncode}) before it was interrupted: {stderr}"
            )
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("batch wrote nothing in time")
        time.sleep(0.005)
    os.kill(process.pid, sig)
    return process.wait(timeout=TIMEOUT)


def test_kill_then_ctrl_c_then_resume_records_each_pair_once(
    tmp_path: Path, models_toml: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    english = corpus_lines()[:250]
    for i in range(DOCUMENTS):
        text = f"{english[i]} {english[(i * 7 + 3) % 250]}"
        (docs / f"doc{i:03}.txt").write_text(text, encoding="utf-8")
    output = tmp_path / "out.jsonl"
    command = [
        sys.executable, "-m", "lingosum", "batch", str(docs), "--task", "translate",
        "--to", ",".join(TARGETS), "-o", str(output), "--models", str(models_toml),
        "--backend", "transformers", "--device", "cpu", "--jobs", "1", "--beams", "1",
        "--batch-size", "2",
    ]  # fmt: skip

    killed = interrupt_after(start(command), output, 4, signal.SIGKILL)
    assert killed == -signal.SIGKILL
    after_kill = count_lines(output)
    assert after_kill < DOCUMENTS * len(TARGETS)

    resumed = start([*command, "--resume"])
    assert interrupt_after(resumed, output, 4, signal.SIGINT) == 130
    assert b"rerun with --resume" in (resumed.stderr.read() if resumed.stderr else b"")
    after_interrupt = count_lines(output)
    assert after_kill < after_interrupt < DOCUMENTS * len(TARGETS)

    final = subprocess.run([*command, "--resume"], capture_output=True, timeout=TIMEOUT)
    assert final.returncode == 0, final.stderr.decode()
    text = output.read_text(encoding="utf-8")
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    pairs = [(r["id"], r["target_language"]) for r in records]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {(f"doc{i:03}.txt", t) for i in range(DOCUMENTS) for t in TARGETS}
    assert all(r["status"] == "ok" for r in records)
