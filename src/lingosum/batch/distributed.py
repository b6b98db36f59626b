"""``lingosum batch --executor ray``: the same job as :func:`~lingosum.batch.run_batch`,
its model work spread over the actors of a Ray cluster.

The driver (this process) does everything but the model work, with the local executor's own
functions: it reads the inputs, opens and locks the output, asks the output which
(document, target) pairs are still to do (the same fingerprints and resume rules), and groups
the pending documents into shards of ``--batch-size`` documents named by a hash of their
ids before Ray runs. Each shard, text included, becomes one row of a Ray dataset, so workers
need no access to the inputs. ``map_batches`` hands the rows to ``--workers`` actors of
:class:`~lingosum.batch.ray_worker.ShardWorker`, each holding one engine (models load once
per actor, on ``--gpus-per-worker`` GPUs if asked). The driver consumes results as they
arrive and appends them to the output through the same journal as the local executor, so
exactly-once, locks and crash safety are the local ones. Ray retries a shard whose actor
died; a shard's records that already reached the output are never written twice: the
driver writes a document's records once, then forgets the document.

Ray writes no files of its own, so its block indices (which change between runs) never name
anything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lingosum import errors
from lingosum.batch.inputs import Document, count_documents, find_origins, read_documents
from lingosum.batch.outputs import Output, check_output, open_output, resolve_format
from lingosum.batch.ray_pipeline import RayOptions, checked, connected, fitted, import_ray, results
from lingosum.batch.ray_worker import WorkerPlan, encode_shard, shard_name
from lingosum.batch.records import Record
from lingosum.batch.runner import (
    BatchOptions,
    BatchReport,
    Hooks,
    Tally,
    make_job,
    pending_targets,
    resume_check,
)
from lingosum.batch.work import Job
from lingosum.engine import Engine
from lingosum.errors import ClusterError, LingosumError
from lingosum.settings import Settings

# Shards per worker at least, when there are enough documents: keeps every worker busy to
# the end of the job.
SHARDS_PER_WORKER = 4

__all__ = [
    "RayOptions",
    "RayReport",
    "ShardDone",
    "WorkerStats",
    "describe_workers",
    "import_ray",
    "run_ray_batch",
]


@dataclass(frozen=True)
class ShardDone:
    """One shard's results reached the driver: which worker (``host:pid``) did it, how
    many documents it held, and the seconds the worker spent on it."""

    shard: str
    worker: str
    documents: int
    seconds: float


@dataclass(frozen=True)
class WorkerStats:
    """What one worker did in this run; ``seconds`` is time spent on shards."""

    worker: str
    shards: int
    documents: int
    seconds: float

    @property
    def rate(self) -> float:
        """Documents per second of work."""
        return self.documents / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class RayReport:
    """How the job ended, and each worker's share."""

    batch: BatchReport
    workers: tuple[WorkerStats, ...]


@dataclass
class _Ticket:
    """A document sent to the workers, kept until its records are written."""

    document: Document
    targets: tuple[str, ...]
    earlier_failed: bool


def run_ray_batch(
    inputs: Sequence[str],
    options: BatchOptions,
    cluster: RayOptions | None = None,
    *,
    settings: Settings | None = None,
    hooks: Hooks | None = None,
    on_shard: Callable[[ShardDone], None] | None = None,
) -> RayReport:
    """Run a batch job on a Ray cluster: same inputs, options, output and guarantees as
    :func:`~lingosum.batch.run_batch`.

    Args:
        inputs, options, settings, hooks: as for ``run_batch`` (threads are per worker).
        cluster: where and how wide (default: one worker on a local cluster).
        on_shard: called in the driver as each shard's results are written.

    Returns:
        The counts, and what each worker did.

    Raises:
        ConfigError: no Ray, bad cluster options, or no cluster; and as ``run_batch``.
        ClusterError: a shard's worker died too often; records so far are kept.
    """
    ray = import_ray()
    cluster = checked(cluster or RayOptions())
    hooks = hooks or Hooks()
    settings = _portable(settings or Settings())
    with Engine(settings, notify=hooks.warning) as planner:
        job = make_job(options, planner, hooks)
        output, documents, tally = _open(inputs, options, job)
        stats: dict[str, WorkerStats] = {}
        try:
            for message in output.warnings:
                hooks.warning(message)
            tickets, shards = _plan(
                documents, output, job, options.chunk_size, tally, hooks, cluster.workers
            )
            hooks.progress(tally.progress())
            if shards:
                plan = _worker_plan(job, options)
                with connected(ray, cluster):
                    cluster = fitted(ray, cluster, plan.threads, hooks.warning)
                    rows = results(ray, shards, settings, plan, cluster)
                    for done in _consume(rows, tickets, output, tally, hooks):
                        _add(stats, done)
                        (on_shard or _ignore)(done)
            for message in output.notes():
                hooks.warning(message)
        finally:
            output.close()
    return RayReport(tally.report(options.output), tuple(stats.values()))


def _ignore(_: object) -> None:
    return None


def _open(
    inputs: Sequence[str], options: BatchOptions, job: Job
) -> tuple[Output, Iterator[Document], Tally]:
    """Check everything that can be checked before Ray starts, then open (and lock) the
    output: the same steps, in the same order, as the local executor."""
    fmt = resolve_format(options.output, options.format)
    check_output(options.output, fmt, options.mode)
    input_options = replace(
        options.inputs, exclude=options.output, offline=job.engine.settings.offline
    )
    origins = find_origins(inputs, input_options)
    tally = Tally(count_documents(origins, input_options))
    # A model missing here stops the job before Ray starts; this node needs the models
    # anyway: their cached commits are part of every record's fingerprint.
    job.engine.check_models(job.engine.job_models(job.task, job.targets, job.source))
    output = open_output(options.output, fmt, options.mode, job.task, resume_check(options, job))
    return output, read_documents(origins, input_options), tally


def _portable(settings: Settings) -> Settings:
    """Settings a worker reads the same way: the models file as an absolute path."""
    if settings.models_file is None:
        return settings
    return replace(settings, models_file=settings.models_file.resolve())


def _worker_plan(job: Job, options: BatchOptions) -> WorkerPlan:
    return WorkerPlan(
        job.task,
        job.targets,
        job.source,
        max(options.threads, 1),
        job.summarize,
        job.translate,
    )


def _plan(
    documents: Iterator[Document],
    output: Output,
    job: Job,
    size: int,
    tally: Tally,
    hooks: Hooks,
    workers: int,
) -> tuple[dict[str, _Ticket], list[dict[str, str]]]:
    """Tickets of the documents with pairs still to do, and the shards that carry them:
    consecutive pending documents, each shard named by its ids, at most ``size`` per shard
    and small enough that every worker gets several (a worker takes one shard at a time,
    so a few big shards would leave the others idle)."""
    tickets: dict[str, _Ticket] = {}
    for document in documents:
        todo = pending_targets(document, job, output, tally, hooks)
        if todo is not None:
            tickets[document.id] = _Ticket(document, *todo)
    pending = list(tickets.values())
    size = max(1, min(size, math.ceil(len(pending) / (workers * SHARDS_PER_WORKER))))
    shards = [_shard(pending[start : start + size]) for start in range(0, len(pending), size)]
    return tickets, shards


def _shard(batch: Sequence[_Ticket]) -> dict[str, str]:
    return {
        "shard": shard_name([t.document.id for t in batch]),
        "payload": encode_shard([(t.document, t.targets) for t in batch]),
    }


def _consume(
    rows: Iterator[dict[str, Any]],
    tickets: dict[str, _Ticket],
    output: Output,
    tally: Tally,
    hooks: Hooks,
) -> Iterator[ShardDone]:
    """Write each result row's records once, in the order rows arrive."""
    shown: set[str] = set()
    for row in rows:
        if row["fatal"]:
            raise _fatal(str(row["fatal_kind"]), str(row["fatal"]))
        for message in json.loads(row["notes"]):
            if message not in shown:
                shown.add(message)
                hooks.warning(message)
        results = json.loads(row["results"])
        for document_id, records in results:
            _write(tickets.pop(document_id, None), records, output, tally)
        hooks.progress(tally.progress())
        yield ShardDone(str(row["shard"]), str(row["worker"]), len(results), float(row["seconds"]))
    if tickets:
        raise ClusterError(
            f"{len(tickets)} document(s) came back from no worker; rerun with --resume"
        )


def _write(ticket: _Ticket | None, records: list[Any], output: Output, tally: Tally) -> None:
    """Write a document's records, unless they were written already (``ticket`` is gone:
    a retried shard's second answer) or were not asked for."""
    if ticket is None:
        return
    decoded = [Record.from_dict(data) for data in records]
    wanted = [r for r in decoded if r.target_language in ticket.targets]
    for record in wanted:
        output.write(record, ticket.document)
    tally.count(all(r.ok for r in wanted) and not ticket.earlier_failed, len(wanted))


def _fatal(kind: str, message: str) -> LingosumError:
    """The error a worker stopped on, as the same class in the driver (its exit code)."""
    found = getattr(errors, kind, None)
    if isinstance(found, type) and issubclass(found, LingosumError):
        return found(message)
    return LingosumError(message)


def _add(stats: dict[str, WorkerStats], done: ShardDone) -> None:
    known = stats.get(done.worker) or WorkerStats(done.worker, 0, 0, 0.0)
    stats[done.worker] = WorkerStats(
        done.worker,
        known.shards + 1,
        known.documents + done.documents,
        known.seconds + done.seconds,
    )


def describe_workers(workers: Sequence[WorkerStats]) -> list[str]:
    """A line per worker, to size a cluster: ``worker vm:1234: 120 documents in 30.2 s of
    work (4.0 docs/s)``."""
    return [
        f"worker {w.worker}: {w.documents} documents in {w.seconds:.1f} s of work "
        f"({w.rate:.1f} docs/s)"
        for w in sorted(workers, key=lambda w: w.worker)
    ]
