"""Compare lingosum's backends, and raw CTranslate2, on models of the defaults' real sizes.

    python bench/make_models.py     # once: random-weight models in bench/models/
    python bench/run.py [--repeat 2] [--threads N] [--models bench/models]

lingosum on transformers (fp32, the reference) and lingosum on CTranslate2 (int8, the CPU
default) run in separate processes, so that neither one's threads nor its memory affect the
other. The CTranslate2 process also calls ctranslate2.Translator.translate_batch directly on
pre-tokenized input, taking turns with lingosum so both see the same machine load: the gap
is what lingosum's pipeline costs. The models' weights are noise and never end a sequence,
so every output has a fixed length: 32 tokens per translated sentence, 142 per summary
(distilbart-cnn's "medium" length). Timings are the best of --repeat runs, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "fixtures" / "corpus.txt"
MARIAN, BART = "opus-mt-en-ru-size", "distilbart-cnn-12-6-size"
OUTPUT_TOKENS = 32  # per translated sentence
SUMMARY_TOKENS = (56, 142)  # min and max new tokens of a "medium" summary
ARTICLE_TOKENS = 800
# (name, beams, batch size, sentences): fewer sentences where transformers is slow.
TRANSLATE_CASES = (
    ("greedy b1", 1, 1, 16),
    ("greedy b32", 1, 32, 64),
    ("beam4 b1", 4, 1, 8),
    ("beam4 b32", 4, 32, 64),
)
CLI_SENTENCES = 16
WORKERS = {"transformers": "transformers fp32", "ctranslate2": "ctranslate2 int8"}


def sentences(count: int) -> list[str]:
    """English lines of the fixture corpus, cycled to ``count``."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    english = [line for line in lines if line.strip() and line.isascii()]
    return [english[i % len(english)] for i in range(count)]


def article(count_tokens: Callable[[Sequence[str]], list[int]]) -> str:
    """English sentences joined until the text is about ARTICLE_TOKENS long."""
    pool = sentences(400)
    words: list[str] = []
    for line in pool:
        if count_tokens([" ".join([*words, line])])[0] > ARTICLE_TOKENS:
            break
        words.append(line)
    return " ".join(words)


def best_times(repeat: int, jobs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best wall time of each job; the jobs take turns so they see the same machine load."""
    for job in jobs.values():
        job()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(repeat):
        for name, job in jobs.items():
            started = time.perf_counter()
            job()
            times[name].append(time.perf_counter() - started)
    return {name: min(values) for name, values in times.items()}


def timed(job: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = job()
    return result, time.perf_counter() - started


# --- workers: each runs in its own process and prints one JSON line --------------------------


def worker(backend: str, models: Path, repeat: int) -> dict[str, float]:
    """lingosum's translate and summarize on one backend; for CTranslate2 also raw calls to
    ctranslate2.Translator on the same converted models, pre-tokenized, taking turns."""
    from lingosum import Settings
    from lingosum.backends import load_backend
    from lingosum.backends.ct2 import converted_dir

    threads = len(os.sched_getaffinity(0))
    compute = "int8" if backend == "ctranslate2" else None
    if backend == "transformers":
        import torch

        torch.set_num_threads(threads)
    results: dict[str, float] = {}
    loaded = {}
    for name in (MARIAN, BART):
        path = models / name
        results[f"cached {name}"] = float(converted_dir(path, "int8").is_dir())
        _, results[f"first load {name}"] = timed(
            lambda p=path: load_backend(p, backend=backend, device="cpu", compute_type=compute)
        )
        loaded[name], results[f"load {name}"] = timed(
            lambda p=path: load_backend(p, backend=backend, device="cpu", compute_type=compute)
        )
    models_file = write_models_file(models, HERE / "out")
    settings = Settings(
        models_file=models_file, backend=backend, device="cpu", compute_type=compute
    )
    raw = backend == "ctranslate2"
    for name, beams, batch, count in TRANSLATE_CASES:
        jobs = {"": translate_job(settings, beams, batch, sentences(count))}
        if raw:
            jobs["raw "] = raw_translate_job(loaded[MARIAN], beams, batch, sentences(count))
        for prefix, seconds in best_times(repeat, jobs).items():
            results[f"{prefix}translate {name}"] = count * OUTPUT_TOKENS / seconds
    text = article(loaded[BART].count_tokens)
    results["article tokens"] = loaded[BART].count_tokens([text])[0]
    jobs = {"": summarize_job(settings, text)}
    if raw:
        jobs["raw "] = raw_summarize_job(loaded[BART], text)
    for prefix, seconds in best_times(repeat, jobs).items():
        results[f"{prefix}summarize"] = seconds
    return results


def translate_job(settings: Any, beams: int, batch: int, texts: list[str]) -> Callable[[], object]:
    from lingosum import TranslateOptions, translate_batch

    options = TranslateOptions(num_beams=beams, batch_size=batch, max_new_tokens=OUTPUT_TOKENS)
    sources = ["en"] * len(texts)
    return lambda: translate_batch(texts, "ru", sources=sources, options=options, settings=settings)


def summarize_job(settings: Any, text: str) -> Callable[[], object]:
    from lingosum import SummarizeOptions, summarize

    options = SummarizeOptions(length="medium", num_beams=4)
    return lambda: summarize(text, "en", source="en", options=options, settings=settings)


def raw_translator(backend: Any) -> Any:
    import ctranslate2

    threads = len(os.sched_getaffinity(0))
    return ctranslate2.Translator(
        str(backend.directory), device="cpu", compute_type="int8", intra_threads=threads
    )


def raw_translate_job(
    backend: Any, beams: int, batch: int, texts: list[str]
) -> Callable[[], object]:
    translator = raw_translator(backend)
    tokens = [backend.tokenizer.encode(text) for text in texts]
    settings = {
        "beam_size": beams,
        "max_decoding_length": OUTPUT_TOKENS,
        "min_decoding_length": 0,
        "max_input_length": 0,
        "max_batch_size": batch,
    }
    if batch == 1:
        return lambda: [translator.translate_batch([one], **settings) for one in tokens]
    return lambda: translator.translate_batch(tokens, **settings)


def raw_summarize_job(backend: Any, text: str) -> Callable[[], object]:
    translator = raw_translator(backend)
    source = backend.tokenizer.encode(text)
    low, high = SUMMARY_TOKENS
    return lambda: translator.translate_batch(
        [source],
        beam_size=4,
        min_decoding_length=low,
        max_decoding_length=high,
        length_penalty=2.0,
        no_repeat_ngram_size=3,
        max_input_length=0,
    )


# --- the driver ---------------------------------------------------------------------------------


def run_worker(args: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cli_run(backend: str, models_file: Path) -> tuple[float, float]:
    """Peak RSS (MB) and wall time (s) of one ``lingosum translate`` process."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "in.txt"
        source.write_text(" ".join(sentences(CLI_SENTENCES)), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "lingosum",
            "translate",
            "--to",
            "ru",
            "--from",
            "en",
            "--models",
            str(models_file),
            "--backend",
            backend,
            "--device",
            "cpu",
            "--quiet",
            "--output",
            str(Path(scratch) / "out.txt"),
            str(source),
        ]
        with open(Path(scratch) / "err.txt", "w") as errors:
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit((Path(scratch) / "err.txt").read_text(encoding="utf-8"))
    return usage.ru_maxrss / 1024, wall


def write_models_file(models: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "models.toml"
    path.write_text(
        f'[translator]\n"en-ru" = "{models / MARIAN}"\n\n[summarizer]\n"en" = "{models / BART}"\n',
        encoding="utf-8",
    )
    return path


def row(label: str, values: Sequence[str]) -> str:
    return f"{label:<34}" + "".join(f"{value:>19}" for value in values)


def report(
    hf: dict[str, float],
    fast: dict[str, float],
    raw: dict[str, float],
    cli: dict[str, tuple[float, float]],
) -> list[str]:
    lines = [
        row("", ["transformers fp32", "ct2 int8", "raw ct2 int8", "ct2/transformers", "ct2/raw"])
    ]
    for name, *_ in TRANSLATE_CASES:
        key = f"translate {name}"
        lines.append(
            row(
                f"{key} (tok/s)",
                [
                    f"{hf[key]:.0f}",
                    f"{fast[key]:.0f}",
                    f"{raw[key]:.0f}",
                    f"{fast[key] / hf[key]:.2f}x",
                    f"{fast[key] / raw[key]:.2f}",
                ],
            )
        )
    s = "summarize"
    lines.append(
        row(
            f"summarize {hf['article tokens']:.0f} tok beam4 (s)",
            [
                f"{hf[s]:.2f}",
                f"{fast[s]:.2f}",
                f"{raw[s]:.2f}",
                f"{hf[s] / fast[s]:.2f}x",
                f"{raw[s] / fast[s]:.2f}",
            ],
        )
    )
    for name in (MARIAN, BART):
        lines.append(
            row(
                f"load {name} (s)",
                [f"{hf[f'load {name}']:.2f}", f"{fast[f'load {name}']:.2f}", "", "", ""],
            )
        )
        how = "cached" if fast[f"cached {name}"] else "converting"
        lines.append(
            row(f"  first load, {how} (s)", ["", f"{fast[f'first load {name}']:.2f}", "", "", ""])
        )
    lines.append(
        row(
            "CLI translate peak RSS (MB)",
            [f"{cli['transformers'][0]:.0f}", f"{cli['ctranslate2'][0]:.0f}", "", "", ""],
        )
    )
    lines.append(
        row(
            f"CLI translate wall, {CLI_SENTENCES} sent (s)",
            [f"{cli['transformers'][1]:.1f}", f"{cli['ctranslate2'][1]:.1f}", "", "", ""],
        )
    )
    return lines


def goals(
    hf: dict[str, float],
    fast: dict[str, float],
    raw: dict[str, float],
    cli: dict[str, tuple[float, float]],
) -> list[str]:
    key = "translate greedy b32"
    checks = [
        ("translation >= 3x transformers (greedy, b32)", fast[key] / hf[key], 3.0, True),
        ("translation within 10% of raw ct2 (greedy, b32)", fast[key] / raw[key], 0.9, True),
        ("summarization >= 3.5x transformers", hf["summarize"] / fast["summarize"], 3.5, True),
        ("translate run peak RSS < 700 MB", cli["ctranslate2"][0], 700.0, False),
    ]
    return [
        f"{'met ' if (v >= limit if up else v < limit) else 'MISSED'}  {label}: {v:.2f}"
        for label, v, limit, up in checks
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=HERE / "models")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, help="pin each backend to this many CPUs (default: all)"
    )
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    models = args.models.resolve()
    os.environ.setdefault("LINGOSUM_CACHE", str(HERE / "out" / "cache"))
    if args.worker:
        if args.threads:
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.threads])
        print(json.dumps(worker(args.worker, models, args.repeat)))
        return
    if not (models / MARIAN).is_dir() or not (models / BART).is_dir():
        raise SystemExit(f"no models in {models}: run python bench/make_models.py first")
    models_file = write_models_file(models, HERE / "out")
    import ctranslate2
    import torch

    threads = args.threads or len(os.sched_getaffinity(0))
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; torch "
        f"{torch.__version__}, ctranslate2 {ctranslate2.__version__}, {threads} threads each; "
        f"best of {args.repeat}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    measured = {}
    for name in WORKERS:
        print(f"running {name}...", file=sys.stderr, flush=True)
        pinned = ["--threads", str(args.threads)] if args.threads else []
        measured[name] = run_worker(
            ["--worker", name, "--repeat", str(args.repeat), "--models", str(models), *pinned]
        )
    cli = {backend: cli_run(backend, models_file) for backend in WORKERS}
    hf, fast = measured["transformers"], measured["ctranslate2"]
    raw = {key.removeprefix("raw "): value for key, value in fast.items() if key[:4] == "raw "}
    lines = [*report(hf, fast, raw, cli), "", *goals(hf, fast, raw, cli)]
    lines.append(
        f"load average at the end: {os.getloadavg()[0]:.1f} (other processes skew timings)"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
