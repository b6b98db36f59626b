"""``lingosum batch``: a thin command over :func:`lingosum.batch.run_batch`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lingosum.cli import (
    DEFAULT_MAX_CHARS,
    BackendOpt,
    BeamsOpt,
    ComputeOpt,
    DeviceOpt,
    FromOpt,
    LengthOpt,
    MaxCharsOpt,
    ModelsOpt,
    OfflineOpt,
    QuietOpt,
    run,
    settings_from,
)
from lingosum.cli_base import Interrupted

InputsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, folders (searched recursively), .jsonl/.csv/.tsv tables "
        "(one document per row), or - for standard input.",
        show_default=False,
    ),
]
TaskOpt = Annotated[str, typer.Option(help="summarize or translate.", show_default=False)]
ToOpt = Annotated[str, typer.Option(help="Target language(s): az,ka,ru,en.", show_default=False)]
OutputOpt = Annotated[
    Path,
    typer.Option("--output", "-o", help="A .jsonl or .csv file, or a folder.", show_default=False),
]
FormatOpt = Annotated[
    str | None, typer.Option("--format", help="jsonl, csv or dir (default: from OUTPUT's name).")
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        help="Continue an interrupted job: skip pairs OUTPUT holds for the same text; redo "
        "texts that changed; refuse an OUTPUT made with other options or models."
    ),
]
RetryOpt = Annotated[
    bool,
    typer.Option(help="Like --resume, and run the documents that failed before once more."),
]
ForceOpt = Annotated[bool, typer.Option(help="Start OUTPUT over if it exists.")]
JobsOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="CPU threads for the models (0 = all this process may use). Documents are "
        "batched inside one process, so threads, not processes, are what scale.",
    ),
]
BatchSizeOpt = Annotated[
    int,
    typer.Option(
        help="Documents handed to the models together; their sentences are "
        "sorted by length and batched. Each batch is saved as it finishes."
    ),
]
ModelBatchOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="Sentences per model call (0 = the defaults: 16 to translate, 4 to summarize). "
        "Raise it on a GPU.",
    ),
]
GlobOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--glob", help="File patterns to read in folders (repeat it).  [default: *.txt, *.md]"
    ),
]
FieldOpt = Annotated[str, typer.Option(help="Key or column holding the text (tables).")]
IdFieldOpt = Annotated[
    str,
    typer.Option(
        help="Key or column holding the id (tables; ids must be unique); "
        "rows without one get FILE#<hash of the text>."
    ),
]


ExecutorOpt = Annotated[
    str,
    typer.Option(
        help="local (this process) or ray (the actors of a Ray cluster; "
        "pip install 'lingosum[ray]'). Same inputs, output and --resume either way."
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        help="With --executor ray: the cluster, auto or HOST:PORT (default: $RAY_ADDRESS, "
        "else a cluster started on this machine, else a new local one).",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="With --executor ray: worker actors, each loading the models once and "
        "running --jobs threads (0 means 1).  [default: 1]",
        show_default=False,
    ),
]
GpusOpt = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        help="With --executor ray: GPUs per worker (0.5 puts two workers on one GPU).  "
        "[default: 0]",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the batch command to ``app``."""
    app.command()(batch)


def batch(
    inputs: InputsArg,
    task: TaskOpt,
    to: ToOpt,
    output: OutputOpt,
    fmt: FormatOpt = None,
    resume: ResumeOpt = False,
    retry_failed: RetryOpt = False,
    force: ForceOpt = False,
    jobs: JobsOpt = 0,
    batch_size: BatchSizeOpt = 64,
    model_batch: ModelBatchOpt = 0,
    glob: GlobOpt = None,
    text_field: FieldOpt = "text",
    id_field: IdFieldOpt = "id",
    source: FromOpt = None,
    length: LengthOpt = "medium",
    beams: BeamsOpt = 4,
    max_chars: MaxCharsOpt = DEFAULT_MAX_CHARS,
    device: DeviceOpt = "auto",
    backend: BackendOpt = "auto",
    compute_type: ComputeOpt = None,
    models: ModelsOpt = None,
    offline: OfflineOpt = False,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    gpus_per_worker: GpusOpt = None,
) -> None:
    """Summarize or translate many documents into several languages, resumably.

    One record per document and target language goes to OUTPUT.
    Exit status: 0 all succeeded; 1 some failed (recorded, with the reason);
    2 usage error; 3 a model is missing; 130 interrupted (rerun with --resume).
    """
    from lingosum.batch import BatchOptions, InputOptions, OutputMode
    from lingosum.batch.progress import describe_report, progress_hooks

    translation, summary = _decoding(beams, length, model_batch)
    options = BatchOptions(
        task=task,
        targets=tuple(code for code in to.split(",") if code.strip()),
        output=output,
        format=fmt,
        source=source,
        mode=OutputMode(resume=resume, force=force, retry_failed=retry_failed),
        chunk_size=batch_size,
        threads=jobs,
        inputs=InputOptions(
            globs=tuple(glob or InputOptions().globs),
            text_field=text_field,
            id_field=id_field,
            max_chars=max_chars or None,
        ),
        summarize=summary,
        translate=translation,
    )
    settings = settings_from(models, offline, device, backend, compute_type)
    try:
        with progress_hooks(quiet) as hooks:
            cluster = (executor, address, workers, gpus_per_worker)
            report, lines = run(lambda: _execute(cluster, inputs, options, settings, hooks))
    except KeyboardInterrupt:  # lingosum.cli_base.run_app prints the one line, with this hint
        raise Interrupted("rerun with --resume to finish") from None
    if not quiet:
        for line in [describe_report(report), *lines]:
            typer.echo(f"lingosum batch: {line}", err=True)
    raise typer.Exit(0 if report.success else 1)


def _execute(
    cluster: tuple[str, str | None, int | None, float | None],
    inputs: list[str],
    options: Any,
    settings: Any,
    hooks: Any,
) -> tuple[Any, list[str]]:
    """Run the job on the chosen executor: its report, and a line per Ray worker."""
    from lingosum.batch import run_batch
    from lingosum.errors import ConfigError

    executor, address, workers, gpus = cluster
    if executor == "local":
        if address is not None or workers is not None or gpus is not None:
            raise ConfigError("--address, --workers and --gpus-per-worker need --executor ray")
        return run_batch(inputs, options, settings=settings, hooks=hooks), []
    if executor != "ray":
        raise ConfigError(f"unknown executor {executor!r}; choose from local, ray")
    from lingosum.batch.distributed import RayOptions, describe_workers, run_ray_batch

    where = RayOptions(address, workers or 1, gpus or 0.0)
    result = run_ray_batch(inputs, options, where, settings=settings, hooks=hooks)
    return result.batch, describe_workers(result.workers)


def _decoding(beams: int, length: str, model_batch: int) -> tuple[Any, Any]:
    """Translate and summarize options; ``model_batch`` 0 keeps the library's batch sizes."""
    from dataclasses import replace

    from lingosum.summarize import SummarizeOptions
    from lingosum.translate import TranslateOptions

    translation = TranslateOptions(num_beams=beams)
    summary = SummarizeOptions(length=length, num_beams=beams, translation=translation)
    if model_batch:
        translation = replace(translation, batch_size=model_batch)
        summary = replace(summary, batch_size=model_batch, translation=translation)
    return translation, summary
