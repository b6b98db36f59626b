"""The ``lingosum`` command: a thin shell over the library.

Each command parses options, calls one library function, prints the result and sets the
exit code. Errors become one line on stderr; tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from lingosum.cli_base import length_option, make_strict, root, run_app, source_option
from lingosum.errors import LingosumError

if TYPE_CHECKING:
    from lingosum.documents import Source
    from lingosum.engine import Engine
    from lingosum.settings import Settings

# `lingosum` alone prints the help and exits 2, as click does for a group called without a
# command: it is a usage error. Repeated options: see lingosum.cli_base.
app = typer.Typer(
    name="lingosum",
    help="Detect, summarize and translate text into Azerbaijani, Georgian or Russian.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.callback()(root)

T = TypeVar("T")
DEFAULT_MAX_CHARS = 2_000_000

FileArg = Annotated[
    str, typer.Argument(help="File to read, an http(s) URL, or - for standard input.")
]
InputFormatOpt = Annotated[
    str,
    typer.Option(
        "--input-format",
        help="text, html, markdown or auto (by extension, content type, then content).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per result.")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE, not stdout.")]
DeviceOpt = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
BackendOpt = Annotated[str, typer.Option(help="auto, transformers or ctranslate2.")]
ComputeOpt = Annotated[
    str | None, typer.Option(help="CTranslate2 compute type: int8, int8_float32, float32...")
]
ModelsOpt = Annotated[
    Path | None,
    typer.Option("--models", envvar="LINGOSUM_MODELS", help="TOML file overriding models."),
]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Never touch the network; use cached models.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No warnings or progress.")]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from", help="Source language code (default: detect it).", callback=source_option
    ),
]
LengthOpt = Annotated[
    str, typer.Option(help="Summary length: short, medium or long.", callback=length_option)
]
BeamsOpt = Annotated[int, typer.Option(min=1, max=16, help="Beam size: 1 is fastest, 4 is best.")]
MaxCharsOpt = Annotated[
    int, typer.Option(min=0, help="Refuse longer input (0 = no limit).", show_default=True)
]


def settings_from(
    models: Path | None, offline: bool, device: str, backend: str, compute: str | None
) -> Settings:
    """Build the library's Settings from the common options."""
    from lingosum.settings import Settings

    return run(lambda: Settings(models, offline, device, backend, compute))


def engine_from(
    models: Path | None,
    offline: bool,
    device: str,
    backend: str,
    compute: str | None,
    quiet: bool,
) -> Engine:
    """An engine for one command, its notices printed as warnings (unless ``quiet``)."""
    from lingosum.engine import Engine

    settings = settings_from(models, offline, device, backend, compute)
    return run(lambda: Engine(settings, notify=lambda message: warn(message, quiet)))


def warn(message: str, quiet: bool) -> None:
    if not quiet:
        typer.echo(f"lingosum: warning: {message}", err=True)


def run(action: Callable[[], T]) -> T:
    """Call into the library, turning its errors into one line and an exit code."""
    try:
        return action()
    except LingosumError as error:
        typer.echo(f"lingosum: error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None


def read_document(
    file: str, input_format: str, offline: bool, quiet: bool, max_chars: int
) -> Source:
    """A file, stdin or URL as a document of its format (see ``lingosum.documents``)."""
    from lingosum.documents import read_source

    source = run(
        lambda: read_source(
            file, input_format=input_format, offline=offline, max_chars=max_chars or None
        )
    )
    for message in source.warnings:
        warn(message, quiet)
    return source


def emit(
    results: Sequence[Any],
    as_json: bool,
    output: Path | None,
    quiet: bool,
    document: dict[str, Any] | None = None,
) -> None:
    """Print results (text, or one JSON object a line) to stdout or ``output``;
    ``document`` (a web page's title, author, date, URL) goes into each JSON object."""
    for result in results:
        for message in result.warnings:
            warn(message, quiet)
    if as_json:
        extra = {"document": document} if document else {}
        body = "".join(
            json.dumps({**r.to_dict(), **extra}, ensure_ascii=False) + "\n" for r in results
        )
    elif len(results) == 1:
        body = results[0].text + "\n"
    else:
        body = "".join(f"[{r.target_language}]\n{r.text}\n\n" for r in results)
    if output is None:
        sys.stdout.write(body)
        return
    try:
        output.write_text(body, encoding="utf-8")
    except OSError as error:
        typer.echo(f"lingosum: error: cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(1) from None


@app.command()
def detect(
    file: FileArg = "-",
    top: Annotated[
        int, typer.Option("--top", help="Show the N likeliest languages with probabilities.")
    ] = 1,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Say which language a text, file or web page (URL) is written in."""
    from lingosum.detect import detect_language

    text = read_document(file, "auto", False, quiet, 0).text  # a page: its article's text
    result = run(lambda: detect_language(text, top=top))
    candidates = [{"language": c.language, "probability": c.probability} for c in result.candidates]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "language": result.language,
                    "confidence": round(result.confidence, 4),
                    "reason": result.reason,
                    "candidates": candidates,
                }
            )
        )
    elif top > 1 and candidates:
        for candidate in result.candidates:
            typer.echo(f"{candidate.language}\t{candidate.probability:.2f}")
    else:
        typer.echo(f"{result.language}\t{result.confidence:.2f}")
    if result.language == "und":
        warn(f"cannot tell the language: {result.reason}", quiet)
        raise typer.Exit(1)


@app.command()
def summarize(
    file: FileArg = "-",
    to: Annotated[
        str, typer.Option(help="Target language(s): en, az, ka, ru; or az,ka,ru.")
    ] = "en",
    source: FromOpt = None,
    length: LengthOpt = "medium",
    beams: BeamsOpt = 4,
    as_json: JsonOpt = False,
    output: OutOpt = None,
    device: DeviceOpt = "auto",
    backend: BackendOpt = "auto",
    compute_type: ComputeOpt = None,
    models: ModelsOpt = None,
    offline: OfflineOpt = False,
    quiet: QuietOpt = False,
    max_chars: MaxCharsOpt = DEFAULT_MAX_CHARS,
    input_format: InputFormatOpt = "auto",
) -> None:
    """Summarize a text, file or web page (URL) into one or more languages."""
    from lingosum.documents import summarize_source
    from lingosum.registry import parse_targets
    from lingosum.summarize import SummarizeOptions
    from lingosum.translate import TranslateOptions

    with engine_from(models, offline, device, backend, compute_type, quiet) as engine:
        targets = run(lambda: parse_targets(to, engine.registry))
        document = read_document(file, input_format, offline, quiet, max_chars)
        options = SummarizeOptions(length, beams, translation=TranslateOptions(num_beams=beams))
        results = run(
            lambda: summarize_source(engine, document, targets, language=source, options=options)
        )
    emit(results, as_json, output, quiet, document.metadata())


@app.command()
def translate(
    to: Annotated[str, typer.Option(help="Target language(s): az, ka, ru, en; or az,ka,ru.")],
    file: FileArg = "-",
    source: FromOpt = None,
    beams: BeamsOpt = 4,
    as_json: JsonOpt = False,
    output: OutOpt = None,
    device: DeviceOpt = "auto",
    backend: BackendOpt = "auto",
    compute_type: ComputeOpt = None,
    models: ModelsOpt = None,
    offline: OfflineOpt = False,
    quiet: QuietOpt = False,
    max_chars: MaxCharsOpt = DEFAULT_MAX_CHARS,
    input_format: InputFormatOpt = "auto",
) -> None:
    """Translate a text, HTML or Markdown file, or web page (URL), keeping its structure."""
    from lingosum.documents import translate_source
    from lingosum.registry import parse_targets
    from lingosum.translate import TranslateOptions

    with engine_from(models, offline, device, backend, compute_type, quiet) as engine:
        targets = run(lambda: parse_targets(to, engine.registry))
        document = read_document(file, input_format, offline, quiet, max_chars)
        options = TranslateOptions(num_beams=beams)
        results = run(
            lambda: translate_source(engine, document, targets, language=source, options=options)
        )
    emit(results, as_json, output, quiet, document.metadata())


def main() -> None:
    """Console entry point: one line and exit 2 for a usage error, 130 for Ctrl-C."""
    sys.exit(run_app(app))


def _register_command_groups() -> None:
    """Commands that live in their own modules (batch; models and doctor)."""
    from lingosum import cli_batch, cli_models

    cli_batch.register(app)
    cli_models.register(app)
    from lingosum import cli_eval

    cli_eval.register(app)
    from lingosum import cli_serve

    cli_serve.register(app)
    make_strict(app)  # after every registration: the repeated-option rule for all commands


_register_command_groups()
