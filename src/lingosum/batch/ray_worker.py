"""The worker side of ``lingosum batch --executor ray``: shards of documents in, records out.

A shard is a few documents (``--batch-size``) named by a hash of their ids, decided by the
driver before Ray runs (see :mod:`lingosum.batch.distributed`). It travels through Ray Data
as one row: its name and a JSON payload holding each document's text and the targets still
to do, so workers never read the inputs themselves. :class:`ShardWorker` is the callable
class of ``map_batches``: each Ray actor builds one instance, which owns one
:class:`~lingosum.engine.Engine`, so models load once per actor and stay loaded.

Nothing here writes files: records go back to the driver, the only writer of the output.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingosum.batch.inputs import Document
from lingosum.batch.records import Record
from lingosum.batch.runner import document_language
from lingosum.batch.work import Item, Job, preflight, process
from lingosum.engine import Engine
from lingosum.errors import LingosumError
from lingosum.settings import Settings
from lingosum.summarize.engine import SummarizeOptions
from lingosum.translate.engine import TranslateOptions

# The columns of a result row (one per shard).
RESULT_COLUMNS = ("shard", "worker", "seconds", "results", "notes", "fatal_kind", "fatal")
SHARD_DIGITS = 16
CPU_LOCKS = "lingosum-cpu-locks"


@dataclass(frozen=True)
class WorkerPlan:
    """What every worker of a job does (sent to each actor when it starts).

    ``threads`` is ``--jobs``: the CPU threads of each worker.
    """

    task: str
    targets: tuple[str, ...]
    source: str | None
    threads: int = 1
    summarize: SummarizeOptions = field(default_factory=SummarizeOptions)
    translate: TranslateOptions = field(default_factory=TranslateOptions)


def shard_name(ids: Sequence[str]) -> str:
    """A name that depends only on the ids of the shard's documents, never on Ray's blocks."""
    joined = "\n".join(ids).encode("utf-8", "surrogatepass")
    return f"shard-{hashlib.sha256(joined).hexdigest()[:SHARD_DIGITS]}"


def encode_shard(work: Sequence[tuple[Document, tuple[str, ...]]]) -> str:
    """The payload of a shard: each document (without its warnings, which the driver has
    shown) with its pending targets."""
    return json.dumps(
        [
            {
                "id": document.id,
                "source": document.source,
                "path": document.path,
                "text": document.text,
                "error": document.error,
                "targets": list(targets),
            }
            for document, targets in work
        ],
        ensure_ascii=False,
    )


def decode_shard(payload: str) -> list[tuple[Document, tuple[str, ...]]]:
    """The inverse of :func:`encode_shard`."""
    return [
        (
            Document(entry["id"], entry["source"], entry["path"], entry["text"], entry["error"]),
            tuple(entry["targets"]),
        )
        for entry in json.loads(payload)
    ]


class ShardWorker:
    """One Ray actor's work: an engine with the job's models, applied to shard after shard.

    A job-wide error (a model missing on this node, a bad models file) is not raised:
    Ray would retry it forever. It comes back in the ``fatal`` column, and the driver stops
    the job with it.

    Args:
        settings: where models come from and run (the driver's, with absolute paths).
        plan: the job.
    """

    def __init__(self, settings: Settings, plan: WorkerPlan) -> None:
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._cpus = claim_cpus(plan.threads) if settings.device != "cuda" else []
        self._notes: list[str] = []
        self._fatal: LingosumError | None = None
        engine = Engine(settings, notify=self._notes.append)
        self._job = Job(
            plan.task,
            plan.targets,
            plan.source,
            engine,
            plan.summarize,
            plan.translate,
            self._notes.append,
        )
        try:
            preflight(self._job)
        except LingosumError as error:
            self._fatal = error

    def close(self) -> None:
        """Free the models and the CPUs (a dying actor frees them anyway)."""
        self._job.engine.close()
        for lock in self._cpus:
            lock.release()
        self._cpus = []

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
        for shard, payload in zip(batch["shard"], batch["payload"], strict=True):
            started = time.perf_counter()
            results: list[tuple[str, list[Record]]] = []
            if self._fatal is None:
                try:
                    results = run_shard(decode_shard(str(payload)), self._job)
                except LingosumError as error:
                    self._fatal = error
            fatal = self._fatal
            rows["shard"].append(str(shard))
            rows["worker"].append(self.worker)
            rows["seconds"].append(time.perf_counter() - started)
            encoded = [[id_, [r.to_dict() for r in records]] for id_, records in results]
            rows["results"].append(json.dumps(encoded, ensure_ascii=False))
            rows["notes"].append(json.dumps(self._notes, ensure_ascii=False))
            rows["fatal_kind"].append("" if fatal is None else type(fatal).__name__)
            rows["fatal"].append("" if fatal is None else str(fatal))
            self._notes.clear()
        return rows


def run_shard(
    work: Sequence[tuple[Document, tuple[str, ...]]], job: Job
) -> list[tuple[str, list[Record]]]:
    """(document id, its records) for each document of a shard: unreadable documents and
    those whose language cannot be told fail; the rest go to the models together.

    Raises:
        ModelError, ConfigError: an error that would fail every document.
    """
    done: dict[int, list[Record]] = {}
    items: list[Item] = []
    positions: list[int] = []
    for position, (document, targets) in enumerate(work):
        language, error = document_language(document, job)
        if error is not None or language is None:
            done[position] = [job.failure(document, language, t, error or "") for t in targets]
            continue
        items.append(Item(document, language, targets))
        positions.append(position)
    for position, records in zip(positions, process(items, job), strict=True):
        done[position] = records
    return [(work[p][0].id, done[p]) for p in range(len(work))]


def claim_cpus(threads: int) -> list[Any]:
    """Limit this worker to ``threads`` CPU threads, on CPUs no other lingosum worker of
    this node holds.

    Ray does not pin workers to CPUs, and CTranslate2 sizes its thread pool from the CPUs a
    process may use, so two workers would each start a pool as big as the node. Each CPU
    taken is marked by a lock file held for the worker's life (the kernel drops it when the
    process dies, however it dies). When too few CPUs are free the OS shares them instead.

    Returns:
        The held locks (keep them referenced for as long as the worker lives).
    """
    threads = max(threads, 1)
    import torch

    torch.set_num_threads(threads)
    if not hasattr(os, "sched_setaffinity"):
        return []
    cpus = sorted(os.sched_getaffinity(0))
    if threads >= len(cpus):
        return []
    from filelock import FileLock, Timeout

    folder = Path(tempfile.gettempdir()) / CPU_LOCKS
    held: list[tuple[int, Any]] = []
    try:
        folder.mkdir(exist_ok=True)
        for cpu in cpus:
            lock = FileLock(str(folder / f"cpu{cpu}.lock"), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                continue
            held.append((cpu, lock))
            if len(held) == threads:
                os.sched_setaffinity(0, [c for c, _ in held])
                return [lock for _, lock in held]
    except OSError:  # a temp folder this user cannot write: let the OS share the CPUs
        pass
    for _, lock in held:
        lock.release()
    return []
