"""The ASGI app: LibreTranslate's API over one engine, plus ``/summarize`` and a web page.

Every endpoint that runs a model goes through the :class:`MicroBatcher`, so concurrent
requests share model calls; detection runs on a thread of its own. Errors are answered as
LibreTranslate answers them: ``{"error": "..."}`` with its status codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from lingosum.engine import Engine
from lingosum.errors import EngineClosedError, LingosumError, ModelError
from lingosum.serve.batcher import MicroBatcher, QueueFull
from lingosum.serve.config import ServeConfig
from lingosum.serve.fields import Fields, read_fields
from lingosum.serve.jobs import (
    HTML,
    TEXT,
    Detected,
    Job,
    JobKey,
    count_sentences,
    detect_candidates,
    detect_sources,
    make_runner,
)
from lingosum.serve.languages import Languages, name_of, offered
from lingosum.serve.limits import ApiError, RateLimiter, check_api_key, check_texts, missing
from lingosum.serve.middleware import BodyLimit, Cors

STATIC = Path(__file__).parent / "static"
MAX_ALTERNATIVES = 5
LENGTHS = ("short", "medium", "long")
# Seconds a client told "queue full" should wait before trying again.
RETRY_AFTER_S = 2
UNDETERMINED = {"confidence": 0.0, "language": "und"}
log = logging.getLogger("lingosum.serve")

Handler = Callable[[Request], Awaitable[Any]]


class Service:
    """The state the endpoints share: engine, limits, languages and the batcher."""

    def __init__(self, engine: Engine, config: ServeConfig, languages: Languages) -> None:
        self.engine = engine
        self.config = config
        self.languages = languages
        self.limiter = RateLimiter(config.req_limit)
        self.batcher = MicroBatcher(
            make_runner(engine, config),
            window_s=config.batch_window_ms / 1000,
            max_batch=config.max_batch,
            max_queue=config.max_queue,
        )

    def guard(self, request: Request, fields: Fields) -> None:
        """API key first (as LibreTranslate checks it), then the client's rate."""
        check_api_key(fields.text("api_key") or None, self.config)
        self.limiter.check(request.client.host if request.client else "unknown")

    def sources_for(self, source: str, texts: list[str], fmt: str, target: str) -> list[Detected]:
        """Each text's source language: the given code, or detected when ``auto``.

        Raises:
            ApiError: 400 for an unknown source, or no route from it to ``target``.
        """
        if source == "auto":
            found = detect_sources(self.engine, texts, fmt)
        else:
            found = [Detected(source.strip().lower(), 100.0)] * len(texts)
        for detected in found:
            code = detected.language
            if code != target and target not in self.languages.pairs.get(code, ()):
                if code not in self.languages.pairs:
                    raise ApiError(400, f"{code} is not supported")
                raise ApiError(
                    400,
                    f"{name_of(target)} ({target}) is not available as a target language "
                    f"from {name_of(code)} ({code})",
                )
        return found


def endpoint(service: Service, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: a time limit, and every failure turned into a LibreTranslate error."""

    async def wrapped(request: Request) -> Response:
        try:
            body = await asyncio.wait_for(handler(request), service.config.timeout_s)
        except ApiError as error:
            return _error(error.status, error.message, error.headers)
        except QueueFull:
            headers = {"Retry-After": str(RETRY_AFTER_S)}
            return _error(503, "The server is busy; try again in a moment", headers)
        except EngineClosedError:
            return _error(503, "The server is shutting down", {"Retry-After": str(RETRY_AFTER_S)})
        except asyncio.TimeoutError:
            return _error(504, f"Request timed out after {service.config.timeout_s:g} s")
        except ModelError as error:
            return _error(500, f"Cannot translate text: {error}")
        except LingosumError as error:
            return _error(400, str(error))
        except Exception as error:
            log.exception("unexpected error on %s", request.url.path)
            return _error(500, f"Cannot translate text: {error}")
        return JSONResponse(body)

    return wrapped


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def translate(service: Service, request: Request) -> object:
    fields = await read_fields(request)
    service.guard(request, fields)
    texts, is_list = fields.texts("q")
    source, target = fields.text("source") or "auto", fields.text("target")
    if not target:
        raise missing("target")
    fmt = fields.text("format", TEXT)
    if fmt not in (TEXT, HTML):
        raise ApiError(400, f"{fmt} format is not supported")
    alternatives = fields.number("alternatives", 0, MAX_ALTERNATIVES) if fmt == TEXT else 0
    check_texts(texts, is_list, service.config)
    target = service.languages.check_target(target.strip().lower())
    filled = _filled(texts)
    work = [texts[i] for i in filled]
    found = await asyncio.to_thread(service.sources_for, source, work, fmt, target)
    sources = tuple(d.language for d in found)
    size = count_sentences(work, list(sources), fmt)
    key = JobKey("translate", (target,), fmt, alternatives)
    rows = await service.batcher.submit(key, Job(tuple(work), sources), size)
    done = [row[0] for row in rows]
    out = _spread([r.text for r in done], filled, texts)
    body: dict[str, Any] = {"translatedText": _one(out, is_list)}
    if source == "auto":
        detected = _spread([d.to_dict() for d in found], filled, [UNDETERMINED] * len(texts))
        body["detectedLanguage"] = _one(detected, is_list)
    if alternatives:
        body["alternatives"] = _one(
            _spread([list(r.alternatives) for r in done], filled, [[]] * len(texts)), is_list
        )
    return body


def _filled(texts: list[str]) -> list[int]:
    """Positions of the texts with something to translate (blank ones come back as they
    are, without a model call).

    Raises:
        ApiError: 400 when every text is blank.
    """
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if not filled:
        raise missing("q")
    return filled


def _spread(values: list[Any], positions: list[int], fill: list[Any]) -> list[Any]:
    """``fill`` with ``values`` put at ``positions``."""
    out = list(fill)
    for position, value in zip(positions, values, strict=True):
        out[position] = value
    return out


async def summarize(service: Service, request: Request) -> object:
    fields = await read_fields(request)
    service.guard(request, fields)
    texts, is_list = fields.texts("q")
    targets, single = _targets(fields)
    codes = tuple(service.languages.check_target(code) for code in targets)
    length = fields.text("length", "medium")
    if length not in LENGTHS:
        raise ApiError(400, f"{length} length is not supported; choose from {', '.join(LENGTHS)}")
    check_texts(texts, is_list, service.config)
    filled = _filled(texts)
    work = [texts[i] for i in filled]
    source = fields.text("source") or "auto"
    found = await asyncio.to_thread(service.sources_for, source, work, TEXT, "en")
    key = JobKey("summarize", codes, TEXT, 0, length)
    rows = await service.batcher.submit(key, Job(tuple(work), tuple(d.language for d in found)))
    done = [row[0].text if single else {s.target_language: s.text for s in row} for row in rows]
    blank = "" if single else dict.fromkeys(codes, "")
    body: dict[str, Any] = {"summary": _one(_spread(done, filled, [blank] * len(texts)), is_list)}
    if source == "auto":
        detected = _spread([d.to_dict() for d in found], filled, [UNDETERMINED] * len(texts))
        body["detectedLanguage"] = _one(detected, is_list)
    return body


def _targets(fields: Fields) -> tuple[list[str], bool]:
    """``target`` as one code, a comma-separated string or a JSON list; and whether it was
    one code (answered with one summary, not a mapping of languages to summaries)."""
    value = fields.values.get("target")
    if isinstance(value, list):
        codes = [str(code).strip().lower() for code in value]
    else:
        codes = [code.strip().lower() for code in fields.text("target").split(",")]
    codes = [code for code in codes if code]
    if not codes:
        raise missing("target")
    return list(dict.fromkeys(codes)), isinstance(value, str) and "," not in value


async def detect(service: Service, request: Request) -> object:
    fields = await read_fields(request)
    service.guard(request, fields)
    texts, _ = fields.texts("q")
    check_texts(texts, False, service.config)
    found = await asyncio.to_thread(detect_candidates, service.engine, "\n".join(texts))
    return [d.to_dict() for d in found]


def _one(values: list[Any], is_list: bool) -> Any:
    return values if is_list else values[0]


def frontend_settings(service: Service) -> dict[str, Any]:
    targets = service.languages.targets
    default = next((code for code in targets if code != "en"), targets[0])
    return {
        "charLimit": service.config.char_limit or -1,
        "frontendTimeout": service.config.frontend_timeout_ms,
        "apiKeys": service.config.api_keys is not None,
        "keyRequired": service.config.api_keys is not None,
        "suggestions": False,
        "filesTranslation": False,
        "supportedFilesFormat": [],
        "language": {
            "source": {"code": "auto", "name": "Auto Detect"},
            "target": {"code": default, "name": name_of(default)},
        },
    }


def create_app(engine: Engine, config: ServeConfig) -> ASGIApp:
    """The server app for one engine (which the caller keeps and closes).

    Raises:
        UnsupportedLanguageError: ``config.targets`` names a target no model reaches.
    """
    service = Service(engine, config, offered(engine.registry, config.targets))

    def api(
        handler: Callable[[Service, Request], Awaitable[object]],
    ) -> Callable[[Request], Awaitable[Response]]:
        return endpoint(service, lambda request: handler(service, request))

    async def plain(body: object) -> object:
        return body

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        service.batcher.start()
        try:
            yield
        finally:
            await service.batcher.stop()

    routes = [
        Route("/", lambda _: FileResponse(STATIC / "index.html")),
        Route("/translate", api(translate), methods=["POST"]),
        Route("/detect", api(detect), methods=["POST"]),
        Route("/summarize", api(summarize), methods=["POST"]),
        Route("/languages", api(lambda s, _: plain(s.languages.to_list())), methods=["GET"]),
        Route("/frontend/settings", api(lambda s, _: plain(frontend_settings(s)))),
        Route("/health", api(lambda s, _: plain({"status": "ok", **_health(s)}))),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    return Cors(BodyLimit(app, config.body_limit))


def _health(service: Service) -> dict[str, Any]:
    return {"batching": service.batcher.stats.to_dict()}
