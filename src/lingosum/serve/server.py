"""Running the app: bind the socket, optionally load every model, serve until SIGTERM.

uvicorn handles SIGINT and SIGTERM: it stops accepting connections, lets the requests in
flight finish (at most ``timeout_s`` more), then the app's lifespan stops the batcher.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from lingosum.errors import ConfigError
from lingosum.serve.config import ServeConfig
from lingosum.serve.languages import offered

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from lingosum.engine import Engine


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0 picks a free one).

    Raises:
        ConfigError: the address cannot be used (taken, not local, no permission).
    """
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(2048)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def preload(engine: Engine, config: ServeConfig) -> int:
    """Load every model the offered routes and the summarizer use, now rather than on the
    first request. All are checked (fetched when allowed) before any loads, so a missing
    one stops the start at once.

    Returns:
        How many models are loaded.

    Raises:
        ModelError: a model is missing or broken.
    """
    languages = offered(engine.registry, config.targets)
    specs = [
        spec
        for source, targets in languages.pairs.items()
        for spec in engine.job_models("translate", list(targets), source)
    ]
    specs += engine.job_models("summarize", list(languages.targets), None)
    unique = list(dict.fromkeys(specs))
    engine.check_models(unique)
    for spec in unique:
        engine.load(spec)
    return len(engine.loaded())


def serve(
    app: ASGIApp,
    config: ServeConfig,
    sock: socket.socket,
    *,
    log_level: str = "info",
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``app`` (from :func:`lingosum.serve.app.create_app`) on ``sock`` until SIGINT
    or SIGTERM; blocking. Call from the main thread (signal handlers live there).

    ``on_ready`` runs once uvicorn handles signals and the app has started, so that whoever
    waits for it can rely on SIGTERM being graceful from then on.
    """
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if on_ready is not None and self.started:
                on_ready()

    server = Server(
        uvicorn.Config(
            app,
            log_level=log_level,
            lifespan="on",
            timeout_graceful_shutdown=int(config.timeout_s) + 5,
        )
    )
    # uvicorn re-raises the signal it stopped on, after restoring this handler: a SIGTERM
    # that ended a graceful shutdown then exits 0, and one that comes before uvicorn
    # installs its own handlers still stops the server gracefully.
    previous = signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
