"""One result of a batch job, and its JSONL and CSV encodings.

A record covers one (document, target language) pair; ``key`` is what ``--resume`` looks
up, and ``fingerprint`` (input text, options, models) is what it checks before trusting an
earlier result. Encoders return complete lines as bytes so that a writer can append each
with one call.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from lingosum.batch.fingerprint import Fingerprint

FIELDS = (
    "id",
    "source",
    "source_language",
    "target_language",
    "task",
    "status",
    "text",
    "error",
    "models",
    "fingerprint",
)
# The header of CSV outputs written before records had fingerprints (lingosum 1.0).
LEGACY_FIELDS = FIELDS[:-1]
STATUSES = ("ok", "failed")
CSV_TERMINATOR = "\r\n"
CSV_HEADER = (",".join(FIELDS) + CSV_TERMINATOR).encode("ascii")


@dataclass(frozen=True)
class Record:
    """What happened to one document in one target language.

    ``status`` is ``"ok"`` (``text`` holds the result) or ``"failed"`` (``error`` says why).
    ``models`` names every model used, as ``id@revision`` or a local path.
    ``fingerprint`` is ``None`` only in records written before fingerprints existed.
    """

    id: str
    source: str
    source_language: str | None
    target_language: str
    task: str
    status: str
    text: str | None = None
    error: str | None = None
    models: tuple[str, ...] = ()
    fingerprint: Fingerprint | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.target_language)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "source_language": self.source_language,
            "target_language": self.target_language,
            "task": self.task,
            "status": self.status,
            "text": self.text,
            "error": self.error,
            "models": list(self.models),
            "fingerprint": None if self.fingerprint is None else self.fingerprint.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Record:
        """Rebuild a record read back from an output file.

        Raises:
            ValueError: not an object with the record's fields.
        """
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        for name in ("id", "target_language", "task", "status"):
            if not isinstance(data.get(name), str):
                raise ValueError(f"field {name!r} is missing or not a string")
        if data["status"] not in STATUSES:
            raise ValueError(f"unknown status {data['status']!r}")
        models = data.get("models") or []
        if not isinstance(models, list):
            raise ValueError("field 'models' is not a list")
        stamp = data.get("fingerprint")
        return cls(
            id=data["id"],
            source=str(data.get("source") or ""),
            source_language=data.get("source_language") or None,
            target_language=data["target_language"],
            task=data["task"],
            status=data["status"],
            text=data.get("text"),
            error=data.get("error") or None,
            models=tuple(str(m) for m in models),
            fingerprint=None if stamp is None else Fingerprint.from_dict(stamp),
        )


def jsonl_line(record: Record, **extra: Any) -> bytes:
    """One JSON object and its newline; ``extra`` keys are appended after the fields."""
    line = json.dumps({**record.to_dict(), **extra}, ensure_ascii=False)
    return (line + "\n").encode("utf-8")


def parse_jsonl_line(line: bytes) -> Record:
    """Raises ValueError: not a record."""
    return Record.from_dict(json.loads(line))


def _csv_bytes(values: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=CSV_TERMINATOR).writerow(values)
    return buffer.getvalue().encode("utf-8")


def csv_row(record: Record) -> bytes:
    """One CSV row; fields with commas, quotes or newlines are quoted, so embedded newlines
    never end a row. ``models`` is a JSON list in one cell."""
    values = record.to_dict()
    for name in ("models", "fingerprint"):
        if values[name] is not None:
            values[name] = json.dumps(values[name], ensure_ascii=False)
    return _csv_bytes(["" if values[name] is None else str(values[name]) for name in FIELDS])


def parse_csv_cells(row: bytes) -> list[str]:
    """Raises ValueError: not exactly one CSV row."""
    rows = list(csv.reader(io.StringIO(row.decode("utf-8"), newline="")))
    if len(rows) != 1:
        raise ValueError(f"expected one CSV row, found {len(rows)}")
    return rows[0]


def parse_csv_row(row: bytes) -> Record:
    """Raises ValueError: not a record row."""
    cells = parse_csv_cells(row)
    if len(cells) != len(FIELDS):
        raise ValueError(f"expected {len(FIELDS)} columns, found {len(cells)}")
    data: dict[str, Any] = dict(zip(FIELDS, cells, strict=True))
    data["models"] = json.loads(data["models"]) if data["models"] else []
    data["fingerprint"] = json.loads(data["fingerprint"]) if data["fingerprint"] else None
    return Record.from_dict(data)
