"""Native OPUS-MT releases against Hub checkpoints of the same size, in one run.

    python bench/make_models.py          # the Hub-layout opus-mt-en-ru-size model, once
    python bench/releases.py [--repeat 2] [--out bench/models]

1. Builds a random-weight native release with Marian-base sizes (d_model 512, 6+6 layers,
   8 heads, FFN 2048, vocabulary 62518: the shapes of opus-mt-en-ru and of the
   Tatoeba-MT-models opus4m releases), unpacks it as ``lingosum models download`` does, and
   times CTranslate2's conversion (int8) in a fresh process.
2. Translation speed, release route vs Hub route of the same size, each in its own process,
   both through lingosum's CTranslate2 backend, output lengths fixed so both do the same
   work; best of ``--repeat``.
3. Peak RSS of ``lingosum translate --to ka`` on the release route (converted copy cached),
   where the memory goes (RSS after each stage, in one process), and whether torch or
   transformers is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

RELEASE = "marian-base-release"
HUB = "opus-mt-en-ru-size"
TEXT = (
    "The ministers met in Baku on Tuesday to discuss trade, energy and transport links "
    "between the two countries, and agreed to meet again before the end of the year."
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_convert(release: Path, out: Path) -> dict[str, float]:
    from lingosum.backends.convert import convert

    started = time.perf_counter()
    convert(release, out, "int8")
    return {"convert_s": time.perf_counter() - started}


def worker_speed(model: Path, beams: int, batch: int, repeat: int) -> dict[str, float]:
    from lingosum.backends.base import GenerationOptions
    from lingosum.backends.ct2 import CTranslate2Backend

    backend = CTranslate2Backend(model, device="cpu", compute_type="int8")
    options = GenerationOptions(num_beams=beams, max_new_tokens=48, batch_size=batch)
    texts = [f"{TEXT} ({i})" for i in range(batch)]
    backend.generate(texts[:2], options)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        backend.generate(texts, options)
        best = min(best, time.perf_counter() - started)
    return {"tok_s": batch * 48 / best}


def worker_stages(models_file: Path) -> dict[str, float]:
    """RSS after each stage of a translate run, in this process."""
    stages = {"python": rss_mb()}
    import lingosum
    from lingosum.settings import Settings

    stages["import lingosum"] = rss_mb()
    import ctranslate2  # noqa: F401
    import sentencepiece  # noqa: F401

    stages["import ctranslate2"] = rss_mb()
    settings = Settings(models_file=models_file, offline=True, device="cpu")
    lingosum.translate("Hello.", to="ka", source="en", settings=settings)
    stages["model loaded, 1 sentence"] = rss_mb()
    lingosum.translate(" ".join([TEXT] * 20), to="ka", source="en", settings=settings)
    stages["20 sentences"] = rss_mb()
    stages["torch imported"] = float("torch" in sys.modules)
    stages["transformers imported"] = float("transformers" in sys.modules)
    return stages


def run_worker(*args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cli_peak_rss(models_file: Path, env: dict[str, str]) -> float:
    """Peak RSS (MB) of one ``lingosum translate --to ka`` process."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "in.txt"
        source.write_text(" ".join([TEXT] * 20), encoding="utf-8")
        command = [sys.executable, "-m", "lingosum", "translate", "--to", "ka", "--from", "en"]
        command += ["--models", str(models_file), "--quiet", "-o", f"{scratch}/out", str(source)]
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("lingosum translate failed")
    return usage.ru_maxrss / 1024


def prepare(out: Path, env: dict[str, str]) -> tuple[Path, Path, Path]:
    """The release archive (built once), its unpacked copy, and a models file using it."""
    from model_factory import make_marian_release

    archive = out / f"{RELEASE}.zip"
    if not archive.exists():
        started = time.perf_counter()
        make_marian_release(
            out / RELEASE, d_model=512, layers=6, heads=8, ffn=2048, vocab_size=62518
        )
        print(f"built {archive.name}: {time.perf_counter() - started:.1f} s", flush=True)
    models_file = out / "release-models.toml"
    entry = f'"en-ka" = {{ url = "{archive}", target_token = ">>kat<<" }}'
    models_file.write_text(f"[translator]\n{entry}\n", encoding="utf-8")
    fetch = [sys.executable, "-m", "lingosum", "models", "download", "--model", "en-ka"]
    subprocess.run([*fetch, "--models", str(models_file), "--quiet"], env=env, check=True)
    from lingosum.registry import load_registry
    from lingosum.releases import release_path

    os.environ.update(env)
    unpacked = release_path(load_registry(models_file).translators["en-ka"].model)
    return archive, unpacked, models_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "models")
    parser.add_argument("--repeat", type=int, default=2)
    args, rest = parser.parse_known_args()
    scratch = Path(tempfile.mkdtemp(prefix="lingosum-bench-"))
    env = {**os.environ, "LINGOSUM_CACHE": str(scratch / "cache")}
    env.pop("HF_HUB_OFFLINE", None)
    archive, unpacked, models_file = prepare(args.out, env)
    size = archive.stat().st_size / 2**20
    conv = min(
        run_worker("convert", str(unpacked), str(scratch / f"c{i}"), env=env)["convert_s"]
        for i in range(args.repeat)
    )
    print(f"release {size:.0f} MiB; int8 conversion {conv:.1f} s (best of {args.repeat})")
    hub_ct2 = args.out / HUB
    rows = []
    for beams, batch in ((1, 1), (1, 32), (4, 32)):
        # Alternate the two processes so that a change in machine load hits both alike.
        speeds = {"release": 0.0, "hub": 0.0}
        for _ in range(args.repeat):
            for name, model in (("release", unpacked), ("hub", hub_ct2)):
                job = ["speed", str(model), str(beams), str(batch), "2"]
                speeds[name] = max(speeds[name], run_worker(*job, env=env)["tok_s"])
        ratio = speeds["release"] / speeds["hub"]
        rows.append((beams, batch, speeds["release"], speeds["hub"], ratio))
        print(
            f"beam {beams} batch {batch}: release {speeds['release']:.0f} tok/s, "
            f"hub {speeds['hub']:.0f} tok/s, release/hub {ratio:.2f}",
            flush=True,
        )
    offline = {**env, "HF_HUB_OFFLINE": "1"}
    first = cli_peak_rss(models_file, offline)
    peak = cli_peak_rss(models_file, offline)
    print(f"`lingosum translate --to ka` (release route) peak RSS: {peak:.0f} MB")
    print(f"  (first run, converting the release: {first:.0f} MB)")
    for stage, value in run_worker("stages", str(models_file), env=offline).items():
        print(f"  {stage}: {value:.0f}" + ("" if "imported" in stage else " MB"))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, *params = sys.argv[2:]
        if kind == "convert":
            result = worker_convert(Path(params[0]), Path(params[1]))
        elif kind == "speed":
            result = worker_speed(Path(params[0]), *map(int, params[1:]))
        else:
            result = worker_stages(Path(params[0]))
        print(json.dumps(result))
    else:
        main()
