"""The model work of a batch job: documents to records through the library's batch calls,
with failures isolated to the documents that cause them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from lingosum.batch.inputs import Document
from lingosum.batch.records import Record
from lingosum.errors import ConfigError, LingosumError, ModelError
from lingosum.registry import PIVOT
from lingosum.settings import ModelUse, Settings, load_model
from lingosum.summarize.engine import SummarizeOptions, summarize_batch
from lingosum.translate.engine import TranslateOptions, translate_batch

TASKS = ("translate", "summarize")
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
    settings: Settings
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
    before the first document instead of failing them all: the summarizer, and the
    English -> target models (every route but into English passes through them).

    Raises:
        ModelError, ConfigError, UnsupportedLanguageError: a model is missing or broken.
    """
    registry = job.settings.registry()
    specs = []
    if job.task == "translate":
        for target in job.targets:
            specs += registry.route(job.source or PIVOT, target)
    else:
        reader = job.source if job.source and registry.summarizer(job.source) else PIVOT
        summarizer = registry.summarizer(reader)
        if summarizer is None:
            raise ConfigError(f'no summarizer configured for {reader}; add [summarizer] "{reader}"')
        specs += [summarizer, *registry.route(job.source or reader, reader)]
        for target in job.targets:
            specs += registry.route(reader, target)
    for spec in dict.fromkeys(specs):
        load_model(spec, job.settings)


def process(items: Sequence[Item], job: Job) -> list[list[Record]]:
    """One record per pending target for each item, in the order of ``job.targets``.

    Raises:
        ModelError, ConfigError: an error that would fail every document.
    """
    if not items:
        return []
    if job.task == "summarize":
        return _summarize(items, job)
    return _translate(items, job)


def _translate(items: Sequence[Item], job: Job) -> list[list[Record]]:
    per_item: list[list[Record]] = [[] for _ in items]
    for target in job.targets:
        indices = [i for i, item in enumerate(items) if target in item.targets]
        if not indices:
            continue
        fail = partial(_fail_translation, job=job, target=target)
        call = partial(_translate_group, job=job, target=target)
        for i, record in zip(
            indices, isolate([items[i] for i in indices], call, fail), strict=True
        ):
            per_item[i].append(record)
    return per_item


def _translate_group(group: Sequence[Item], *, job: Job, target: str) -> list[Record]:
    results = translate_batch(
        [item.document.text or "" for item in group],
        target,
        sources=[item.language for item in group],
        options=job.translate,
        settings=job.settings,
    )
    for item, result in zip(group, results, strict=True):
        _warn(job, item, result.warnings)
    return [
        job.success(item, target, r.text, r.models) for item, r in zip(group, results, strict=True)
    ]


def _fail_translation(item: Item, message: str, *, job: Job, target: str) -> Record:
    return job.failure(item.document, item.language, target, message)


def _summarize(items: Sequence[Item], job: Job) -> list[list[Record]]:
    per_item: list[list[Record]] = [[] for _ in items]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(item.targets, []).append(i)
    for targets, indices in groups.items():
        fail = partial(_fail_summary, job=job, targets=targets)
        call = partial(_summarize_group, job=job, targets=targets)
        for i, records in zip(
            indices, isolate([items[i] for i in indices], call, fail), strict=True
        ):
            per_item[i] = records
    return per_item


def _summarize_group(
    group: Sequence[Item], *, job: Job, targets: tuple[str, ...]
) -> list[list[Record]]:
    results = summarize_batch(
        [item.document.text or "" for item in group],
        list(targets),
        sources=[item.language for item in group],
        options=job.summarize,
        settings=job.settings,
    )
    records = []
    for item, summaries in zip(group, results, strict=True):
        for summary in summaries:
            _warn(job, item, summary.warnings)
        records.append([job.success(item, s.target_language, s.text, s.models) for s in summaries])
    return records


def _fail_summary(item: Item, message: str, *, job: Job, targets: tuple[str, ...]) -> list[Record]:
    return [job.failure(item.document, item.language, t, message) for t in targets]


def _warn(job: Job, item: Item, warnings: Sequence[str]) -> None:
    for message in warnings:
        job.warn(f"{item.document.source}: {message}")


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
        if len(items) == 1:
            return [fail(items[0], describe(error))]
    middle = len(items) // 2
    return isolate(items[:middle], call, fail) + isolate(items[middle:], call, fail)


def describe(error: BaseException) -> str:
    """One line for a failed record: our errors as they are, others named as model errors."""
    if isinstance(error, LingosumError):
        return str(error)
    lines = str(error).strip().splitlines()
    detail = f": {lines[0]}" if lines else ""
    return f"model error on this document: {type(error).__name__}{detail}"
