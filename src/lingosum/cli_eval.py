"""``lingosum eval translate|summarize``: thin commands over :mod:`lingosum.evaluate`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lingosum.cli import (
    BackendOpt,
    BeamsOpt,
    ComputeOpt,
    DeviceOpt,
    FromOpt,
    JsonOpt,
    LengthOpt,
    ModelsOpt,
    OfflineOpt,
    QuietOpt,
    engine_from,
    run,
)
from lingosum.errors import ConfigError

if TYPE_CHECKING:
    from lingosum.evaldata import EvalData
    from lingosum.evaluate import EvalResult

eval_app = typer.Typer(
    name="eval",
    help="Score the configured models on your own data (chrF/chrF++/BLEU, ROUGE).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FilesArg = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="SOURCE REFERENCE",
        help="SOURCE and REFERENCE files, one segment a line (or use --data).",
        show_default=False,
    ),
]
DataOpt = Annotated[Path | None, typer.Option("--data", help="A FLORES-200 or NTREX-128 folder.")]
ToOpt = Annotated[str, typer.Option("--to", help="Target language: az, ka, ru, en...")]
LimitOpt = Annotated[int | None, typer.Option(min=1, help="Score only the first N items.")]
BatchOpt = Annotated[
    int, typer.Option(min=1, help="Items handed to the library at once (progress steps).")
]
JsonlArg = Annotated[Path, typer.Argument(help='JSON Lines of {"text": ..., "summary": ...}.')]


def register(app: typer.Typer) -> None:
    """Add the eval group to ``app``."""
    app.add_typer(eval_app, name="eval")


@eval_app.command("translate")
def translate(
    to: ToOpt,
    files: FilesArg = None,
    data: DataOpt = None,
    source: FromOpt = None,
    limit: LimitOpt = None,
    beams: BeamsOpt = 4,
    batch_size: BatchOpt = 64,
    as_json: JsonOpt = False,
    device: DeviceOpt = "auto",
    backend: BackendOpt = "auto",
    compute_type: ComputeOpt = None,
    models: ModelsOpt = None,
    offline: OfflineOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Translate SOURCE (or --data DIR) and score it against REFERENCE: chrF, chrF++, BLEU."""
    from lingosum.evaluate import evaluate_translation

    corpus = run(lambda: _parallel(files or [], data, source, to, limit))
    engine = engine_from(models, offline, device, backend, compute_type, quiet)
    with engine, _progress(quiet) as step:
        result = run(
            lambda: evaluate_translation(
                engine, corpus, source, to, beams=beams, batch_size=batch_size, progress=step
            )
        )
    _show(result, as_json)


@eval_app.command("summarize")
def summarize(
    file: JsonlArg,
    to: Annotated[str, typer.Option(help="Language of the reference summaries.")] = "en",
    source: FromOpt = None,
    length: LengthOpt = "medium",
    limit: LimitOpt = None,
    beams: BeamsOpt = 4,
    batch_size: BatchOpt = 8,
    as_json: JsonOpt = False,
    device: DeviceOpt = "auto",
    backend: BackendOpt = "auto",
    compute_type: ComputeOpt = None,
    models: ModelsOpt = None,
    offline: OfflineOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Summarize each text of FILE and score it against its summary: ROUGE-1/2/L."""
    from lingosum.evaldata import load_summaries
    from lingosum.evaluate import evaluate_summaries
    from lingosum.summarize import SummarizeOptions
    from lingosum.translate import TranslateOptions

    corpus = run(lambda: load_summaries(file, limit))
    options = SummarizeOptions(length, beams, translation=TranslateOptions(num_beams=beams))
    engine = engine_from(models, offline, device, backend, compute_type, quiet)
    with engine, _progress(quiet) as step:
        result = run(
            lambda: evaluate_summaries(
                engine,
                corpus,
                to,
                source=source,
                options=options,
                batch_size=batch_size,
                progress=step,
            )
        )
    _show(result, as_json)


def _parallel(
    files: list[Path], data: Path | None, source: str | None, to: str, limit: int | None
) -> EvalData:
    """SOURCE and REFERENCE files, or a benchmark folder (which needs --from)."""
    from lingosum.evaldata import load_benchmark, load_parallel

    if data is not None and not files and source:
        return load_benchmark(data, source, to, limit)
    if data is None and len(files) == 2:
        return load_parallel(files[0], files[1], limit)
    raise ConfigError("give SOURCE and REFERENCE files, or --data DIR with --from and --to")


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal (a log gains nothing from one)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("eval", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _show(result: EvalResult, as_json: bool) -> None:
    """Print the scores, their signatures and the models, or one JSON object."""
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    source = result.source_language or "detected"
    lines = [
        f"{result.task} {source} -> {result.target_language}: {result.segments} items "
        f"from {result.origin} in {result.seconds:.1f} s",
        "",
        *(f"  {s.metric:<8} {s.score:6.2f}   {s.signature}" for s in result.scores),
        "",
        "models:" if result.models else "models: none (source and target are the same)",
    ]
    for use in result.models:
        fields = use.to_dict()
        pin = fields.get("sha256") or fields.get("revision") or "local"
        how = " ".join(str(fields[k]) for k in ("backend", "compute_type") if fields.get(k))
        lines.append(f"  {fields['role']:<16} {fields['model']} @ {pin} ({how})")
    lines.append(f"backend {result.backend}, compute type {result.compute_type or 'default'}")
    typer.echo("\n".join(lines))
