"""Batch jobs end to end with the tiny local models: every input and output format, routes
per document, shared model calls, per-document failures, fatal model errors, resume after
a crash mid-write, and the command's exit codes. Model output is noise; structure is not."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lingosum.backends.hf import TransformersBackend
from lingosum.batch import BatchOptions, OutputMode, run_batch
from lingosum.batch.outputs import MANIFEST
from lingosum.cli import app
from lingosum.engine import Engine
from lingosum.errors import ModelError
from lingosum.settings import Settings
from lingosum.summarize import SummarizeOptions
from lingosum.translate import TranslateOptions
from model_factory import corpus_lines

FAST = TranslateOptions(num_beams=1, max_new_tokens=8)
FAST_SUMMARY = SummarizeOptions(length="short", num_beams=1, translation=FAST)
CLI_FAST = ["--backend", "transformers", "--device", "cpu", "--beams", "1"]
LINES = corpus_lines()
ENGLISH = [line for line in LINES[:250]]
RUSSIAN = [line for line in LINES if any("\u0400" <= c <= "\u04ff" for c in line)]
GEORGIAN = [line for line in LINES if any("\u10a0" <= c <= "\u10ff" for c in line)]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def settings(models_toml: Path) -> Settings:
    return Settings(models_file=models_toml, backend="transformers", device="cpu")


def job(output: Path, targets: Sequence[str] = ("az", "ka"), **changes: Any) -> BatchOptions:
    fields: dict[str, Any] = {
        "task": "translate",
        "targets": tuple(targets),
        "output": output,
        "chunk_size": 8,
        "translate": FAST,
        "summarize": FAST_SUMMARY,
    }
    return BatchOptions(**{**fields, **changes})


def write_inputs(root: Path) -> list[str]:
    """A folder (.txt/.md, nested), a JSONL, a CSV and a TSV table: 10 documents."""
    folder = root / "news"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.txt").write_text(f"{ENGLISH[0]}\n\n{ENGLISH[1]}", encoding="utf-8")
    (folder / "2024" / "b.md").write_text(RUSSIAN[0], encoding="utf-8")
    (folder / "2024" / "c.txt").write_text(GEORGIAN[0], encoding="utf-8")
    (folder / "ignored.json").write_text("{}", encoding="utf-8")
    rows = [{"id": f"j{i}", "text": text} for i, text in enumerate(ENGLISH[2:5])]
    (root / "rows.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    for name, delimiter in (("rows.csv", ","), ("rows.tsv", "\t")):
        with (root / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(["id", "text"])
            writer.writerow([f"{name}-1", f"{RUSSIAN[1]}\n\n{RUSSIAN[2]}"])
            writer.writerow(["", ENGLISH[5]])
    return [str(folder), str(root / "rows.jsonl"), str(root / "rows.csv"), str(root / "rows.tsv")]


def read_records(output: Path) -> list[dict[str, Any]]:
    """Every record of a JSONL, CSV or directory output; fails on anything unparseable."""
    if output.is_dir():
        return read_records(output / MANIFEST)
    if output.suffix == ".csv":
        with output.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row["models"] = json.loads(row["models"])
        return rows
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def assert_exactly_once(records: list[dict[str, Any]], ids: set[str], targets: set[str]) -> None:
    pairs = [(r["id"], r["target_language"]) for r in records]
    assert len(pairs) == len(set(pairs)), "a (document, target) pair is recorded twice"
    assert set(pairs) == {(i, t) for i in ids for t in targets}


# A row without an id is named by its file and a hash of its text (see batch/inputs.py).
ROW_DIGEST = hashlib.sha256(ENGLISH[5].encode()).hexdigest()[:12]
EXPECTED_IDS = {
    "a.txt", "2024/b.md", "2024/c.txt", "j0", "j1", "j2",
    "rows.csv-1", f"rows.csv#{ROW_DIGEST}", "rows.tsv-1", f"rows.tsv#{ROW_DIGEST}",
}  # fmt: skip


@pytest.mark.parametrize("name", ["out.jsonl", "out.csv", "out"])
def test_every_input_and_output_format(tmp_path: Path, settings: Settings, name: str) -> None:
    inputs = write_inputs(tmp_path)
    output = tmp_path / name
    report = run_batch(inputs, job(output), settings=settings)
    assert (report.total, report.ok, report.failed, report.records) == (10, 10, 0, 20)
    records = read_records(output)
    assert_exactly_once(records, EXPECTED_IDS, {"az", "ka"})
    assert all(r["status"] == "ok" and r["task"] == "translate" for r in records)
    assert {r["source_language"] for r in records} == {"en", "ru", "ka"}
    if output.is_dir():
        results = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
        assert {"az/a.txt", "ka/2024/b.md", f"az/rows.csv#{ROW_DIGEST}.txt"} < results
        assert len(results) == 22  # 20 results, manifest.jsonl and its lock file
        assert (output / "az" / "a.txt").read_text(encoding="utf-8").count("\n\n") == 1
    else:
        by_id = {(r["id"], r["target_language"]): r for r in records}
        assert by_id[("a.txt", "az")]["text"].count("\n\n") == 1
        assert by_id[("rows.csv-1", "ka")]["source"].endswith("rows.csv:1")


def test_routes_are_chosen_per_document(tmp_path: Path, tiny_models: dict[str, Path]) -> None:
    """Each translator key gets its own copy of the model, so a record's models show its
    route."""
    links = {}
    for key in ("en-az", "ru-en", "ka-en"):
        links[key] = shutil.copytree(tiny_models["marian"], tmp_path / f"model-{key}")
    toml = tmp_path / "models.toml"
    toml.write_text(
        "[translator]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in links.items()), encoding="utf-8"
    )
    settings = Settings(models_file=toml, backend="transformers", device="cpu")
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in (("en.txt", ENGLISH[9]), ("ru.txt", RUSSIAN[3]), ("ka.txt", GEORGIAN[3])):
        (docs / name).write_text(text, encoding="utf-8")
    run_batch([str(docs)], job(tmp_path / "o.jsonl", ["az"]), settings=settings)
    models = {r["id"]: r["models"] for r in read_records(tmp_path / "o.jsonl")}
    assert models == {
        "en.txt": [str(links["en-az"])],
        "ru.txt": [str(links["ru-en"]), str(links["en-az"])],
        "ka.txt": [str(links["ka-en"]), str(links["en-az"])],
    }


def test_documents_share_model_loads_and_generate_calls(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(ENGLISH[:120]):
        (docs / f"{i:03}.txt").write_text(text, encoding="utf-8")
    options = job(tmp_path / "o.jsonl", ["az"], chunk_size=64)
    with Engine(settings) as engine:
        report = run_batch([str(docs)], options, engine=engine)
        (model,) = engine.loaded()  # one model, loaded once
    assert report.ok == 120
    # 120 one-sentence documents, 64 a chunk, 16 sentences a generate call: 4 + 4 calls.
    assert (model.backend.calls, model.backend.inputs) == (8, 120)


def test_summaries_into_several_languages(tmp_path: Path, settings: Settings) -> None:
    table = tmp_path / "t.jsonl"
    texts = [" ".join(ENGLISH[i : i + 4]) for i in range(0, 12, 4)] + [" ".join(RUSSIAN[:3])]
    table.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
        encoding="utf-8",
    )
    output = tmp_path / "s.jsonl"
    report = run_batch(
        [str(table)], job(output, ["en", "az", "ka"], task="summarize"), settings=settings
    )
    assert report.success and report.records == 12
    records = read_records(output)
    ids = {f"t.jsonl#{hashlib.sha256(t.encode()).hexdigest()[:12]}" for t in texts}
    assert_exactly_once(records, ids, {"en", "az", "ka"})
    russian = [r for r in records if r["source"].endswith(":4")]
    assert len(russian) == 3
    assert all(r["source_language"] == "ru" for r in russian)
    assert all(len(r["models"]) >= 2 for r in russian)


def poison(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the model crash on any batch holding the word POISON."""
    original = TransformersBackend._generate_batch

    def crashing(self: TransformersBackend, texts: Sequence[str], options: Any) -> Any:
        if any("POISON" in text for text in texts):
            raise RuntimeError("index out of range in self")
        return original(self, texts, options)

    monkeypatch.setattr(TransformersBackend, "_generate_batch", crashing)


def test_bad_documents_fail_alone_and_retry_failed_reruns_them(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(ENGLISH[:11]):
        (docs / f"{i:02}.txt").write_text(text, encoding="utf-8")
    (docs / "05.txt").write_text("POISON. " + ENGLISH[20], encoding="utf-8")
    (docs / "empty.txt").write_text("\n", encoding="utf-8")
    output = tmp_path / "o.jsonl"
    poison(monkeypatch)
    report = run_batch([str(docs)], job(output), settings=settings)
    assert (report.ok, report.failed, report.success) == (10, 2, False)
    failed = {r["id"]: r["error"] for r in read_records(output) if r["status"] == "failed"}
    assert set(failed) == {"05.txt", "empty.txt"}
    assert "model error on this document: RuntimeError" in failed["05.txt"]
    assert "empty" in failed["empty.txt"]

    again = run_batch([str(docs)], job(output, mode=OutputMode(resume=True)), settings=settings)
    assert (again.skipped, again.skipped_failed, again.records, again.success) == (12, 2, 0, False)

    monkeypatch.undo()
    mode = OutputMode(retry_failed=True)
    retried = run_batch([str(docs)], job(output, mode=mode), settings=settings)
    assert (retried.ok, retried.failed, retried.skipped) == (1, 1, 10)
    records = read_records(output)
    assert_exactly_once(records, {f"{i:02}.txt" for i in range(11)} | {"empty.txt"}, {"az", "ka"})
    assert [r["id"] for r in records if r["status"] == "failed"] == ["empty.txt"] * 2


def test_a_missing_model_stops_the_job_before_any_record(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text(f'[translator]\n"en-az" = "{tmp_path / "gone"}"\n', encoding="utf-8")
    settings = Settings(models_file=toml, backend="transformers", device="cpu")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(ENGLISH[0], encoding="utf-8")
    with pytest.raises(ModelError, match="not found"):
        run_batch([str(docs)], job(tmp_path / "o.jsonl", ["az"]), settings=settings)
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("name", ["o.jsonl", "o.csv", "o"])
def test_resume_after_a_crash_mid_write(tmp_path: Path, settings: Settings, name: str) -> None:
    inputs = write_inputs(tmp_path)
    output = tmp_path / name
    run_batch(inputs, job(output), settings=settings)
    journal = output / MANIFEST if output.is_dir() else output
    data = journal.read_bytes()
    # Cut inside the record of a two-paragraph document. In CSV, cut right after the first
    # newline inside its quoted text: the file then ends in a newline that ends no row.
    if name.endswith(".csv"):
        quote = data.index(b'"', data.index(b"\nrows.csv-1,"))
        cut = data.index(b"\n", quote) + 1
    else:
        cut = data.index(b'{"id": "rows.csv-1"') + 30
    journal.write_bytes(data[:cut])
    report = run_batch(inputs, job(output, mode=OutputMode(resume=True)), settings=settings)
    assert report.records >= 1 and report.failed == 0
    records = read_records(output)
    assert_exactly_once(records, EXPECTED_IDS, {"az", "ka"})
    assert all(r["status"] == "ok" for r in records)


# --- the command ------------------------------------------------------------------------


def invoke(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, ["batch", *args, *CLI_FAST], input=input)


def test_command_exit_codes_and_summary(tmp_path: Path, models_toml: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(ENGLISH[0], encoding="utf-8")
    out = tmp_path / "o.csv"
    common = ["--task", "translate", "--to", "az", "--models", str(models_toml)]
    ok = invoke(str(docs), *common, "-o", str(out))
    assert ok.exit_code == 0, ok.output
    assert "1 ok, 0 failed, 0 skipped of 1 documents" in ok.stderr
    assert "1/1 documents" in ok.stderr  # a plain log line: the runner is not a terminal

    exists = invoke(str(docs), *common, "-o", str(out))
    assert exists.exit_code == 2
    assert exists.stderr.startswith("lingosum: error:") and "--resume" in exists.stderr

    (docs / "empty.txt").write_text("", encoding="utf-8")
    some_failed = invoke(str(docs), *common, "-o", str(out), "--resume", "--quiet")
    assert some_failed.exit_code == 1
    assert some_failed.stderr == ""

    usage = invoke(str(docs), "--task", "frobnicate", "--to", "az", "-o", str(tmp_path / "x"))
    assert usage.exit_code == 2 and "unknown task" in usage.stderr

    bad_models = tmp_path / "bad.toml"
    bad_models.write_text(f'[translator]\n"en-az" = "{tmp_path / "gone"}"\n', encoding="utf-8")
    no_model = invoke(str(docs), "--task", "translate", "--to", "az", "--models", str(bad_models),
                      "-o", str(tmp_path / "y.jsonl"))  # fmt: skip
    assert no_model.exit_code == 3 and no_model.stderr.count("\n") == 1


def test_command_reads_stdin(tmp_path: Path, models_toml: Path) -> None:
    out = tmp_path / "o.jsonl"
    result = invoke("-", "--task", "translate", "--to", "ru", "--models", str(models_toml),
                    "-o", str(out), input=ENGLISH[3])  # fmt: skip
    assert result.exit_code == 0, result.output
    (record,) = read_records(out)
    assert (record["id"], record["source"], record["status"]) == ("<stdin>", "<stdin>", "ok")


def test_a_ctrl_c_wrapped_in_another_error_stops_the_job() -> None:
    from lingosum.batch.work import isolate

    def call(items: Sequence[int]) -> list[int]:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("profile format error") from interrupt

    with pytest.raises(KeyboardInterrupt):
        isolate([1, 2, 3], call, lambda item, message: -item)
