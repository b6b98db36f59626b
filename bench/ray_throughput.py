"""Documents per second: ``lingosum batch --executor local`` against ``--executor ray``.

    python bench/ray_throughput.py [--docs 40] [--beams 1] [--cpus 2]

Generates short English documents (2 to 6 sentences, as bench/batch_throughput.py), then
translates them into Russian with the Marian-base-size random-weight model of
``bench/make_models.py`` (``bench/models/opus-mt-en-ru-size``) on CTranslate2:

  * ``--executor local --jobs 2`` (one process, 2 threads);
  * ``--executor ray --workers 1 --jobs 1`` and ``--workers 2 --jobs 1`` on a private Ray
    head node of this machine (started once, 127.0.0.1, ``--cpus`` CPUs; see
    tests/ray_cluster.py), each worker an actor with its own copy of the model.

Each run is a fresh ``lingosum batch`` process; its wall clock includes start-up, joining
the cluster, starting the actors and loading the model. Per-worker throughput (documents
per second of work, from the lines ``lingosum batch`` prints per worker) is what sizes a
cluster. The goal: Ray with 2 workers at least 0.8x local on 2 cores. A benchmark to run by
hand, not a timed test.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from batch_throughput import BENCH_MODELS, TARGET, count_records, make_documents  # noqa: E402

from ray_cluster import CLUSTER_ENV, local_cluster  # noqa: E402

WORKER_LINE = re.compile(r"worker (\S+): (\d+) documents in ([\d.]+) s of work")


def run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall-clock seconds and stderr of a command that must succeed."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return elapsed, done.stderr


def per_worker(stderr: str) -> list[str]:
    """``N docs/s`` of each worker, from the job's per-worker lines."""
    rates = []
    for _, documents, seconds in WORKER_LINE.findall(stderr):
        rates.append(f"{int(documents) / float(seconds):.2f}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the Ray head node")
    args = parser.parse_args()
    model = HERE / "models" / BENCH_MODELS["marian"]
    if not model.is_dir():
        sys.exit("bench-size model missing: run python bench/make_models.py first")
    with tempfile.TemporaryDirectory(prefix="lingosum-ray-bench-", dir="/tmp") as temporary:
        root = Path(temporary)
        docs = root / "docs"
        sentences = make_documents(docs, args.docs)
        models = root / "models.toml"
        models.write_text(f'[translator]\n"en-{TARGET}" = "{model}"\n', encoding="utf-8")
        env = {**os.environ, **CLUSTER_ENV, "HF_HOME": str(root / "hf"), "HF_HUB_OFFLINE": "1"}

        def batch(inputs: Path, out: str, *extra: str) -> list[str]:
            return [sys.executable, "-m", "lingosum", "batch", str(inputs), "--task",
                    "translate", "--to", TARGET, "-o", str(root / out), "--models", str(models),
                    "--backend", "ctranslate2", "--device", "cpu", "--beams", str(args.beams),
                    *extra]  # fmt: skip

        print(
            f"{args.docs} documents ({sentences} sentences), translate en->{TARGET}, "
            f"opus-mt-en-ru size, CTranslate2, beams {args.beams}, {os.cpu_count()} CPUs",
            flush=True,
        )
        # One document first, so that no timed run pays for the CTranslate2 conversion.
        run(batch(next(docs.iterdir()), "warm-up.jsonl", "--jobs", "2"), env)
        with local_cluster(root, cpus=args.cpus) as address:
            runs = {
                "local, 2 threads": batch(docs, "local.jsonl", "--jobs", "2"),
                "ray, 1 worker x 1 thread": batch(
                    docs, "ray1.jsonl", "--jobs", "1", "--executor", "ray",
                    "--address", address, "--workers", "1",
                ),
                "ray, 2 workers x 1 thread": batch(
                    docs, "ray2.jsonl", "--jobs", "1", "--executor", "ray",
                    "--address", address, "--workers", "2",
                ),
            }  # fmt: skip
            results = {name: run(command, env) for name, command in runs.items()}
        for out in ("local.jsonl", "ray1.jsonl", "ray2.jsonl"):
            if count_records(root / out) != args.docs:
                sys.exit(f"{out} has {count_records(root / out)} records, not {args.docs}")
    report(results, args.docs)


def report(results: dict[str, tuple[float, str]], docs: int) -> None:
    local = results["local, 2 threads"][0]
    print(f"{'executor':<27} {'wall s':>7} {'docs/s':>7} {'vs local':>8}  per worker docs/s")
    for name, (seconds, stderr) in results.items():
        workers = ", ".join(per_worker(stderr)) or "-"
        print(f"{name:<27} {seconds:7.1f} {docs / seconds:7.2f} {local / seconds:7.2f}x  {workers}")
    print("(wall clock of each process: start-up, actors and model loading included)")


if __name__ == "__main__":
    main()
