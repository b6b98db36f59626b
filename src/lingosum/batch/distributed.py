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
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from lingosum import errors
from lingosum.batch.inputs import Document, count_documents, find_origins, read_documents
from lingosum.batch.outputs import Output, check_output, open_output, resolve_format
from lingosum.batch.ray_worker import ShardWorker, WorkerPlan, encode_shard, shard_name
from lingosum.batch.records import Record
from lingosum.batch.runner import (
    BatchOptions,
    BatchReport,
    Hooks,
    _job,
    _resume_check,
    _Tally,
)
from lingosum.batch.work import Job
from lingosum.engine import Engine
from lingosum.errors import ClusterError, ConfigError, LingosumError
from lingosum.settings import Settings

INSTALL = "--executor ray needs Ray: pip install 'lingosum[ray]'"
# Environment the workers must share with the driver to find the same models and caches.
FORWARDED_ENV = (
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_HUB_OFFLINE",
    "HF_ENDPOINT",
    "LINGOSUM_CACHE",
    "LINGOSUM_MODELS",
)


@dataclass(frozen=True)
class RayOptions:
    """Where a job runs on Ray and how wide.

    Attributes:
        address: ``None`` joins the cluster of ``$RAY_ADDRESS`` or of ``ray start`` on this
            machine, else starts a private one; ``"auto"`` joins a running cluster or fails;
            ``HOST:PORT`` joins that one.
        workers: Ray actors, each with its own engine (its own copy of the models).
        gpus_per_worker: GPUs each actor reserves (fractions share a GPU); 0 runs on CPUs.
        retries: how many times Ray retries a shard whose worker died.
    """

    address: str | None = None
    workers: int = 1
    gpus_per_worker: float = 0.0
    retries: int = 3


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


def import_ray() -> ModuleType:
    """Ray, or a one-line error saying how to install it.

    Raises:
        ConfigError: Ray is not installed.
    """
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data ships in the same wheel but may be broken
    except ImportError:
        raise ConfigError(INSTALL) from None
    return ray


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
        inputs, options, settings, hooks: as for ``run_batch`` (``options.threads`` is the
            threads of each worker; 0 means 1).
        cluster: where and how wide (default: one worker on a local cluster).
        on_shard: called in the driver as each shard's results are written.

    Returns:
        The counts, and what each worker did.

    Raises:
        ConfigError: Ray is not installed, bad cluster options, or the cluster cannot be
            reached; and everything ``run_batch`` raises.
        ClusterError: the cluster failed (a shard's worker died more than ``retries``
            times); records written so far are kept for ``--resume``.
    """
    ray = import_ray()
    cluster = _checked(cluster or RayOptions())
    hooks = hooks or Hooks()
    settings = _portable(settings or Settings())
    with Engine(settings, notify=hooks.warning) as planner:
        job = _job(options, planner, hooks)
        fmt = resolve_format(options.output, options.format)
        check_output(options.output, fmt, options.mode)
        input_options = replace(options.inputs, exclude=options.output)
        origins = find_origins(inputs, input_options)
        tally = _Tally(count_documents(origins, input_options))
        # Fail before Ray starts when a model is missing here (this node reads them too:
        # their cache commits are part of every record's fingerprint).
        planner.check_models(planner.job_models(job.task, job.targets, job.source))
        output = open_output(options.output, fmt, options.mode, job.task, _resume_check(options, job))
        try:
            for message in output.warnings:
                hooks.warning(message)
            documents = read_documents(origins, input_options)
            tickets, shards = _plan(documents, output, job, options.chunk_size, tally, hooks)
            hooks.progress(tally.progress())
            stats: dict[str, WorkerStats] = {}
            if shards:
                plan = _worker_plan(job, options)
                with _connected(ray, cluster):
                    rows = _results(ray, shards, settings, plan, cluster)
                    for done in _consume(rows, tickets, output, tally, hooks):
                        _add(stats, done)
                        if on_shard is not None:
                            on_shard(done)
            for message in output.notes():
                hooks.warning(message)
        finally:
            output.close()
    return RayReport(tally.report(options.output), tuple(stats.values()))


def _checked(cluster: RayOptions) -> RayOptions:
    if cluster.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if cluster.gpus_per_worker < 0:
        raise ConfigError("--gpus-per-worker cannot be negative")
    if cluster.retries < 0:
        raise ConfigError("retries cannot be negative")
    return cluster


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
    tally: _Tally,
    hooks: Hooks,
) -> tuple[dict[str, _Ticket], list[dict[str, str]]]:
    """Tickets of the documents with pairs still to do, and the shards that carry them
    (consecutive pending documents, ``size`` per shard, each named by its ids)."""
    tickets: dict[str, _Ticket] = {}
    shards: list[dict[str, str]] = []
    batch: list[_Ticket] = []
    for document in documents:
        pending = output.pending(document, job.targets)
        earlier_failed = any(output.done.get((document.id, t)) == "failed" for t in job.targets)
        if not pending:
            tally.skipped += 1
            tally.skipped_failed += earlier_failed
            continue
        for message in document.warnings:
            hooks.warning(message)
        ticket = _Ticket(document, pending, earlier_failed)
        tickets[document.id] = ticket
        batch.append(ticket)
        if len(batch) == size:
            shards.append(_shard(batch))
            batch = []
    if batch:
        shards.append(_shard(batch))
    return tickets, shards


def _shard(batch: Sequence[_Ticket]) -> dict[str, str]:
    return {
        "shard": shard_name([t.document.id for t in batch]),
        "payload": encode_shard([(t.document, t.targets) for t in batch]),
    }


@contextmanager
def _connected(ray: ModuleType, cluster: RayOptions) -> Iterator[None]:
    """Join (or start) the cluster for this job, unless this process already joined one;
    leave it at the end (which ends this job's actors)."""
    if ray.is_initialized():
        yield
        return
    env = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
    try:
        ray.init(
            address=cluster.address,
            runtime_env={"env_vars": env},
            log_to_driver=False,
            logging_level=logging.WARNING,
            include_dashboard=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = cluster.address or "the local machine"
        raise ConfigError(
            f"cannot join the Ray cluster at {where}: {errors.first_line(error)}; "
            "check --address (or start one with `ray start --head`)"
        ) from None
    try:
        yield
    finally:
        ray.shutdown()


def _results(
    ray: ModuleType,
    shards: list[dict[str, str]],
    settings: Settings,
    plan: WorkerPlan,
    cluster: RayOptions,
) -> Iterator[dict[str, Any]]:
    """The result rows, one per shard, in the order they finish."""
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = False
    context.enable_progress_bars = False  # lingosum shows its own
    context.print_on_execution_start = False
    dataset = ray.data.from_items(shards, override_num_blocks=len(shards))
    mapped = dataset.map_batches(
        ShardWorker,
        fn_constructor_args=(settings, plan),
        batch_size=1,
        concurrency=cluster.workers,
        num_cpus=plan.threads if cluster.gpus_per_worker == 0 else 1,
        num_gpus=cluster.gpus_per_worker or None,
        max_restarts=-1,
        max_task_retries=cluster.retries,
    )
    try:
        yield from mapped.iter_rows()
    except ray.exceptions.RayError as error:
        raise ClusterError(
            f"the Ray job failed: {errors.first_line(error)}; the records written so far "
            "are kept: rerun with --resume"
        ) from None


def _consume(
    rows: Iterator[dict[str, Any]],
    tickets: dict[str, _Ticket],
    output: Output,
    tally: _Tally,
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


def _write(ticket: _Ticket | None, records: list[Any], output: Output, tally: _Tally) -> None:
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
