"""Every command, used wrongly, through the installed ``lingosum`` entry point: exit 2 (or 3
for a model problem), no traceback, one line that says what is wrong.

To add a row, append a :func:`case` to ``CASES``: arguments (``{article}``, ``{jsonl}``,
``{tmp}``, ``{bad_toml}`` are filled in), a piece of the expected message, and the status.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_helpers import (
    Case,
    Outcome,
    assert_clean_failure,
    case,
    isolated_env_vars,
    run_cases,
    run_lingosum,
)

ARTICLE = Path(__file__).parents[1] / "examples" / "article.txt"
T = ("translate", "{article}")
BJ = ("batch", "{jsonl}", "-o", "{tmp}/o.jsonl")
B = ("batch", "{jsonl}", "--task", "translate", "--to", "az", "-o", "{tmp}/out.jsonl")

CASES: list[Case] = [
    # the program itself
    case(expect="Commands", id="no arguments: help, exit 2 as click does"),
    case("frobnicate", expect="no such command 'frobnicate'"),
    case("summarise", expect="did you mean 'summarize'"),
    case("--frob", expect="no such option: --frob"),
    # detect
    case("detect", "--json", "--json", expect="--json was given 2 times"),
    case("detect", "-q", "--quiet", expect="--quiet/-q was given 2 times"),
    case("detect", "--to", "az", expect="no such option: --to"),
    case("detect", "a.txt", "b.txt", expect="unexpected extra argument"),
    case("detect", "{tmp}/missing.txt", expect="missing.txt"),
    case("detect", "{tmp}", expect="directory"),
    # translate
    case("translate", "{article}", expect="missing option '--to'"),
    case("translate", "--to", expect="'--to' requires an argument"),
    case(*T, "--to", "", expect="no target language given"),
    case(*T, "--to", ",", expect="no target language given"),
    case(*T, "--to", "xx", expect="unsupported target language 'xx'"),
    case(*T, "--to", "english", expect="did you mean 'en'"),
    case(*T, "--to", "xx", "--to", "az", expect="'xx'", id="--to repeated adds (xx kept)"),
    case(*T, "--to", "az", "--to=xx", expect="'xx'", id="--to= repeated adds"),
    case(*T, "--to", "az", "--from", "english", expect="did you mean 'en'"),
    case(*T, "--to", "az", "--from", "xx", expect="unknown source language 'xx'"),
    case(*T, "--to", "az", "--from", "", expect="unknown source language"),
    case(*T, "--to", "az", "--from", "en", "--from", "ru", expect="--from was given 2 times"),
    case(*T, "--to", "az", "--beams", "0", expect="--beams"),
    case(*T, "--to", "az", "--beams", "17", expect="--beams"),
    case(*T, "--to", "az", "--beams", "many", expect="--beams"),
    case(*T, "--to", "az", "--beams", "2", "--beams", "3", expect="--beams was given 2"),
    case(*T, "--to", "az", "--device", "tpu", expect="unknown device 'tpu'"),
    case(*T, "--to", "az", "--backend", "onnx", expect="unknown backend 'onnx'"),
    case(*T, "--to", "az", "--compute-type", "int3", expect="unknown compute type"),
    case(*T, "--to", "az", "--max-chars", "-1", expect="--max-chars"),
    case(*T, "--to", "az", "--max-chars", "10", expect="10"),
    case(*T, "--to", "az", "--models", "{tmp}/nope.toml", expect="models file not found"),
    case(*T, "--to", "az", "--models", "{bad_toml}", expect="bad.toml"),
    case(*T, "--to", "az", "--offline", "--offline", expect="--offline was given 2 times"),
    case(*T, "--to", "az", "-o", "a", "--output", "b", expect="--output/-o was given 2"),
    case(*T, "--to", "az", "--length", "short", expect="no such option: --length"),
    case(*T, "--to", "az", "--json", "--json", expect="--json was given 2 times"),
    case("translate", "--to", "az", "{tmp}/missing.txt", expect="missing.txt"),
    case("translate", "--to", "az", "-", expect="empty", id="translate empty stdin"),
    # summarize
    case("summarize", "{article}", "--to", expect="'--to' requires an argument"),
    case("summarize", "{article}", "--to", "xx", expect="unsupported target language"),
    case("summarize", "{article}", "--beams", "0", expect="--beams"),
    case("summarize", "{article}", "--from", "english", expect="did you mean 'en'"),
    case("summarize", "{article}", "--length", "huge", expect="huge"),
    case("summarize", "{article}", "--length", "short", "--length", "long", expect="given 2"),
    case("summarize", "{article}", "--frob", expect="no such option: --frob"),
    # batch
    case("batch", expect="missing"),
    case("batch", "{jsonl}", "--to", "az", "-o", "{tmp}/o.jsonl", expect="'--task'"),
    case("batch", "{jsonl}", "--task", "translate", "-o", "{tmp}/o.jsonl", expect="'--to'"),
    case("batch", "{jsonl}", "--task", "translate", "--to", "az", expect="'--output'"),
    case(*BJ, "--task", "paraphrase", "--to", "az", expect="paraphrase"),
    case(*BJ, "--task", "translate", "--to", "xx", expect="unsupported target language"),
    case(*B, "--resume", "--force", expect="pick one"),
    case(*B, "--retry-failed", "--force", expect="pick one"),
    case(*B, "--format", "xml", expect="xml"),
    case(*B, "--jobs", "-1", expect="--jobs"),
    case(*B, "--from", "english", expect="did you mean 'en'"),
    case(*B, "--task", "summarize", expect="--task was given 2 times"),
    case(*B, "--beams", "0", expect="--beams"),
    case(*B, "--device", "tpu", expect="unknown device"),
    # models
    case("models", expect="Commands", id="models alone: help, exit 2"),
    case("models", "frob", expect="no such command 'frob'"),
    case("models", "list", "--json", "--markdown", expect="--json and --markdown"),
    case("models", "list", "--json", "--json", expect="--json was given 2 times"),
    case("models", "download", "--offline", expect="needs the network"),
    case("models", "download", "--all", "--model", "x/y", expect="conflict"),
    case("models", "download", "--to", "az", "--model", "x/y", expect="conflicts"),
    case("models", "download", "--revision", "abc", expect="exactly one --model"),
    case("models", "download", "--to", "xx", expect="unsupported target language"),
    case("models", "download", "--task", "paraphrase", expect="unknown task"),
    case("models", "download", "--timeout", "0", expect="--timeout"),
    case("models", "download", "--force", "--force", expect="--force was given 2"),
    case("models", "path", expect="missing argument"),
    case("models", "path", "a", "b", expect="unexpected extra argument"),
    case("models", "path", "foo/bar", expect="models list", code=3),
    case("models", "remove", expect="missing argument"),
    case("models", "remove", "foo/bar", expect="foo/bar", code=3),
    # doctor
    case("doctor", "--timeout", "0", expect="--timeout"),
    case("doctor", "--timeout", "soon", expect="--timeout"),
    case("doctor", "now", expect="unexpected extra argument"),
    case("doctor", "--json", "--json", expect="--json was given 2 times"),
    # eval
    case("eval", expect="Commands", id="eval alone: help, exit 2"),
    case("eval", "translate", expect="--to"),
    case("eval", "translate", "--to", "az", "--beams", "0", expect="--beams"),
    case("eval", "translate", "--to", "az", "--limit", "0", expect="--limit"),
    case("eval", "summarize", expect="missing argument"),
    # serve (only rows that fail before a server would start)
    case("serve", "--port", "70000", expect="--port"),
    case("serve", "--port", "http", expect="--port"),
    case("serve", "--host", "a", "--host", "b", expect="--host was given 2 times"),
    case("serve", "--beams", "0", expect="--beams"),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Case, Outcome]]:
    """Every row run once, a few processes at a time (each is a fresh interpreter)."""
    tmp = tmp_path_factory.mktemp("usage")
    jsonl = tmp / "docs.jsonl"
    jsonl.write_text('{"id": "1", "text": "The ministers met in Baku."}\n', encoding="utf-8")
    bad_toml = tmp / "bad.toml"
    bad_toml.write_text("[translator\n", encoding="utf-8")
    paths = {"article": ARTICLE, "jsonl": jsonl, "tmp": tmp, "bad_toml": bad_toml}
    yield run_cases(CASES, isolated_env_vars(tmp), paths)


@pytest.mark.parametrize("row", CASES, ids=[row.name for row in CASES])
def test_wrong_invocation_is_one_line_and_a_usage_status(
    row: Case, outcomes: dict[Case, Outcome]
) -> None:
    assert_clean_failure(outcomes[row], row.expect, row.code)


def test_the_table_covers_every_command() -> None:
    from typer.main import get_command

    from lingosum.cli import app

    root = get_command(app)
    names = {
        f"{name} {sub}".strip()
        for name, command in root.commands.items()  # type: ignore[attr-defined]
        for sub in (getattr(command, "commands", None) or {"": None})
    }
    covered = {" ".join(row.args[:2]) for row in CASES} | {row.args[0] for row in CASES if row.args}
    assert names <= covered, f"commands without a row: {sorted(names - covered)}"


def test_every_command_is_strict() -> None:
    """The repeated-option rule holds for every command, present and future."""
    from typer.main import get_command

    from lingosum.cli import app
    from lingosum.cli_base import StrictCommand

    def walk(command: object) -> Iterator[object]:
        children = getattr(command, "commands", None)
        if children is None:
            yield command
        for child in (children or {}).values():
            yield from walk(child)

    loose = [c for c in walk(get_command(app)) if not isinstance(c, StrictCommand)]
    assert loose == [], f"not StrictCommand: {[getattr(c, 'name', c) for c in loose]}"


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run_lingosum(["--version"], env=isolated_env_vars(tmp_path))
    assert (result.code, result.stdout.strip()) == (0, f"lingosum {version('lingosum')}")


def test_show_completion_prints_a_bash_script(tmp_path: Path) -> None:
    result = run_lingosum(["--show-completion", "bash"], env=isolated_env_vars(tmp_path))
    assert result.code == 0, result.stderr
    assert "complete" in result.stdout and "_LINGOSUM_COMPLETE" in result.stdout


def test_completion_completes_commands_and_options(tmp_path: Path) -> None:
    env = isolated_env_vars(
        tmp_path, _LINGOSUM_COMPLETE="complete_bash", COMP_WORDS="lingosum tra", COMP_CWORD="1"
    )
    assert "translate" in run_lingosum([], env=env).stdout.split()
    env.update(COMP_WORDS="lingosum translate --bea", COMP_CWORD="2")
    assert "--beams" in run_lingosum([], env=env).stdout.split()


@pytest.mark.parametrize("command", ["translate", "summarize", "batch", "serve"])
def test_help_shows_the_default_of_every_valued_option(command: str, tmp_path: Path) -> None:
    """Each option that takes a value and has a default says it in --help."""
    result = run_lingosum([command, "--help"], env=isolated_env_vars(tmp_path, COLUMNS="300"))
    assert result.code == 0, result.stderr
    for option, default in (("--beams", "4"), ("--device", "auto"), ("--backend", "auto")):
        line = next(li for li in result.stdout.splitlines() if f" {option} " in li)
        assert f"[default: {default}]" in line, line
