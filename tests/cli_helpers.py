"""Run the installed ``lingosum`` command in a subprocess, and check that a wrong invocation
ends the way every usage error must: its exit status, no traceback, one helpful line.

Other test modules add their own tables of :class:`Case` rows and call
:func:`run_cases` and :func:`assert_clean_failure` (or :func:`run_lingosum` for one call).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Case:
    """One wrong invocation and what it must print.

    ``args`` may hold ``{name}`` placeholders, filled from the ``paths`` given to
    :func:`run_cases` (e.g. ``{article}``, ``{models}``, ``{tmp}``). ``expect`` must occur in
    stderr (case-insensitive); ``code`` is the exit status.
    """

    args: tuple[str, ...]
    expect: str
    code: int = 2
    stdin: str = ""
    id: str = field(default="", compare=False)

    def render(self, paths: Mapping[str, object]) -> list[str]:
        text = {key: str(value) for key, value in paths.items()}
        return [arg.format(**text) for arg in self.args]

    @property
    def name(self) -> str:
        return self.id or " ".join(self.args)


def case(*args: str, expect: str, code: int = 2, stdin: str = "", id: str = "") -> Case:
    """A row of a usage table: ``case("translate", "--beams", "0", expect="--beams")``."""
    return Case(tuple(args), expect, code, stdin, id)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float


def lingosum_command() -> list[str]:
    """The console script installed next to this Python (the real entry point)."""
    script = Path(sys.executable).parent / "lingosum"
    if script.exists():
        return [str(script)]
    found = shutil.which("lingosum")
    if found is None:
        pytest.fail("the lingosum console script is not installed (pip install -e .)")
    return [found]


def isolated_env_vars(home: Path, **extra: str) -> dict[str, str]:
    """An environment away from the user's cache and the network (as conftest's fixture)."""
    env = {k: v for k, v in os.environ.items() if k not in {"LINGOSUM_MODELS", "HF_ENDPOINT"}}
    env.update(HF_HOME=str(home / "hf-home"), HF_HUB_OFFLINE="1", COLUMNS="100")
    env.update(extra)
    return env


def run_lingosum(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
    timeout: float = 60,
    cwd: Path | None = None,
) -> Outcome:
    """Run ``lingosum ARGS`` and return its exit status, output and wall time."""
    start = time.monotonic()
    done = subprocess.run(
        [*lingosum_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=dict(env) if env is not None else None,
        timeout=timeout,
        cwd=cwd,
    )
    return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def assert_clean_failure(outcome: Outcome, expect: str, code: int = 2) -> None:
    """Exit ``code``, no traceback, and one ``lingosum: error:`` line holding ``expect``
    (a bare group may print its help instead, as click does)."""
    shown = f"exit {outcome.code}\nstdout: {outcome.stdout}\nstderr: {outcome.stderr}"
    assert outcome.code == code, shown
    assert "Traceback" not in outcome.stdout + outcome.stderr, shown
    if outcome.stderr.startswith("lingosum: error:"):
        assert expect.lower() in outcome.stderr.lower(), shown
        assert outcome.stderr.count("\n") == 1, f"more than one line:\n{shown}"
    else:  # a bare group: its help (typer's rich help goes to stdout)
        help_text = outcome.stdout + outcome.stderr
        assert "Usage:" in help_text and expect.lower() in help_text.lower(), shown


def run_cases(
    cases: Sequence[Case], env: Mapping[str, str], paths: Mapping[str, object], workers: int = 4
) -> dict[Case, Outcome]:
    """Run every case (a few at a time: each is a fresh Python process)."""
    with ThreadPoolExecutor(workers) as pool:
        outcomes = pool.map(
            lambda row: run_lingosum(row.render(paths), env=env, stdin=row.stdin), cases
        )
        return dict(zip(cases, outcomes, strict=True))
