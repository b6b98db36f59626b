"""The Ray side of the driver of ``lingosum batch --executor ray``: joining the cluster,
sizing the actor pool to it, and the Ray Data pipeline that maps shards to records.

See :mod:`lingosum.batch.distributed` for the job as a whole.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from lingosum.batch.ray_worker import ShardWorker, WorkerPlan
from lingosum.errors import ClusterError, ConfigError, first_line
from lingosum.settings import Settings

INSTALL = "--executor ray needs Ray: pip install 'lingosum[ray]'"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
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


def checked(cluster: RayOptions) -> RayOptions:
    if cluster.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if cluster.gpus_per_worker < 0:
        raise ConfigError("--gpus-per-worker cannot be negative")
    if cluster.retries < 0:
        raise ConfigError("retries cannot be negative")
    return cluster


def fitted(
    ray: ModuleType, cluster: RayOptions, threads: int, warn: Callable[[str], None]
) -> RayOptions:
    """``cluster`` with no more workers than the cluster's nodes can hold at once (Ray
    would wait for the others forever).

    Raises:
        ConfigError: no node has ``threads`` CPUs, or ``gpus_per_worker`` GPUs.
    """
    nodes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
    need, unit = (cluster.gpus_per_worker, "GPU") if cluster.gpus_per_worker else (threads, "CPU")
    room = sum(int(resources.get(unit, 0) // need) for resources in nodes)
    if room == 0:
        most = max((resources.get(unit, 0) for resources in nodes), default=0)
        option = "--gpus-per-worker" if unit == "GPU" else "--jobs"
        raise ConfigError(
            f"{option} {need:g}: no node of the Ray cluster has that many {unit}s "
            f"(the most is {most:g})"
        )
    if cluster.workers > room:
        warn(f"the Ray cluster has room for {room} worker(s) of {need:g} {unit}(s); using {room}")
        return replace(cluster, workers=room)
    return cluster


@contextmanager
def connected(ray: ModuleType, cluster: RayOptions) -> Iterator[None]:
    """Join (or start) the cluster for this job, unless this process already joined one;
    leave it at the end (which ends this job's actors)."""
    if ray.is_initialized():
        yield
        return
    env = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
    with _quiet_ray(), _joined(ray, cluster, env):
        yield


QUIET_LOGGERS = ("ray", "ray.data")


@contextmanager
def _quiet_ray() -> Iterator[None]:
    """Keep Ray's informational lines (execution plans, progress, notices about its own
    settings) off the terminal, where lingosum's progress and warnings go; errors still
    show."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def _joined(ray: ModuleType, cluster: RayOptions, env: dict[str, str]) -> Iterator[None]:
    try:
        ray.init(
            address=cluster.address,
            runtime_env={"env_vars": env},
            log_to_driver=False,
            logging_level=logging.ERROR,
            include_dashboard=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = cluster.address or "the local machine"
        raise ConfigError(
            f"cannot join the Ray cluster at {where}: {plain(error)}; "
            "check --address (or start one with `ray start --head`)"
        ) from None
    try:
        yield
    finally:
        ray.shutdown()


def results(
    ray: ModuleType,
    shards: list[dict[str, str]],
    settings: Settings,
    plan: WorkerPlan,
    cluster: RayOptions,
) -> Iterator[dict[str, Any]]:
    """The result rows, one per shard, in the order they finish."""
    with warnings.catch_warnings():
        # Ray 2.60 warns about its own context fields, and has no named parameter for task
        # retries yet (it warns about the generic ones); without a bound, a document that
        # crashes its worker would be retried forever.
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = False
        context.enable_progress_bars = False  # lingosum shows its own
        context.print_on_execution_start = False
        dataset = ray.data.from_items(shards, override_num_blocks=len(shards))
        mapped = dataset.map_batches(
            ShardWorker,
            fn_constructor_args=(settings, plan),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(
                size=cluster.workers, max_tasks_in_flight_per_actor=1
            ),
            num_cpus=plan.threads if cluster.gpus_per_worker == 0 else 1,
            num_gpus=cluster.gpus_per_worker or None,
            max_restarts=-1,
            max_task_retries=cluster.retries,
        )
    try:
        yield from mapped.iter_rows()
    except ray.exceptions.RayError as error:
        raise ClusterError(
            f"the Ray job failed: {plain(error)}; the records written so far "
            "are kept: rerun with --resume"
        ) from None


def plain(error: BaseException) -> str:
    """The first line of a Ray error, without the terminal colours Ray puts in it."""
    return ANSI.sub("", first_line(error))
