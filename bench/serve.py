"""``lingosum serve`` under concurrent load: batching across requests on against off.

    python bench/serve.py [--seconds 30] [--clients 1,8,32] [--beams 1]

Starts ``lingosum serve`` twice on 127.0.0.1 (``--max-batch 64``, then ``--max-batch 1``,
which turns batching across requests off) with a random-weight model of opus-mt-en-ru's
size on CTranslate2 int8 (built into bench/models/ like bench/make_models.py does, if
missing). For each number of clients, every client sends one-sentence ``POST /translate``
requests back to back for ``--seconds``; requests/s, p50 and p95 latency and errors are
printed as a Markdown table, with how many requests each model call carried (from the
server's ``/health``). The weights are noise and never end a sequence, so with
``--max-tokens 32`` every sentence's output is exactly 32 tokens, as in bench/run.py: both
modes do the same work, whatever sentences share a batch.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from model_factory import make_marian  # noqa: E402

MARIAN = "opus-mt-en-ru-size"
CORPUS = HERE.parent / "tests" / "fixtures" / "corpus.txt"
SERVING = "lingosum: serving on "
OUTPUT_TOKENS = 32  # per translated sentence, as in bench/run.py


def sentences() -> list[str]:
    """Short English lines of the fixture corpus: one request each."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.isascii() and 30 <= len(line.strip()) <= 60]


def ensure_model(models: Path) -> Path:
    """opus-mt-en-ru's architecture with random weights (the sizes of bench/make_models.py)."""
    path = models / MARIAN
    if not (path / "config.json").exists():
        make_marian(path, d_model=512, layers=6, heads=8, ffn=2048, vocab_size=62518)
    return path


def start_server(models_file: Path, max_batch: int, beams: int, cache: Path) -> Any:
    command = [
        sys.executable, "-m", "lingosum", "serve", "--port", "0", "--models", str(models_file),
        "--offline", "--backend", "ctranslate2", "--req-limit", "0", "--char-limit", "0",
        "--max-batch", str(max_batch), "--beams", str(beams), "--max-queue", "1024",
        "--timeout", "300", "--max-tokens", str(OUTPUT_TOKENS), "--quiet",
    ]  # fmt: skip
    env = {**os.environ, "LINGOSUM_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(SERVING):
            return process, line[len(SERVING) :].split()[0].rstrip("/")
    raise RuntimeError(f"the server did not start (exit status {process.wait()})")


async def client(
    http: httpx.AsyncClient, pool: list[str], seed: int, stop: float
) -> list[tuple[float, bool]]:
    """Send requests back to back until ``stop``; (latency, ok) for each."""
    rng = random.Random(seed)
    results = []
    while time.monotonic() < stop:
        body = {"q": rng.choice(pool), "source": "en", "target": "ru"}
        started = time.monotonic()
        try:
            response = await http.post("/translate", json=body)
            ok = response.status_code == 200 and bool(response.json().get("translatedText"))
        except httpx.HTTPError:
            ok = False
        results.append((time.monotonic() - started, ok))
    return results


async def load(url: str, clients: int, seconds: float, pool: list[str]) -> dict[str, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        before = (await http.get("/health")).json()["batching"]
        started = time.monotonic()
        runs = await asyncio.gather(
            *(client(http, pool, n, started + seconds) for n in range(clients))
        )
        elapsed = time.monotonic() - started
        after = (await http.get("/health")).json()["batching"]
    done = [r for run in runs for r in run]
    latencies = sorted(latency for latency, ok in done if ok)
    calls = max(1, after["calls"] - before["calls"])
    return {
        "requests": len(done),
        "rps": len(latencies) / elapsed,
        "p50": 1000 * statistics.median(latencies) if latencies else math.nan,
        "p95": 1000 * latencies[math.ceil(0.95 * len(latencies)) - 1] if latencies else math.nan,
        "errors": sum(1 for _, ok in done if not ok),
        "per_call": (after["jobs"] - before["jobs"]) / calls,
    }


def measure(args: argparse.Namespace, models_file: Path, max_batch: int) -> dict[int, Any]:
    process, url = start_server(models_file, max_batch, args.beams, args.out / "cache")
    try:
        pool = sentences()
        asyncio.run(load(url, 4, 3.0, pool))  # load and convert the model, warm the caches
        results = {}
        for clients in args.clients:
            results[clients] = asyncio.run(load(url, clients, args.seconds, pool))
            print(f"  max-batch {max_batch}, {clients} clients: {results[clients]}", flush=True)
        return results
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)


def report(on: dict[int, Any], off: dict[int, Any], clients: list[int]) -> None:
    print(
        "\n| clients | batching | requests/s | p50 ms | p95 ms | errors | requests per model call |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in clients:
        for label, result in (("on", on[n]), ("off (--max-batch 1)", off[n])):
            print(
                f"| {n} | {label} | {result['rps']:.1f} | {result['p50']:.0f} | "
                f"{result['p95']:.0f} | {result['errors']} | {result['per_call']:.1f} |"
            )
    top = max(clients)
    ratio = on[top]["rps"] / max(off[top]["rps"], 1e-9)
    met = ratio >= 4 and on[top]["p95"] < off[top]["p95"] and on[top]["errors"] == 0
    print(
        f"\nAt {top} clients: {ratio:.1f}x the requests/s of batching off, p95 "
        f"{on[top]['p95']:.0f} ms vs {off[top]['p95']:.0f} ms, {on[top]['errors']} errors: "
        f"goal (>= 4x, lower p95, no errors) {'met' if met else 'NOT met'}."
    )
    print(f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--models", type=Path, default=HERE / "models")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]
    model = ensure_model(args.models)
    args.out.mkdir(parents=True, exist_ok=True)
    models_file = args.out / "serve-models.toml"
    models_file.write_text(f'[translator]\n"en-ru" = "{model}"\n', encoding="utf-8")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; beams {args.beams}")
    on = measure(args, models_file, 64)
    off = measure(args, models_file, 1)
    report(on, off, args.clients)


if __name__ == "__main__":
    main()
