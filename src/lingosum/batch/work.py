"""The model work of a batch job: documents to records through the library's batch calls,
with failures isolated to the documents that cause them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from lingosum.batch.inputs import Document
from lingosum.batch.records import Record
from lingosum.engine import Engine
from lingosum.errors import ConfigError, LingosumError, ModelError
from lingosum.registry import TASKS
from lingosum.settings import ModelUse
from lingosum.summarize.engine import SummarizeOptions, Summary
from lingosum.translate.engine import TranslateOptions, Translation

__all__ = ["TASKS", "Item", "Job", "isolate", "preflight", "process"]

# Errors no document can escape: retrying documents one by one would only repeat them.
FATAL = (ModelError, ConfigError)

T = TypeVar("T")
R = TypeVar("R")


def _ignore(_: str) -> None:
    return None


@dataclass(frozen=True)
class Job:
    """The parts of a batch job the model work needs."""

    task: str
    targets: tuple[str, ...]
    source: str | None
    engine: Engine
    summarize: SummarizeOptions = field(default_factory=SummarizeOptions)
    translate: TranslateOptions = field(default_factory=TranslateOptions)
    warn: Callable[[str], None] = _ignore

    def failure(self, document: Document, language: str | None, target: str, error: str) -> Record:
        return Record(
            document.id, document.source, language, target, self.task, "failed", error=error
        )

    def success(self, item: Item, target: str, text: str, models: Sequence[ModelUse]) -> Record:
        names = (f"{use.model}@{use.revision}" if use.revision else use.model for use in models)
        document = item.document
        return Record(
            document.id,
            document.source,
            item.language,
            target,
            self.task,
            "ok",
            text,
            models=tuple(dict.fromkeys(names)),
        )


@dataclass(frozen=True)
class Item:
    """A readable document, its source language, and the targets still to do."""

    document: Document
    language: str
    targets: tuple[str, ...]
    earlier_failed: bool = False


def preflight(job: Job) -> None:
    """Load the models nearly every document needs, so that a missing one stops the job
    before the first document instead of failing them all.

    Raises:
        ModelError, ConfigError, UnsupportedLanguageError: a model is missing or broken.
    """
    job.engine.prepare(job.task, job.targets, job.source)


def process(items: Sequence[Item], job: Job) -> list[list[Record]]:
    """One record per pending target for each item, in the order of ``job.targets``.

    Items with the same pending targets go to the engine together, so detection, shared
    legs and the summary itself run once for all their targets.

    Raises:
        ModelError, ConfigError: an error that would fail every document.
    """
    per_item: list[list[Record]] = [[] for _ in items]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(item.targets, []).append(i)
    for targets, indices in groups.items():
        fail = partial(_fail, job=job, targets=targets)
        call = partial(_run_group, job=job, targets=targets)
        for i, records in zip(
            indices, isolate([items[i] for i in indices], call, fail), strict=True
        ):
            per_item[i] = records
    return per_item


def _run_group(group: Sequence[Item], *, job: Job, targets: tuple[str, ...]) -> list[list[Record]]:
    texts = [item.document.text or "" for item in group]
    sources: list[str | None] = [item.language for item in group]
    results: list[Sequence[Translation | Summary]] = []
    if job.task == "summarize":
        results += job.engine.summarize_many(texts, targets, sources=sources, options=job.summarize)
    else:
        results += job.engine.translate_many(texts, targets, sources=sources, options=job.translate)
    records = []
    for item, outputs in zip(group, results, strict=True):
        for output in outputs:
            for message in output.warnings:
                job.warn(f"{item.document.source}: {message}")
        records.append([job.success(item, o.target_language, o.text, o.models) for o in outputs])
    return records


def _fail(item: Item, message: str, *, job: Job, targets: tuple[str, ...]) -> list[Record]:
    return [job.failure(item.document, item.language, t, message) for t in targets]


def isolate(
    items: Sequence[T],
    call: Callable[[Sequence[T]], list[R]],
    fail: Callable[[T, str], R],
) -> list[R]:
    """``call(items)``; when it raises, split ``items`` in halves and retry each, down to
    single items, which then ``fail`` with the error's message. Results keep input order.

    k bad items among n cost about k * log2(n) extra calls, not n. Errors in ``FATAL``
    and non-``Exception`` errors (Ctrl-C) propagate at once.
    """
    if not items:
        return []
    try:
        return call(items)
    except FATAL:
        raise
    except Exception as error:  # noqa: BLE001 - any error of one document must not sink the rest
        if _interrupted(error):
            raise KeyboardInterrupt from error
        if len(items) == 1:
            return [fail(items[0], describe(error))]
    middle = len(items) // 2
    return isolate(items[:middle], call, fail) + isolate(items[middle:], call, fail)


def _interrupted(error: BaseException) -> bool:
    """True when a Ctrl-C hides inside another library's exception (its cause or context)."""
    seen: BaseException | None = error
    for _ in range(16):  # exception chains can be cyclic
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe(error: BaseException) -> str:
    """One line for a failed record: our errors as they are, others named as model errors."""
    if isinstance(error, LingosumError):
        return str(error)
    lines = str(error).strip().splitlines()
    detail = f": {lines[0]}" if lines else ""
    return f"model error on this document: {type(error).__name__}{detail}"
