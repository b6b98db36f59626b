"""Batch I/O without models: naming, inputs, record encodings, crash recovery of outputs,
and failure isolation. Everything here is pure or touches only tmp_path."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest

from lingosum.batch import journal as journal_module
from lingosum.batch.inputs import InputOptions, count_documents, find_origins, read_documents
from lingosum.batch.journal import iter_units
from lingosum.batch.naming import Namer, safe_relpath
from lingosum.batch.outputs import OutputMode, open_output, resolve_format, write_atomically
from lingosum.batch.records import (
    CSV_HEADER,
    Record,
    csv_row,
    jsonl_line,
    parse_csv_row,
    parse_jsonl_line,
)
from lingosum.batch.work import isolate
from lingosum.errors import ConfigError, InputError, OutputError

TRICKY = 'line one, with "quotes"\nline two\r\n\nпараграф ქართული'


def record(doc_id: str, target: str = "az", status: str = "ok", text: str = "x") -> Record:
    error = None if status == "ok" else "boom"
    return Record(doc_id, f"src/{doc_id}", "en", target, "translate", status, text, error, ("m",))


def document(doc_id: str) -> object:
    from lingosum.batch.inputs import Document

    return Document(doc_id, doc_id, doc_id + ".txt", "text")


# --- naming -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected_prefix"),
    [
        ("a.txt", "a.txt"),
        ("sub/dir/a.md", "sub/dir/a.md"),
        ("ქართული.txt", "ქართული.txt"),
        ("../../etc/passwd", "_/_/etc/passwd-"),
        ("/etc/passwd", "etc/passwd-"),
        ("C:\\Windows\\x.txt", "C_/Windows/x-"),
        ("./.hidden", "_hidden-"),
        ("a\x00b.txt", "a_b-"),
        ("", "_-"),
    ],
)
def test_safe_relpath_stays_inside(name: str, expected_prefix: str) -> None:
    path = safe_relpath(name)
    assert path.startswith(expected_prefix)
    parts = path.split("/")
    assert all(part and not part.startswith(".") and part != ".." for part in parts)
    assert not Path(path).is_absolute()


def test_safe_relpath_keeps_different_names_different() -> None:
    assert safe_relpath("a?b.txt") != safe_relpath("a*b.txt")


def test_namer_makes_ids_and_paths_unique() -> None:
    from lingosum.batch.inputs import Document

    namer = Namer()
    docs = [
        Document("x", "s", "x.txt"),
        Document("x", "s", "X.TXT"),
        Document("y", "s", "x.txt/inner.txt"),
    ]
    claimed = [namer.claim(doc) for doc in docs]
    assert [d.id for d in claimed] == ["x", "x~2", "y"]
    assert claimed[0].path == "x.txt"
    assert claimed[1].path.casefold() != "x.txt"
    assert not claimed[2].path.startswith("x.txt/")


# --- inputs -----------------------------------------------------------------------------


def test_folders_are_walked_in_order_with_globs_and_output_excluded(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "b").mkdir(parents=True)
    (root / "a.txt").write_text("alpha", encoding="utf-8")
    (root / "b" / "c.md").write_text("gamma", encoding="utf-8")
    (root / "skip.bin").write_text("nope", encoding="utf-8")
    (root / "out").mkdir()
    (root / "out" / "old.txt").write_text("result", encoding="utf-8")
    options = InputOptions(exclude=root / "out")
    origins = find_origins([str(root)], options)
    docs = list(read_documents(origins, options))
    assert [d.id for d in docs] == ["a.txt", "b/c.md"]
    assert [d.text for d in docs] == ["alpha", "gamma"]
    assert count_documents(origins, options) == 2


def test_jsonl_rows_ids_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    rows = [
        json.dumps({"id": 7, "body": "seven"}),
        "",
        json.dumps({"body": "no id"}),
        "{not json",
        json.dumps({"id": "e", "body": ""}),
        json.dumps({"id": "n", "body": 3}),
        json.dumps({"body": "no id"}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    options = InputOptions(text_field="body")
    origins = find_origins([str(path)], options)
    docs = list(read_documents(origins, options))
    assert count_documents(origins, options) == 6
    no_id = "data.jsonl#" + hashlib.sha256(b"no id").hexdigest()[:12]
    assert [d.id for d in docs][:2] == ["7", no_id]
    assert docs[2].id.startswith("data.jsonl#")
    assert [d.id for d in docs][3:] == ["e", "n", f"{no_id}~2"]
    assert [d.source.rsplit(":", 1)[1] for d in docs] == ["1", "3", "4", "5", "6", "7"]
    assert [d.text for d in docs[:2]] == ["seven", "no id"]
    assert "not valid JSON" in (docs[2].error or "")
    assert "empty" in (docs[3].error or "")
    assert "int, not text" in (docs[4].error or "")
    assert docs[5].text == "no id"


def test_duplicate_ids_are_refused_naming_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    rows = [{"id": 7, "text": "seven"}, {"id": 8, "text": "eight"}, {"id": "7", "text": "x"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    origins = find_origins([str(path)], InputOptions())
    with pytest.raises(InputError, match=r"id '7' appears twice, in .*line 1 and .*line 3"):
        count_documents(origins, InputOptions())


@pytest.mark.parametrize(("suffix", "delimiter"), [(".csv", ","), (".tsv", "\t")])
def test_csv_and_tsv_rows(tmp_path: Path, suffix: str, delimiter: str) -> None:
    import csv

    path = tmp_path / f"data{suffix}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerows([["id", "text"], ["a", TRICKY], ["", "second"]])
    origins = find_origins([str(path)], InputOptions())
    docs = list(read_documents(origins, InputOptions()))
    second = f"data{suffix}#" + hashlib.sha256(b"second").hexdigest()[:12]
    assert [d.id for d in docs] == ["a", second]
    assert docs[0].text == TRICKY.replace("\r\n", "\n")


def test_csv_without_text_column_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'text'.*--text-field"):
        count_documents(find_origins([str(path)], InputOptions()), InputOptions())


def test_unreadable_files_become_failed_documents(tmp_path: Path) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "big.txt").write_text("x" * 500, encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes(("é" * 20).encode("latin-1"))
    options = InputOptions(max_chars=100)
    docs = {d.id: d for d in read_documents(find_origins([str(tmp_path)], options), options)}
    assert "binary" in (docs["bin.txt"].error or "")
    assert "empty" in (docs["empty.txt"].error or "")
    assert "more than the limit" in (docs["big.txt"].error or "")
    assert "not UTF-8" in (docs["latin1.txt"].error or "")


def test_missing_input_and_nothing_found_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        find_origins([str(tmp_path / "nope")], InputOptions())
    with pytest.raises(InputError, match="no input documents"):
        find_origins([str(tmp_path)], InputOptions())
    (tmp_path / "sub").mkdir()
    out = tmp_path / "same.jsonl"
    out.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="is .inside. the output"):
        find_origins([str(out)], InputOptions(exclude=out))
    with pytest.raises(InputError, match="is .inside. the output"):
        find_origins([str(tmp_path / "sub")], InputOptions(exclude=tmp_path))


# --- records ----------------------------------------------------------------------------


def test_records_round_trip_through_jsonl_and_csv() -> None:
    original = record("a,b", text=TRICKY)
    assert parse_jsonl_line(jsonl_line(original)) == original
    row = csv_row(original)
    assert parse_csv_row(row) == original
    units = list(iter_units([CSV_HEADER + row + row], quoted=True))
    assert units == [CSV_HEADER, row, row]


@pytest.mark.parametrize("cut", [1, 7, 20, 41, 60])
def test_iter_units_never_yields_a_partial_csv_row(cut: int) -> None:
    row = csv_row(record("a", text=TRICKY))
    data = CSV_HEADER + row + row[:cut]
    chunks = [data[i : i + 5] for i in range(0, len(data), 5)]
    assert list(iter_units(chunks, quoted=True)) == [CSV_HEADER, row]


# --- outputs: existence, recovery, atomicity ------------------------------------------------


def test_format_from_name() -> None:
    assert resolve_format(Path("o.jsonl"), None) == "jsonl"
    assert resolve_format(Path("o.csv"), None) == "csv"
    assert resolve_format(Path("results"), None) == "dir"
    with pytest.raises(ConfigError, match="--format"):
        resolve_format(Path("o.json"), None)


def test_existing_output_needs_resume_or_force(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(jsonl_line(record("a")))
    with pytest.raises(OutputError, match="--resume"):
        open_output(out, "jsonl", OutputMode(), "translate")
    with pytest.raises(ConfigError, match="pick one"):
        open_output(out, "jsonl", OutputMode(resume=True, force=True), "translate")
    fresh = open_output(out, "jsonl", OutputMode(force=True), "translate")
    fresh.close()
    assert out.read_bytes() == b""


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_cuts_a_partial_last_record(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"o.{fmt}"
    first = open_output(out, fmt, OutputMode(), "translate")
    for name in ("a", "b", "c"):
        first.write(record(name, text=TRICKY), document(name))  # type: ignore[arg-type]
    first.close()
    data = out.read_bytes()
    out.write_bytes(data[: len(data) - 9])
    again = open_output(out, fmt, OutputMode(resume=True), "translate")
    assert set(again.done) == {("a", "az"), ("b", "az")}
    assert any("partial" in w for w in again.warnings)
    again.write(record("c"), document("c"))  # type: ignore[arg-type]
    again.close()
    reread = open_output(out, fmt, OutputMode(resume=True), "translate")
    assert set(reread.done) == {("a", "az"), ("b", "az"), ("c", "az")}
    assert reread.warnings == ()
    reread.close()


def test_resume_refuses_a_foreign_file_and_another_task(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text('{"hello": 1}\n', encoding="utf-8")
    with pytest.raises(OutputError, match="not a lingosum batch record"):
        open_output(foreign, "jsonl", OutputMode(resume=True), "translate")
    assert foreign.read_text(encoding="utf-8") == '{"hello": 1}\n'
    other = tmp_path / "o.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(OutputError, match="expected header"):
        open_output(other, "csv", OutputMode(resume=True), "translate")
    summaries = tmp_path / "s.jsonl"
    summaries.write_bytes(jsonl_line(record("a")).replace(b"translate", b"summarize"))
    with pytest.raises(OutputError, match="summarize"):
        open_output(summaries, "jsonl", OutputMode(resume=True), "translate")


def test_retry_failed_drops_failed_records_and_superseded_ones(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    lines = [record("a"), record("b", status="failed"), record("a", text="again")]
    out.write_bytes(b"".join(jsonl_line(r) for r in lines))
    resumed = open_output(out, "jsonl", OutputMode(resume=True), "translate")
    assert resumed.done == {("a", "az"): "ok", ("b", "az"): "failed"}
    resumed.close()
    # a later record of the same pair (a redone pair) supersedes the earlier one
    assert out.read_bytes() == jsonl_line(lines[1]) + jsonl_line(lines[2])
    retried = open_output(out, "jsonl", OutputMode(retry_failed=True), "translate")
    assert retried.done == {("a", "az"): "ok"}
    retried.close()
    assert out.read_bytes() == jsonl_line(lines[2])


def test_a_failed_write_leaves_a_valid_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o.jsonl"
    writer = open_output(out, "jsonl", OutputMode(), "translate")
    writer.write(record("a"), document("a"))  # type: ignore[arg-type]
    real_write = os.write

    def half_then_full_disk(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", half_then_full_disk)
    with pytest.raises(OutputError, match="No space left.*--resume"):
        writer.write(record("b"), document("b"))  # type: ignore[arg-type]
    monkeypatch.undo()
    writer.close()
    assert out.read_bytes() == jsonl_line(record("a"))


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    first = open_output(out, "jsonl", OutputMode(), "translate")
    with pytest.raises(OutputError, match="another lingosum batch"):
        open_output(out, "jsonl", OutputMode(resume=True), "translate")
    first.close()


def test_directory_output_writes_inside_and_cleans_temporaries(tmp_path: Path) -> None:
    from lingosum.batch.inputs import Document

    root = tmp_path / "out"
    writer = open_output(root, "dir", OutputMode(), "translate")
    doc = Document("../x", "s", safe_relpath("../x.txt"))
    writer.write(record("../x", text="result"), doc)
    writer.write(record("bad", status="failed"), Document("bad", "s", "bad.txt"))
    writer.close()
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [".manifest.jsonl.lingosum-lock", "az/" + doc.path, "manifest.jsonl"]
    assert (root / "az" / doc.path).read_text(encoding="utf-8") == "result\n"
    (root / "az" / ".left.txt.1.lingosum-tmp").write_text("half", encoding="utf-8")
    resumed = open_output(root, "dir", OutputMode(resume=True), "translate")
    assert resumed.done == {("../x", "az"): "ok", ("bad", "az"): "failed"}
    resumed.close()
    assert not list(root.rglob("*.lingosum-tmp"))


def test_write_atomically_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "f.txt"
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


# --- failure isolation ------------------------------------------------------------------


def test_isolate_fails_only_the_bad_items_in_few_calls() -> None:
    calls: list[int] = []

    def call(items: list[int]) -> list[str]:
        calls.append(len(items))
        if 13 in items:
            raise RuntimeError("bad input\nsecond line")
        return [f"ok{i}" for i in items]

    results = isolate(list(range(64)), call, lambda item, message: f"failed{item}: {message}")
    assert results[12] == "ok12" and results[14] == "ok14"
    assert results[13].startswith("failed13: model error on this document: RuntimeError: bad")
    assert len(calls) <= 2 * 7 + 1


def test_isolate_lets_fatal_errors_through() -> None:
    from lingosum.errors import ModelNotCachedError

    def call(items: list[int]) -> list[str]:
        raise ModelNotCachedError("not cached")

    with pytest.raises(ModelNotCachedError):
        isolate([1, 2, 3], call, lambda item, message: message)
