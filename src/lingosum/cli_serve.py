"""``lingosum serve``: a thin command over :mod:`lingosum.serve` (needs ``lingosum[serve]``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from lingosum.cli import (
    BackendOpt,
    BeamsOpt,
    ComputeOpt,
    DeviceOpt,
    ModelsOpt,
    OfflineOpt,
    QuietOpt,
    engine_from,
    run,
)
from lingosum.errors import ConfigError

HostOpt = Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 serves the network.")]
PortOpt = Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 = any free one).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Target languages offered (default: all).")]
KeysOpt = Annotated[
    Path | None, typer.Option("--api-keys", help="File of API keys, one a line: keys required.")
]
CharLimitOpt = Annotated[
    int, typer.Option(help="Most characters per request, a list's texts together (0 = none).")
]
BatchLimitOpt = Annotated[int, typer.Option(help="Most texts in one list request (0 = none).")]
WindowOpt = Annotated[
    int, typer.Option(help="Milliseconds a request waits for others to share a model call.")
]
MaxBatchOpt = Annotated[
    int, typer.Option(help="Most sentences per model call (1 = no batching across requests).")
]
QueueOpt = Annotated[int, typer.Option(help="Most requests waiting for the model (then 503).")]
ReqLimitOpt = Annotated[
    int, typer.Option(help="Requests per minute per client address (0 = no limit).")
]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds before a request is answered 504.")]
MaxTokensOpt = Annotated[int, typer.Option(help="Most tokens generated per translated sentence.")]
PreloadOpt = Annotated[bool, typer.Option(help="Load every model before serving.")]


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 5000,
    to: ToOpt = None,
    api_keys: KeysOpt = None,
    char_limit: CharLimitOpt = 10_000,
    batch_limit: BatchLimitOpt = 100,
    batch_window_ms: WindowOpt = 10,
    max_batch: MaxBatchOpt = 64,
    max_queue: QueueOpt = 256,
    req_limit: ReqLimitOpt = 300,
    timeout: TimeoutOpt = 60.0,
    beams: BeamsOpt = 4,
    max_tokens: MaxTokensOpt = 512,
    preload: PreloadOpt = False,
    device: DeviceOpt = "auto",
    backend: BackendOpt = "auto",
    compute_type: ComputeOpt = None,
    models: ModelsOpt = None,
    offline: OfflineOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Serve LibreTranslate's HTTP API and a web page, batching concurrent requests."""
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("starlette") is None:
        run(_missing_extra)
    from lingosum.serve.app import create_app
    from lingosum.serve.config import ServeConfig, read_api_keys
    from lingosum.serve.server import listen
    from lingosum.serve.server import preload as load_all
    from lingosum.serve.server import serve as serve_forever

    config = run(
        lambda: ServeConfig(
            targets=tuple(code.strip() for code in (to or "").split(",") if code.strip()),
            api_keys=read_api_keys(api_keys) if api_keys else None,
            char_limit=char_limit,
            batch_limit=batch_limit,
            batch_window_ms=batch_window_ms,
            max_batch=max_batch,
            max_queue=max_queue,
            req_limit=req_limit,
            timeout_s=timeout,
            beams=beams,
            max_tokens=max_tokens,
        ).check()
    )
    with engine_from(models, offline, device, backend, compute_type, quiet) as engine:
        app = run(lambda: create_app(engine, config))
        sock = run(lambda: listen(host, port))
        if preload:
            count = run(lambda: load_all(engine, config))
            typer.echo(f"lingosum: {count} models loaded", err=True)
        host, port = sock.getsockname()[:2]
        level = "warning" if quiet else "info"
        serve_forever(app, config, sock, log_level=level, on_ready=lambda: _ready(host, port))


def _ready(host: str, port: int) -> None:
    typer.echo(f"lingosum: serving on http://{host}:{port}/ (Ctrl-C to stop)", err=True)


def _missing_extra() -> None:
    raise ConfigError("lingosum serve needs its extra: pip install 'lingosum[serve]'")


def register(app: typer.Typer) -> None:
    app.command()(serve)
