"""``lingosum models list|download|path|remove`` and ``lingosum doctor``: thin commands over
:mod:`lingosum.modelstore` and :mod:`lingosum.doctor`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from lingosum.cli import JsonOpt, ModelsOpt, QuietOpt, run
from lingosum.cli_base import fail
from lingosum.network import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from pathlib import Path

    from lingosum.doctor import DoctorReport
    from lingosum.modelstore import Inventory, ModelStatus, Route
    from lingosum.registry import Registry

models_app = typer.Typer(
    name="models",
    help="See, fetch ahead and remove the models lingosum uses.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ModelArg = Annotated[str, typer.Argument(help="A model id (org/name) or a route key (en-ru).")]
TimeoutOpt = Annotated[
    float,
    typer.Option(min=0.1, help="Seconds a server has to answer before it counts as unreachable."),
]
LangsOpt = Annotated[
    list[str] | None,
    typer.Option(help="Target languages, repeated or az,ka,ru (default az,ka,ru)."),
]


def register(app: typer.Typer) -> None:
    """Add the models group and doctor to ``app``."""
    app.add_typer(models_app, name="models")
    app.command()(doctor)


def _registry(models: Path | None) -> Registry:
    from lingosum.registry import load_registry

    return run(lambda: load_registry(models))


@models_app.command("list")
def list_models(
    as_json: JsonOpt = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the default models as README's table.")
    ] = False,
    models: ModelsOpt = None,
) -> None:
    """Every route, the model it uses, and whether that model is cached."""
    from lingosum.modelstore import inventory, render_model_table

    if markdown and as_json:
        fail("--json and --markdown are two formats; give one of them")
    if markdown:
        typer.echo(render_model_table(), nl=False)
        return
    found = run(lambda: inventory(_registry(models)))
    if as_json:
        typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(_models_table(found.models, f"Models (cache: {found.cache})"))
    typer.echo("\n" + _routes_table(found))


@models_app.command()
def download(
    to: LangsOpt = None,
    source: Annotated[
        list[str] | None, typer.Option("--from", help="Source languages (default en).")
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option(help="translate or summarize (default both).")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every model in the table.")] = False,
    model: Annotated[
        list[str] | None, typer.Option(help="Only this model id or route key (repeat it).")
    ] = None,
    revision: Annotated[str | None, typer.Option(help="Revision for one --model.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download again (repairs a broken copy).")
    ] = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    offline: Annotated[
        bool, typer.Option("--offline", help="Refused: downloading needs the network.")
    ] = False,
    as_json: JsonOpt = False,
    models: ModelsOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fetch the models for some routes (pivot legs included) so they work offline."""
    from lingosum.modelstore import TASKS, DownloadRequest, download, parse_tasks
    from lingosum.registry import PIVOT, parse_targets

    _check_download_options(to or source or task, everything, model, revision, offline)
    registry = _registry(models)
    targets = run(lambda: parse_targets(",".join(_split(to)), registry)) if to else None
    request = DownloadRequest(
        tasks=run(lambda: parse_tasks(_split(task))) or TASKS,
        sources=tuple(_split(source)) or (PIVOT,),
        targets=tuple(targets or DownloadRequest.targets),
        everything=everything,
        models=tuple(_split(model)),
        revision=revision,
        force=force,
        quiet=quiet,
        timeout=timeout,
    )
    report = run(lambda: download(registry, request))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        statuses = [item.status for item in report.fetched]
        typer.echo(_models_table(statuses, f"Fetched into {report.inventory.cache}"))
        if report.inventory.routes:
            typer.echo("\n" + _routes_table(report.inventory))
    for item in report.fetched:
        if item.error:
            typer.echo(f"lingosum: error: {item.error}", err=True)
    if not report.ok:
        raise typer.Exit(3)


@models_app.command()
def path(model: ModelArg, models: ModelsOpt = None) -> None:
    """Print the directory holding a cached model (fails if it is not cached)."""
    from lingosum.modelstore import model_path

    typer.echo(str(run(lambda: model_path(_registry(models), model))))


@models_app.command()
def remove(model: Annotated[str, typer.Argument(help="A model id (org/name).")]) -> None:
    """Delete every cached revision of a model."""
    from lingosum.modelstore import remove as remove_model

    done = run(lambda: remove_model(model))
    typer.echo(
        f"removed {done.model} ({len(done.revisions)} revision(s), "
        f"{human_size(done.freed_bytes)} freed)"
    )


def doctor(
    as_json: JsonOpt = False,
    models: ModelsOpt = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not check whether the Hub answers.")
    ] = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> None:
    """Versions, devices, cache, network and offline readiness: paste it into a bug report."""
    from lingosum.doctor import diagnose

    report = run(lambda: diagnose(_registry(models), offline=offline, timeout=timeout))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(_doctor_text(report))


def _check_download_options(
    routes: object, everything: bool, model: list[str] | None, revision: str | None, offline: bool
) -> None:
    """The option combinations ``models download`` cannot honour (exit 2)."""
    if offline:
        fail("models download needs the network; drop --offline ('lingosum models list' "
             "shows what is cached)")  # fmt: skip
    if model and everything:
        fail("--model and --all conflict; give one of them")
    if (model or everything) and routes:
        which = "--model" if model else "--all"
        fail(f"{which} conflicts with --to/--from/--task, which choose routes; give one way")
    if revision and len(_split(model)) != 1:
        fail("--revision needs exactly one --model")


def _split(values: Sequence[str] | None) -> list[str]:
    """``["az,ka", "ru"]`` -> ``["az", "ka", "ru"]``."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - the loop always returns


def _columns(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _models_table(statuses: Sequence[ModelStatus], title: str) -> str:
    from lingosum.modelstore import route_label

    rows = [["ROUTE", "MODEL", "PINNED TO", "TOKEN", "CACHE", "LICENCE", "PUBLISHED SCORE"]]
    notes: list[str] = []
    for status in statuses:
        spec = status.spec
        mark = " *" if spec.overridden_by else ""
        state = f"ready {human_size(status.size_bytes)}" if status.ready else status.state
        revision = _pin_text(status)
        rows.append(
            [
                route_label(spec) + mark,
                spec.model,
                revision,
                spec.target_token or "",
                state,
                spec.license,
                spec.score,
            ]
        )
        if status.problem:
            notes.append(f"  {status.problem}")
    overrides = sorted({s.spec.overridden_by for s in statuses if s.spec.overridden_by})
    notes += [f"  * overridden by {file}" for file in overrides]
    return "\n".join([title, _columns(rows), *notes])


def _pin_text(status: ModelStatus) -> str:
    """A Hub revision, or a release's sha256: pinned, recorded at first download, or not yet."""
    spec = status.spec
    if not spec.is_release:
        return spec.pin
    digest = status.to_dict()["sha256"]
    if spec.sha256:
        return f"sha256:{digest[:10]}"
    return f"sha256:{digest[:10]} (recorded)" if digest else "sha256 on 1st download"


def _routes_table(found: Inventory) -> str:
    rows = [["TASK", "FROM", "TO", "MODELS", "OFFLINE"]]
    for route in found.routes:
        rows.append(
            [
                route.task,
                route.source,
                route.target,
                " + ".join(_leg_names(route)),
                "ready" if found.route_ready(route) else "missing",
            ]
        )
    return "Routes\n" + _columns(rows) + _fetch_rest(found)


def _fetch_rest(found: Inventory) -> str:
    """The command that fetches every model not ready yet ('' when all are)."""
    if all(status.ready for status in found.models):
        return ""
    files = sorted({s.spec.overridden_by for s in found.models if s.spec.overridden_by})
    extra = f" --models {files[0]}" if files else ""
    return f"\nfetch the rest with: lingosum models download --all{extra}"


def _leg_names(route: Route) -> list[str]:
    from lingosum.modelstore import leg_name

    return [leg_name(spec) for spec in route.legs]


def _doctor_text(report: DoctorReport) -> str:
    dev = report.devices
    versions = ", ".join(f"{p.name} {p.version or 'not installed'}" for p in report.packages)
    lines = [
        f"python     {report.python} on {report.platform}",
        f"packages   {versions}",
        f"cpu        {dev.cpu}, {dev.cpu_count} threads; {' '.join(dev.cpu_features) or '-'}",
        f"cuda       {dev.cuda_note}",
        *(f"  gpu {g.index}    {g.name}, {human_size(g.memory_bytes)}" for g in dev.gpus),
    ]
    if dev.ctranslate2_cuda_devices is not None:
        lines.append(f"ct2        {dev.ctranslate2_cuda_devices} CUDA device(s) usable")
    free = human_size(report.cache_free_bytes)
    network = (
        "offline (--offline or HF_HUB_OFFLINE): not checked"
        if report.network is None
        else f"{report.network.describe()}; checked with one HEAD request, "
        f"{report.network.timeout:g} s timeout"
    )
    lines += [f"cache      {report.cache} ({free} free)", f"network    {network}"]
    lines += _readiness_lines(report.models)
    return "\n".join(lines)


def _readiness_lines(found: Inventory) -> list[str]:
    ready = [s for s in found.models if s.ready]
    lines = [f"models     {len(ready)} of {len(found.models)} ready offline"]
    lines += [f"  {s.state:<8} {s.spec.model}" for s in found.models if not s.ready]
    routes = [r for r in found.routes if found.route_ready(r)]
    lines.append(f"routes     {len(routes)} of {len(found.routes)} ready offline")
    for task in dict.fromkeys(r.task for r in found.routes):
        pairs = " ".join(f"{r.source}>{r.target}" for r in routes if r.task == task)
        lines.append(f"  {task:<10} {pairs or '-'}")
    return [*lines, *_fetch_rest(found).splitlines()[1:]]
