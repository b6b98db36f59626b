"""Documents per second: ``lingosum batch`` against the library called once per document.

    python bench/batch_throughput.py [--docs 300] [--task translate|summarize]
                                     [--size tiny|bench] [--backend transformers] [--jobs 2]
                                     [--model-batch N]

Generates a few hundred short English news-like documents (2 to 6 sentences from the test
corpus), then, each in a fresh process so that both pay the same start-up and model loading:

  * ``lingosum batch DOCS --task ... --to ru -o OUT.jsonl`` (sentences of many documents
    batched together, sorted by length);
  * a loop calling ``lingosum.translate(text, "ru")`` (or ``summarize``) once per document,
    the obvious way to use the library, writing the same JSONL records.

``--size tiny`` builds the tests' tiny random models (seconds); ``--size bench`` uses the
real-size random models of ``bench/make_models.py`` (``bench/models``). Random weights never
end a sequence, so every output runs to its length cap and the work is the same in both
modes. This is a benchmark to run by hand, not a timed test. The goal: batch at least 5x the
loop on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from model_factory import corpus_lines, make_bart, make_marian  # noqa: E402

TARGET = "ru"
BENCH_MODELS = {"marian": "opus-mt-en-ru-size", "bart": "distilbart-cnn-12-6-size"}


def make_documents(folder: Path, count: int, seed: int = 0) -> int:
    """``count`` documents of 2 to 6 English sentences; returns the number of sentences."""
    english = [line for line in corpus_lines() if line.isascii()]
    chooser = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    sentences = 0
    for i in range(count):
        size = chooser.randint(2, 6)
        sentences += size
        text = " ".join(chooser.choice(english) for _ in range(size))
        (folder / f"doc{i:04}.txt").write_text(text + "\n", encoding="utf-8")
    return sentences


def models_file(size: str, root: Path) -> Path:
    """A models override pointing every route this benchmark uses at local models."""
    if size == "bench":
        marian = HERE / "models" / BENCH_MODELS["marian"]
        bart = HERE / "models" / BENCH_MODELS["bart"]
        if not marian.is_dir() or not bart.is_dir():
            sys.exit("bench-size models missing: run python bench/make_models.py first")
    else:
        marian = make_marian(root / "marian")
        bart = make_bart(root / "bart", max_position_embeddings=128)
    path = root / "models.toml"
    path.write_text(
        f'[translator]\n"en-{TARGET}" = "{marian}"\n\n[summarizer]\n"en" = "{bart}"\n',
        encoding="utf-8",
    )
    return path


def run_loop(docs: Path, out: Path, args: argparse.Namespace) -> None:
    """The baseline, run in its own process: one library call per document."""
    import lingosum
    from lingosum.settings import Settings

    if args.jobs:
        import torch

        torch.set_num_threads(args.jobs)
    settings = Settings(models_file=args.models, backend=args.backend, device="cpu")
    translation = lingosum.TranslateOptions(num_beams=args.beams)
    summary = lingosum.SummarizeOptions(num_beams=args.beams, translation=translation)
    if args.model_batch:
        translation = replace(translation, batch_size=args.model_batch)
        summary = replace(summary, batch_size=args.model_batch, translation=translation)
    with out.open("w", encoding="utf-8") as handle:
        for path in sorted(docs.iterdir()):
            text = path.read_text(encoding="utf-8")
            if args.task == "translate":
                result: object = lingosum.translate(
                    text, TARGET, options=translation, settings=settings
                )
            else:
                result = lingosum.summarize(text, TARGET, options=summary, settings=settings)
            record = {"id": path.name, **result.to_dict()}  # type: ignore[attr-defined]
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return elapsed


def count_records(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def compare(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="lingosum-bench-") as temporary:
        root = Path(temporary)
        docs = root / "docs"
        sentences = make_documents(docs, args.docs)
        models = models_file(args.size, root)
        common = ["--backend", args.backend, "--beams", str(args.beams), "--jobs", str(args.jobs),
                  "--model-batch", str(args.model_batch)]  # fmt: skip

        def batch(inputs: Path, out: Path) -> list[str]:
            return [sys.executable, "-m", "lingosum", "batch", str(inputs), "--task", args.task,
                    "--to", TARGET, "-o", str(out), "--models", str(models), "--device", "cpu",
                    "--quiet", *common]  # fmt: skip

        loop = [sys.executable, __file__, "--worker", str(docs), str(root / "loop.jsonl"),
                "--models", str(models), "--task", args.task, *common]  # fmt: skip
        print(
            f"{args.docs} documents ({sentences} sentences), {args.task} en->{TARGET}, "
            f"{args.size} models, backend {args.backend}, beams {args.beams}, "
            f"threads {args.jobs or 'default'}, {os.cpu_count()} CPUs",
            flush=True,
        )
        # One document first, so that neither timed run pays for a CTranslate2 conversion
        # or a cold file cache.
        timed(batch(next(docs.iterdir()), root / "warm-up.jsonl"))
        seconds = {
            "lingosum batch": timed(batch(docs, root / "batch.jsonl")),
            "per-document loop": timed(loop),
        }
        for out in (root / "batch.jsonl", root / "loop.jsonl"):
            if count_records(out) != args.docs:
                sys.exit(f"{out.name} has {count_records(out)} records, not {args.docs}")
        for name, elapsed in seconds.items():
            print(f"{name:<19} {elapsed:7.1f} s  {args.docs / elapsed:7.2f} docs/s")
        ratio = seconds["per-document loop"] / seconds["lingosum batch"]
        print(f"speedup             {ratio:7.1f}x  (goal: 5x)")
        print("(wall clock of each process, start-up and model loading included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--task", choices=("translate", "summarize"), default="translate")
    parser.add_argument("--size", choices=("tiny", "bench"), default="tiny")
    parser.add_argument("--backend", default="transformers")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2, help="CPU threads (0 = default)")
    parser.add_argument("--model-batch", type=int, default=0, help="sentences per model call")
    parser.add_argument("--models", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_loop(args.worker[0], args.worker[1], args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
