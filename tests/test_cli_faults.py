"""Faults a user can meet: odd files, changed inputs on --resume, a second job on the same
output, leftovers of killed runs, endless streams, unwritable stdout. Each ends in one line
(or the documented recovery), never a traceback, a hang or a result attached to the wrong
text. Bad input goes through the installed command; the resume rules are also checked
in-process, where a run takes a second instead of a new interpreter loading torch."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import (
    assert_clean_failure,
    case,
    isolated_env_vars,
    lingosum_command,
    run_cases,
    run_lingosum,
)
from lingosum.batch import BatchOptions, OutputMode, run_batch
from lingosum.batch.fingerprint import ModelIdentities, model_identity, text_fingerprint
from lingosum.batch.journal import OutputLock
from lingosum.batch.outputs import open_output
from lingosum.batch.records import Record, jsonl_line
from lingosum.errors import InputError, OutputError
from lingosum.registry import ModelSpec
from lingosum.settings import Settings
from lingosum.summarize import SummarizeOptions
from lingosum.translate import TranslateOptions
from model_factory import corpus_lines

FAST = TranslateOptions(num_beams=1, max_new_tokens=4)
FAST_SUMMARY = SummarizeOptions(length="short", num_beams=1, translation=FAST)
ENGLISH = corpus_lines()[:40]
CLI_FAST = ["--backend", "transformers", "--device", "cpu", "--beams", "1"]
# A pickle that calls os.system("id"): torch's weights-only loader must refuse it.
PICKLED_CALL = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
COMMIT = "0123456789abcdef0123456789abcdef01234567"


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def settings(models_toml: Path) -> Settings:
    return Settings(models_file=models_toml, backend="transformers", device="cpu")


def job(output: Path, **changes: Any) -> BatchOptions:
    fields: dict[str, Any] = {
        "task": "translate",
        "targets": ("ru",),
        "output": output,
        "chunk_size": 8,
        "translate": FAST,
        "summarize": FAST_SUMMARY,
        "mode": OutputMode(resume=True),
    }
    return BatchOptions(**{**fields, **changes})


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def records(output: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def assert_each_row_has_its_own_record(output: Path, table: Path) -> None:
    """Every row of ``table`` has exactly one record, made from that row's text."""
    texts = [json.loads(line)["text"] for line in table.read_text(encoding="utf-8").splitlines()]
    found = {r["id"]: r for r in records(output)}
    assert len(found) == len(records(output)) == len(texts)
    for text in texts:
        row_id = f"{table.name}#{hashlib.sha256(text.encode()).hexdigest()[:12]}"
        assert found[row_id]["fingerprint"]["input"] == text_fingerprint(text)


# --- resume keyed on content ------------------------------------------------------------


def test_row_inserted_at_the_top_of_a_jsonl_without_ids(tmp_path: Path, settings: Settings) -> None:
    table, output = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    write_jsonl(table, [{"text": t} for t in ENGLISH[:4]])
    first = run_batch([str(table)], job(output), settings=settings)
    assert (first.ok, first.skipped) == (4, 0)
    write_jsonl(table, [{"text": t} for t in [ENGLISH[10], *ENGLISH[:4]]])
    second = run_batch([str(table)], job(output), settings=settings)
    assert (second.ok, second.skipped, second.records) == (1, 4, 1)
    assert_each_row_has_its_own_record(output, table)


def test_edited_text_is_redone_and_replaces_its_record(tmp_path: Path, settings: Settings) -> None:
    docs, output = tmp_path / "docs", tmp_path / "out.jsonl"
    docs.mkdir()
    for i in range(3):
        (docs / f"d{i}.txt").write_text(ENGLISH[i], encoding="utf-8")
    run_batch([str(docs)], job(output), settings=settings)
    (docs / "d1.txt").write_text(ENGLISH[20], encoding="utf-8")
    (docs / "d2.txt").unlink()
    warnings: list[str] = []
    from lingosum.batch import Hooks

    report = run_batch(
        [str(docs)], job(output), settings=settings, hooks=Hooks(warning=warnings.append)
    )
    assert (report.ok, report.skipped) == (1, 1)
    assert any("redid 1 (document, target) pair" in w for w in warnings), warnings
    assert any("1 document(s) not among this run's inputs (d2.txt)" in w for w in warnings)
    kept = {r["id"]: r for r in records(output)}
    assert sorted(kept) == ["d0.txt", "d1.txt", "d2.txt"]  # each pair once, d2 kept
    assert kept["d1.txt"]["fingerprint"]["input"] == text_fingerprint(ENGLISH[20])


def test_duplicate_ids_stop_the_job_before_any_output(tmp_path: Path) -> None:
    table = tmp_path / "rows.jsonl"
    write_jsonl(
        table, [{"id": "a", "text": "x y z"}, {"id": "b", "text": "q"}, {"id": "a", "text": "w"}]
    )
    outcome = run_lingosum(
        ["batch", str(table), "--task", "translate", "--to", "ru", "-o", str(tmp_path / "o.jsonl")],
        env=isolated_env_vars(tmp_path),
    )
    assert_clean_failure(outcome, "id 'a' appears twice")
    assert "line 1" in outcome.stderr and "line 3" in outcome.stderr
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("task", "change"),
    [
        ("translate", {"translate": TranslateOptions(num_beams=2, max_new_tokens=4)}),
        ("translate", {"source": "en"}),
        (
            "summarize",
            {"summarize": SummarizeOptions(length="long", num_beams=1, translation=FAST)},
        ),
    ],
    ids=["beams", "from", "length"],
)
def test_changed_settings_on_resume_are_refused_untouched(
    tmp_path: Path, settings: Settings, task: str, change: dict[str, Any]
) -> None:
    table, output = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    write_jsonl(table, [{"id": str(i), "text": t} for i, t in enumerate(ENGLISH[:2])])
    run_batch([str(table)], job(output, task=task, mode=OutputMode()), settings=settings)
    before = output.read_bytes()
    write_jsonl(table, [{"id": str(i), "text": t} for i, t in enumerate(ENGLISH[:3])])
    with pytest.raises(
        OutputError, match=r"2 record\(s\) \(target ru\) were made with other options"
    ):
        run_batch([str(table)], job(output, task=task, **change), settings=settings)
    assert output.read_bytes() == before


def test_another_model_on_resume_is_refused(
    tmp_path: Path, settings: Settings, tiny_models: dict[str, Path]
) -> None:
    table, output = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    write_jsonl(table, [{"id": "1", "text": ENGLISH[0]}])
    run_batch([str(table)], job(output), settings=settings)
    other = tmp_path / "other.toml"
    other.write_text(f'[translator]\n"en-ru" = "{tiny_models["marian_multi"]}"\n', "utf-8")
    changed = Settings(models_file=other, backend="transformers", device="cpu")
    with pytest.raises(OutputError, match="other models or model revisions"):
        run_batch([str(table)], job(output), settings=changed)


def test_a_branch_model_is_fingerprinted_by_its_resolved_commit() -> None:
    spec = ModelSpec("translator", "en-ru", "org/model", "main")
    snapshot = f"/cache/models--org--model/snapshots/{COMMIT}"
    assert model_identity(spec, snapshot) == f"org/model@{COMMIT}"
    assert model_identity(spec, None) == "org/model@main"
    other = "/cache/models--org--model/snapshots/" + "f" * 40
    identities = ModelIdentities(lambda s: snapshot)
    assert identities([spec]) != ModelIdentities(lambda s: other)([spec])


@pytest.mark.parametrize("fmt", ["out.jsonl", "out.csv"])
def test_output_written_before_fingerprints_is_refused(
    tmp_path: Path, settings: Settings, fmt: str
) -> None:
    table, output = tmp_path / "rows.jsonl", tmp_path / fmt
    write_jsonl(table, [{"id": "1", "text": ENGLISH[0]}])
    if fmt.endswith(".jsonl"):
        legacy = jsonl_line(Record("1", "s", "en", "ru", "translate", "ok", "x"))
        output.write_bytes(legacy.replace(b', "fingerprint": null', b""))
    else:
        header = "id,source,source_language,target_language,task,status,text,error,models\r\n"
        output.write_text(header + '1,s,en,ru,translate,ok,x,,"[]"\r\n', encoding="utf-8")
    before = output.read_bytes()
    with pytest.raises(OutputError, match="before lingosum records had fingerprints.*--force"):
        run_batch([str(table)], job(output), settings=settings)
    assert output.read_bytes() == before


# --- locks, leftovers of killed runs ------------------------------------------------------


def test_second_job_on_a_dir_output_never_disturbs_the_first(tmp_path: Path) -> None:
    from lingosum.batch.inputs import Document

    root = tmp_path / "out"
    first = open_output(root, "dir", OutputMode(resume=True), "translate")
    in_flight = root / "ru" / ".doc.txt.1.lingosum-tmp"  # the first job's temporary file
    in_flight.parent.mkdir(parents=True)
    in_flight.write_text("half", encoding="utf-8")
    with pytest.raises(OutputError, match=r"being written by another lingosum batch job \(process"):
        open_output(root, "dir", OutputMode(resume=True), "translate")
    assert in_flight.exists()  # refused before any cleanup
    record = Record("doc", "s", "en", "ru", "translate", "ok", "text")
    first.write(record, Document("doc", "s", "doc.txt"))
    first.close()
    assert (root / "ru" / "doc.txt").read_text(encoding="utf-8") == "text\n"
    again = open_output(root, "dir", OutputMode(resume=True), "translate")
    again.close()
    assert not in_flight.exists()  # the next job, holding the lock, cleaned it


def test_two_concurrent_resumes_on_a_dir_output_through_the_command(
    tmp_path: Path, models_toml: Path
) -> None:
    docs, output = tmp_path / "docs", tmp_path / "out"
    docs.mkdir()
    (docs / "a.txt").write_text(ENGLISH[0], encoding="utf-8")
    output.mkdir()
    (output / "manifest.jsonl").write_text("", encoding="utf-8")
    lock = OutputLock(output / "manifest.jsonl")  # as a running job holds it
    (output / ".x.txt.7.lingosum-tmp").write_text("another job's file", encoding="utf-8")
    try:
        args = ["batch", str(docs), "--task", "translate", "--to", "ru", "-o", str(output)]
        outcome = run_lingosum(
            [*args, "--resume", "--models", str(models_toml), *CLI_FAST],
            env=isolated_env_vars(tmp_path),
        )
        assert_clean_failure(outcome, "being written by another lingosum batch job")
        assert (output / ".x.txt.7.lingosum-tmp").exists()
    finally:
        lock.release()


def test_kill_during_retry_failed_rewrite_leftovers_are_removed(
    tmp_path: Path, settings: Settings
) -> None:
    """What ``kill -9`` during the rewrite leaves: the old output, whole, and the
    temporary file that was being written. The next run cleans it up."""
    table, output = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    write_jsonl(table, [{"id": "1", "text": ENGLISH[0]}, {"id": "2", "text": "\u00a0"}])
    first = run_batch([str(table)], job(output), settings=settings)
    assert (first.ok, first.failed) == (1, 1)
    leftover = tmp_path / ".out.jsonl.4242.lingosum-tmp"
    leftover.write_bytes(output.read_bytes()[:30])
    write_jsonl(table, [{"id": "1", "text": ENGLISH[0]}, {"id": "2", "text": ENGLISH[1]}])
    retried = run_batch(
        [str(table)], job(output, mode=OutputMode(retry_failed=True)), settings=settings
    )
    assert (retried.ok, retried.skipped) == (1, 1)
    assert not leftover.exists()
    assert sorted((r["id"], r["status"]) for r in records(output)) == [("1", "ok"), ("2", "ok")]


def test_stale_conversion_folders_are_removed_when_no_conversion_runs(tmp_path: Path) -> None:
    pytest.importorskip("ctranslate2")
    from lingosum.backends import convert

    target = tmp_path / "model-abc" / "int8"
    stale = tmp_path / "model-abc" / ".converting-int8-x1y2"
    (stale / "model").mkdir(parents=True)
    convert.clean_staging_if_idle(target)
    assert not stale.exists()


# --- odd inputs, through the command ------------------------------------------------------


@pytest.fixture
def odd_paths(tmp_path: Path, models_toml: Path) -> dict[str, object]:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    late_nul = tmp_path / "late-nul.txt"
    late_nul.write_bytes(b"Plain English text. " * 1000 + b"\x00 hidden")
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('[translator]\n"en-ru" = "caf\u00e9/x"\n'.encode("latin-1"))
    typed = tmp_path / "typed.toml"
    typed.write_text('[translator]\n"en-ru" = { model = "org/m", revision = 5 }\n', "utf-8")
    badid = tmp_path / "badid.toml"
    badid.write_text('[translator]\n"en-ru" = "bad..id"\n', "utf-8")
    nested = tmp_path / "nested.toml"
    nested.write_text('[translator]\n"en-ru" = "a/b/c"\n', "utf-8")
    article = tmp_path / "article.txt"
    article.write_text(ENGLISH[0], encoding="utf-8")
    (tmp_path / "dir.jsonl").mkdir()
    return {
        "tmp": tmp_path, "fifo": fifo, "late_nul": late_nul, "latin": latin, "typed": typed,
        "badid": badid, "nested": nested, "models": models_toml, "article": article,
    }  # fmt: skip


FAULTS = [
    case("translate", "/dev/zero", "--to", "ru", expect="is a character device", id="zero-tr"),
    case("summarize", "/dev/zero", expect="is a character device", id="zero-summarize"),
    case("detect", "/dev/zero", expect="is a character device", id="zero-detect"),
    case("detect", "{fifo}", expect="is a named pipe (FIFO)", id="fifo-detect"),
    case("batch", "/dev/zero", "--task", "translate", "--to", "ru", "-o", "{tmp}/o.jsonl",
         expect="is a character device", id="zero-batch"),
    case("batch", "{fifo}", "--task", "translate", "--to", "ru", "-o", "{tmp}/o.jsonl",
         expect="is a named pipe", id="fifo-batch"),
    case("detect", "-", expect="binary", stdin="\x00" * 10_000, id="nul-stdin"),
    case("detect", "{late_nul}", expect="NUL bytes", id="nul-after-8k"),
    case("translate", "{article}", "--to", "ru", "--models", "{latin}",
         expect="is not UTF-8 text", id="toml-not-utf8"),
    case("translate", "{article}", "--to", "ru", "--models", "{typed}",
         expect="revision must be a string", id="toml-wrong-type"),
    case("translate", "{article}", "--to", "ru", "--models", "{badid}",
         expect="valid Hugging Face model id", id="toml-bad-id"),
    case("translate", "{article}", "--to", "ru", "--models", "{nested}",
         expect="valid Hugging Face model id", id="toml-a/b/c"),
    case("translate", "{article}", "--to", "ru", "--max-chars", "-1", expect="--max-chars",
         id="negative-max-chars"),
    case("batch", "{article}", "--task", "translate", "--to", "ru", "-o", "{tmp}/dir.jsonl",
         expect="is a directory", id="output-is-a-directory"),
    case("batch", "{tmp}/gone", "--task", "translate", "--to", "ru", "-o", "{tmp}/o.jsonl",
         expect="input not found", id="input-folder-gone"),
]  # fmt: skip


# The id is checked before any download: the endpoint (closed port) is never reached.
DOWNLOAD_FAULTS = [
    case("models", "download", "--model", "bad..id", expect="valid Hugging Face model id",
         id="download-bad-id"),
    case("models", "download", "--model", "a/b/c", expect="valid Hugging Face model id",
         id="download-a/b/c"),
]  # fmt: skip


def test_odd_files_and_values_get_one_line(tmp_path: Path, odd_paths: dict[str, object]) -> None:
    outcomes = run_cases(FAULTS, isolated_env_vars(tmp_path), odd_paths)
    online = isolated_env_vars(tmp_path, HF_HUB_OFFLINE="0", HF_ENDPOINT="http://127.0.0.1:9")
    outcomes.update(run_cases(DOWNLOAD_FAULTS, online, odd_paths))
    for row, outcome in outcomes.items():
        assert outcome.seconds < 30, f"{row.name} took {outcome.seconds:.1f} s"
        assert_clean_failure(outcome, row.expect, row.code)


def test_batch_skips_a_fifo_clamps_jobs_and_reads_dev_zero_stdin_in_bounded_memory(
    tmp_path: Path, models_toml: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(ENGLISH[0], encoding="utf-8")
    os.mkfifo(docs / "b.txt")  # opening it would block the job forever
    output = tmp_path / "out.jsonl"
    command = [*lingosum_command(), "batch", "-", str(docs), "--task", "translate", "--to", "ru",
               "-o", str(output), "--models", str(models_toml), "--jobs", "100000",
               *CLI_FAST]  # fmt: skip
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            command, stdin=zero, capture_output=True, text=True, timeout=120,
            env=isolated_env_vars(tmp_path),
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    cpus = len(os.sched_getaffinity(0))
    assert f"--jobs 100000 is more than the {cpus} CPU(s)" in done.stderr
    found = {r["id"]: r for r in records(output)}
    assert found["a.txt"]["status"] == "ok"
    assert "named pipe (FIFO), not a regular file; skipped" in found["b.txt"]["error"]
    assert "binary" in found["<stdin>"]["error"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_weights_are_a_permission_problem(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_models["marian"], model)
    weights = next(
        p for p in model.iterdir() if p.name in ("model.safetensors", "pytorch_model.bin")
    )
    weights.chmod(0)
    toml = tmp_path / "m.toml"
    toml.write_text(f'[translator]\n"en-ru" = "{model}"\n', "utf-8")
    outcome = run_lingosum(
        ["translate", "-", "--to", "ru", "--models", str(toml), *CLI_FAST],
        env=isolated_env_vars(tmp_path),
        stdin=ENGLISH[0],
    )
    assert_clean_failure(outcome, "permission denied", 3)
    assert "truncated" not in outcome.stderr


@pytest.mark.parametrize(
    ("damage", "expect"),
    [
        ({"config.json": "[1, 2]"}, "config.json is not a JSON object"),
        ({"tokenizer.json": "junk{"}, "cannot load the model"),
        (
            {"pytorch_model.bin": PICKLED_CALL},
            "cannot load the model",
        ),
    ],
    ids=["config-list", "junk-tokenizer", "unpicklable-weights"],
)
def test_broken_model_files_get_one_line(
    tmp_path: Path, tiny_models: dict[str, Path], damage: dict[str, Any], expect: str
) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_models["bart"], model)
    for name, content in damage.items():
        if name == "pytorch_model.bin":
            (model / "model.safetensors").unlink(missing_ok=True)
        target = model / name
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    toml = tmp_path / "m.toml"
    toml.write_text(f'[summarizer]\n"en" = "{model}"\n', "utf-8")
    outcome = run_lingosum(
        ["summarize", "-", "--models", str(toml), *CLI_FAST, "-q"],
        env=isolated_env_vars(tmp_path),
        stdin=ENGLISH[0],
    )
    assert_clean_failure(outcome, expect, 3)


def test_stdout_that_cannot_be_written_or_encoded(tmp_path: Path, models_toml: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ENGLISH[0], encoding="utf-8")
    env = isolated_env_vars(tmp_path)
    with open("/dev/full", "w") as full:
        done = subprocess.run([*lingosum_command(), "detect", str(article)], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60, env=env)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert (
        done.stderr == "lingosum: error: cannot write to standard output: No space left on device\n"
    )
    outcome = run_lingosum(
        ["translate", str(article), "--to", "ka", "--models", str(models_toml), *CLI_FAST, "-q"],
        env={**env, "PYTHONIOENCODING": "ascii"},
    )
    assert outcome.code == 1 and "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.stderr.startswith("lingosum: error: standard output (ascii) cannot encode")
    assert outcome.stderr.count("\n") == 1


def test_ctrl_c_wrapped_by_langdetect_is_an_interruption(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException

    from lingosum.cli_base import run_app

    def loading_profiles(**_: Any) -> None:
        try:
            raise KeyboardInterrupt
        except BaseException:  # langdetect's own bare except, in DetectorFactory.load_profile
            raise LangDetectException(ErrorCode.FormatError, "Profile format error") from None

    assert run_app(loading_profiles) == 130
    assert capsys.readouterr().err == "lingosum: interrupted\n"


class Endless(io.RawIOBase):
    """A stream of letters that never ends (like ``yes``), counting what was read."""

    served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[:] = b"y" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_input_read_is_bounded_while_reading() -> None:
    from lingosum.textio import read_bounded

    endless = Endless()
    with pytest.raises(InputError, match="more than the limit of 1,000 characters"):
        read_bounded(io.BufferedReader(endless), "<stdin>", 1000)
    assert endless.served < 1 << 20  # stopped at the limit, not at a MemoryError
