"""``lingosum batch --executor ray`` on a real Ray cluster of this machine: the same records
as the local executor, and every (document, target) once after a worker or the driver is
killed with SIGKILL.

One cluster serves the whole session (see ray_cluster.py): 127.0.0.1, 2 CPUs, its own
temp dir, and afterwards only the processes it started are killed, never ``ray stop``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_helpers import assert_clean_failure, isolated_env_vars, lingosum_command, run_lingosum
from model_factory import corpus_lines
from ray_cluster import CLUSTER_ENV, local_cluster

JOB_SECONDS = 420
TARGETS = ("az", "ru")


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a Ray head node started for this session."""
    with local_cluster(tmp_path_factory.mktemp("ray")) as address:
        yield address


@pytest.fixture
def address(ray_cluster: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in CLUSTER_ENV.items():
        monkeypatch.setenv(name, value)
    return ray_cluster


def make_docs(folder: Path, count: int) -> Path:
    """``count`` short English documents and one empty one (a failed record)."""
    folder.mkdir()
    english = corpus_lines()[:250]
    for i in range(count):
        text = f"{english[i]} {english[(i * 7 + 3) % 250]}"
        (folder / f"doc{i:02}.txt").write_text(text, encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


def batch_args(
    docs: Path, output: Path, models: Path, batch_size: int = 2, jobs: int = 1
) -> list[str]:
    return [
        "batch", str(docs), "--task", "translate", "--to", ",".join(TARGETS), "-o", str(output),
        "--models", str(models), "--backend", "transformers", "--device", "cpu",
        "--jobs", str(jobs), "--beams", "1", "--batch-size", str(batch_size),
    ]  # fmt: skip


def ray_args(address: str, workers: int = 2) -> list[str]:
    return ["--executor", "ray", "--address", address, "--workers", str(workers)]


def records(path: Path) -> dict[tuple[str, str], dict[str, object]]:
    """Every record by (id, target); fails on a pair recorded twice."""
    found: dict[tuple[str, str], dict[str, object]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        key = (record["id"], record["target_language"])
        assert key not in found, f"{key} recorded twice"
        found[key] = record
    return found


def essence(found: dict[tuple[str, str], dict[str, object]]) -> dict[object, object]:
    fields = ("status", "text", "error", "source_language", "models", "fingerprint")
    return {k: tuple(json.dumps(r[f], sort_keys=True) for f in fields) for k, r in found.items()}


def env(home: Path) -> dict[str, str]:
    return isolated_env_vars(home, **CLUSTER_ENV)


def test_ray_records_equal_local_records(address: str, tmp_path: Path, models_toml: Path) -> None:
    docs = make_docs(tmp_path / "docs", 8)
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    run_env = env(tmp_path)
    done = run_lingosum(batch_args(docs, local, models_toml), env=run_env, timeout=JOB_SECONDS)
    assert done.code == 1, done.stderr  # the empty document failed
    args = [*batch_args(docs, distributed, models_toml), *ray_args(address)]
    done = run_lingosum(args, env=run_env, timeout=JOB_SECONDS)
    assert done.code == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "8 ok, 1 failed, 0 skipped of 9 documents" in done.stderr
    assert done.stderr.count("lingosum batch: worker ") in (1, 2)  # a line per worker
    assert essence(records(distributed)) == essence(records(local))
    assert len(records(local)) == 9 * len(TARGETS)

    again = run_lingosum([*args, "--resume"], env=run_env, timeout=JOB_SECONDS)
    assert again.code == 1, again.stderr
    assert "0 ok, 0 failed, 9 skipped of 9 documents" in again.stderr
    assert essence(records(distributed)) == essence(records(local))


def test_worker_killed_mid_job_completes_once(
    address: str, tmp_path: Path, models_toml: Path
) -> None:
    from lingosum.batch import BatchOptions
    from lingosum.batch.distributed import RayOptions, ShardDone, run_ray_batch
    from lingosum.settings import Settings
    from lingosum.translate import TranslateOptions

    docs = make_docs(tmp_path / "docs", 16)
    output = tmp_path / "out.jsonl"
    options = BatchOptions(
        task="translate",
        targets=TARGETS,
        output=output,
        chunk_size=1,
        threads=1,
        translate=TranslateOptions(num_beams=1),
    )
    settings = Settings(models_file=models_toml, backend="transformers", device="cpu")
    seen: list[ShardDone] = []
    killed: list[int] = []

    def kill_first_worker(done: ShardDone) -> None:
        seen.append(done)
        if not killed:  # the actor reports its own PID with every shard
            killed.append(int(done.worker.rsplit(":", 1)[1]))
            os.kill(killed[0], signal.SIGKILL)

    report = run_ray_batch(
        [str(docs)], options, RayOptions(address, workers=2), settings=settings,
        on_shard=kill_first_worker,
    )  # fmt: skip
    assert (report.batch.ok, report.batch.failed, report.batch.total) == (16, 1, 17)
    found = records(output)
    assert len(found) == 17 * len(TARGETS)
    assert sum(1 for r in found.values() if r["status"] == "ok") == 16 * len(TARGETS)
    after = [d for d in seen[1:] if not d.worker.endswith(f":{killed[0]}")]
    assert after, "no shard finished on another worker after the kill"
    assert not alive(killed[0])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_driver_killed_then_resume_completes_once(
    address: str, tmp_path: Path, models_toml: Path
) -> None:
    docs = make_docs(tmp_path / "docs", 16)
    output = tmp_path / "out.jsonl"
    args = [*batch_args(docs, output, models_toml, 1), *ray_args(address)]
    driver = subprocess.Popen(
        [*lingosum_command(), *args],
        env=env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + JOB_SECONDS
    while count_lines(output) < 4:
        if driver.poll() is not None:
            stderr = driver.stderr.read().decode() if driver.stderr else ""
            pytest.fail(f"the job ended (rc {driver.returncode}) before it was killed: {stderr}")
        assert time.monotonic() < deadline, "the job wrote nothing in time"
        time.sleep(0.05)
    driver.kill()
    assert driver.wait(timeout=60) == -signal.SIGKILL
    assert count_lines(output) < 17 * len(TARGETS)

    final = run_lingosum([*args, "--resume"], env=env(tmp_path), timeout=JOB_SECONDS)
    assert final.code == 1, final.stderr  # only the empty document failed
    found = records(output)
    assert set(found) == {(p.name, t) for p in docs.iterdir() for t in TARGETS}
    assert [k for k, r in found.items() if r["status"] != "ok"] == [
        ("empty.txt", t) for t in TARGETS
    ]


def test_without_ray_says_how_to_install(tmp_path: Path, models_toml: Path) -> None:
    shadow = tmp_path / "shadow" / "ray"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    docs = make_docs(tmp_path / "docs", 1)
    args = [*batch_args(docs, tmp_path / "out.jsonl", models_toml), "--executor", "ray"]
    done = run_lingosum(args, env=env(tmp_path) | {"PYTHONPATH": str(shadow.parent)})
    assert_clean_failure(done, "pip install 'lingosum[ray]'")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        (["--workers", "2"], "need --executor ray"),
        (["--executor", "spark"], "unknown executor"),
        (["--executor", "ray", "--workers", "0"], "--workers"),
        (["--executor", "ray", "--gpus-per-worker", "-1"], "--gpus-per-worker"),
    ],
)
def test_bad_executor_options(
    tmp_path: Path, models_toml: Path, extra: list[str], expect: str
) -> None:
    docs = make_docs(tmp_path / "docs", 1)
    done = run_lingosum([*batch_args(docs, tmp_path / "o.jsonl", models_toml), *extra])
    assert_clean_failure(done, expect)


def test_a_worker_runs_a_shard_and_returns_a_missing_model_as_fatal(
    tmp_path: Path, models_toml: Path, tiny_models: dict[str, Path]
) -> None:
    """The actor class on its own (no cluster): records for a readable and an unreadable
    document, and a job-wide error returned to the driver instead of raised (Ray would retry
    a raised one forever)."""
    from lingosum.batch import Document
    from lingosum.batch.ray_worker import (
        ShardWorker,
        WorkerPlan,
        decode_shard,
        encode_shard,
        shard_name,
    )
    from lingosum.settings import Settings
    from lingosum.translate import TranslateOptions

    work = [
        (Document("a", "a.txt", "a.txt", corpus_lines()[0]), TARGETS),
        (Document("b", "b.bin", "b.bin", error="b.bin is binary"), TARGETS[:1]),
    ]
    payload = encode_shard(work)
    assert decode_shard(payload) == work
    batch = {"shard": [shard_name(["a", "b"])], "payload": [payload]}
    plan = WorkerPlan("translate", TARGETS, None, 1, translate=TranslateOptions(num_beams=1))
    affinity = os.sched_getaffinity(0)
    workers = []
    try:
        settings = Settings(models_file=models_toml, backend="transformers", device="cpu")
        workers.append(ShardWorker(settings, plan))
        rows = workers[-1](batch)
        assert rows["fatal"] == [""]
        assert rows["worker"] == [workers[-1].worker]
        (a, a_records), (b, b_records) = json.loads(rows["results"][0])
        assert (a, b) == ("a", "b")
        assert [(r["target_language"], r["status"]) for r in a_records] == [
            (t, "ok") for t in TARGETS
        ]
        assert [(r["status"], r["error"]) for r in b_records] == [("failed", "b.bin is binary")]

        missing = tmp_path / "missing.toml"
        text = models_toml.read_text(encoding="utf-8")
        missing.write_text(text.replace(str(tiny_models["marian"]), str(tmp_path / "gone")))
        workers.append(ShardWorker(Settings(models_file=missing, device="cpu"), plan))
        rows = workers[-1](batch)
        assert rows["fatal_kind"] == ["ModelError"] and rows["results"] == ["[]"]
    finally:
        for worker in workers:
            worker.close()
        os.sched_setaffinity(0, affinity)


def test_a_worker_bigger_than_any_node_is_refused(
    address: str, tmp_path: Path, models_toml: Path
) -> None:
    docs = make_docs(tmp_path / "docs", 1)
    output = tmp_path / "out.jsonl"
    args = [*batch_args(docs, output, models_toml, jobs=3), *ray_args(address, 1)]
    done = run_lingosum(args, env=env(tmp_path), timeout=JOB_SECONDS)
    assert_clean_failure(done, "--jobs 3: no node of the Ray cluster has that many CPUs")
