"""The command line: output formats, several targets, and a one-line error (never a
traceback) with a non-zero exit for every kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lingosum.cli as cli
from lingosum.cli import app

ARTICLE = Path(__file__).parents[1] / "examples" / "article.txt"
SHORT = (
    "The ministers met in Baku.\n\nThey discussed the railway. Trade grew last year.\n\n"
    "They will meet again in autumn."
)
FAST = ["--backend", "transformers", "--device", "cpu", "--beams", "1"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


def test_detect_sample_article(runner: CliRunner) -> None:
    result = invoke(runner, "detect", str(ARTICLE))
    assert result.exit_code == 0
    assert result.stdout.split()[0] == "en"


def test_detect_json_from_stdin(runner: CliRunner) -> None:
    result = invoke(
        runner, "detect", "--json", input="Министры иностранных дел встретились в Баку."
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["language"] == "ru"


def test_detect_without_letters_says_und(runner: CliRunner) -> None:
    result = invoke(runner, "detect", "-", input="12345 !!!")
    assert result.exit_code == 1
    assert result.stdout.startswith("und")


def test_summarize_json_to_georgian(runner: CliRunner, models_toml: Path) -> None:
    result = invoke(
        runner,
        "summarize",
        str(ARTICLE),
        "--to",
        "ka",
        "--json",
        "--length",
        "short",
        "--models",
        str(models_toml),
        *FAST,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source_language"] == "en"
    assert data["target_language"] == "ka"
    assert data["text"]
    assert [m["role"] for m in data["models"]] == ["summarizer en", "translator en-ka"]
    assert data["models"][1]["target_token"] == ">>kat<<"


def test_translate_several_targets_to_file(
    runner: CliRunner, models_toml: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    source = tmp_path / "short.txt"
    source.write_text(SHORT, encoding="utf-8")
    result = invoke(
        runner,
        "translate",
        str(source),
        "--to",
        "az,ka,ru",
        "--json",
        "-o",
        str(out),
        "--models",
        str(models_toml),
        *FAST,
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["target_language"] for r in records] == ["az", "ka", "ru"]
    assert all(r["text"].count("\n\n") == 2 for r in records)


def test_models_env_variable(
    runner: CliRunner, models_toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINGOSUM_MODELS", str(models_toml))
    result = invoke(
        runner, "translate", "--to", "ru", "--from", "en", *FAST, input="Hello there. How are you?"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_utf16_file_with_bom(runner: CliRunner, models_toml: Path, tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("The ministers met in Baku on Tuesday.".encode("utf-16"))
    result = invoke(
        runner, "translate", str(path), "--to", "ru", "--models", str(models_toml), *FAST
    )
    assert result.exit_code == 0, result.output


def test_invalid_utf8_is_repaired_with_a_warning(
    runner: CliRunner, models_toml: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(SHORT.encode() + b"\xff\xfe.")
    result = invoke(
        runner, "translate", str(path), "--to", "ru", "--models", str(models_toml), *FAST
    )
    assert result.exit_code == 0, result.output
    assert "undecodable" in result.stderr


def test_quiet_silences_warnings(runner: CliRunner, models_toml: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(SHORT.encode() + b"\xff.")
    result = invoke(
        runner, "translate", str(path), "--to", "ru", "--quiet", "--models", str(models_toml), *FAST
    )
    assert result.exit_code == 0
    assert result.stderr == ""


def test_long_unpunctuated_sentence(runner: CliRunner, models_toml: Path, tmp_path: Path) -> None:
    # The 50,000-character case is in test_translate.py with a short decode; random tiny
    # models never stop early, so here a shorter run-on sentence proves the wiring.
    path = tmp_path / "long.txt"
    path.write_text("lorem ipsum dolor " * 40, encoding="utf-8")
    result = invoke(
        runner,
        "translate",
        str(path),
        "--to",
        "ru",
        "--from",
        "en",
        "--models",
        str(models_toml),
        *FAST,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "message", "code"),
    [
        (lambda p: ["translate", write(p, "e.txt", b""), "--to", "ru"], "is empty", 2),
        (lambda p: ["summarize", write(p, "w.txt", b"  \n\t\n")], "is empty", 2),
        (
            lambda p: ["translate", write(p, "b.bin", bytes(range(256)) * 4), "--to", "ru"],
            "binary",
            2,
        ),
        (
            lambda p: ["translate", write(p, "l1.txt", "çàé".encode("latin-1") * 50), "--to", "ru"],
            "not UTF-8",
            2,
        ),
        (lambda p: ["translate", str(p / "missing.txt"), "--to", "ru"], "file not found", 2),
        (lambda p: ["summarize", str(p)], "is a directory", 2),
        (
            lambda p: ["translate", str(ARTICLE), "--to", "xx"],
            "unsupported target language 'xx'",
            2,
        ),
        (
            lambda p: ["summarize", str(ARTICLE), "--to", "ru,de"],
            "unsupported target language 'de'",
            2,
        ),
        (
            lambda p: ["translate", write(p, "big.txt", b"word " * 4_200_000), "--to", "ru"],
            "--max-chars",
            2,
        ),
        (
            lambda p: ["summarize", str(ARTICLE), "--models", str(p / "none.toml")],
            "models file not found",
            2,
        ),
        (lambda p: ["summarize", str(ARTICLE), "--device", "tpu"], "unknown device", 2),
    ],
)
def test_bad_input_gives_one_line_and_exit_code(
    runner: CliRunner, tmp_path: Path, make_args, message: str, code: int
) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, *make_args(tmp_path))
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            '"en" = "no-such-org/no-such-model"',
            "no-such-org/no-such-model is not in the local cache",
        ),
        ('"en" = "./no/such/dir"', "model directory not found"),
    ],
)
def test_missing_model_is_one_clear_line(
    runner: CliRunner, tmp_path: Path, entry: str, message: str
) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text(f"[summarizer]\n{entry}\n", encoding="utf-8")
    result = invoke(runner, "summarize", str(ARTICLE), "--models", str(toml), "--offline")
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_twenty_megabytes_are_read_and_detected(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "20mb.txt"
    path.write_bytes(ARTICLE.read_bytes() * (20_000_000 // len(ARTICLE.read_bytes())))
    result = invoke(runner, "detect", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith("en")


def test_ctrl_c_exits_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("lingosum.detect.detect_language", interrupted)
    monkeypatch.setattr(sys, "argv", ["lingosum", "detect", str(ARTICLE)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 130
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--help"], ["detect", str(ARTICLE)], ["translate", "--help"]])
def test_help_and_detect_do_not_import_torch(args: list[str]) -> None:
    code = (
        "import sys\nfrom lingosum.cli import main\nsys.argv = ['lingosum', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert done.stderr.endswith("[]"), done.stderr


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lingosum", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "summarize" in done.stdout
