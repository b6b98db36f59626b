"""The models on this machine: which routes need which model, what is cached, fetching
ahead of time, and removing.

Nothing here touches the network except :func:`download`; every status comes from the
local Hugging Face cache (see :mod:`lingosum.hub`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from lingosum import hub
from lingosum.errors import ConfigError, ModelError, ModelNotCachedError
from lingosum.network import DEFAULT_TIMEOUT
from lingosum.registry import (
    DEFAULT_SUMMARIZERS,
    DEFAULT_TRANSLATORS,
    MANY_TO_ENGLISH,
    PIVOT,
    TARGET_LANGUAGES,
    TASKS,
    ModelSpec,
    Registry,
    TaskName,
    check_hub_id,
)

State = Literal["ready", "missing", "broken"]


@dataclass(frozen=True)
class Route:
    """One job the tool can do, and the models it runs, in order."""

    task: TaskName
    source: str
    target: str
    legs: tuple[ModelSpec, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "source": self.source,
            "target": self.target,
            "models": [leg_name(spec) for spec in self.legs],
        }


@dataclass(frozen=True)
class ModelStatus:
    """A model of the registry and its state in the local cache.

    ``state`` is ``ready`` (complete on disk), ``missing`` (not cached) or ``broken``
    (cached but incomplete; ``problem`` says which file and the fix).
    """

    spec: ModelSpec
    state: State
    path: Path | None = None
    size_bytes: int | None = None
    problem: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def to_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "name": leg_name(spec),
            "task": spec.task,
            "model": spec.model,
            "revision": spec.revision,
            "source": spec.kind,
            "url": spec.url,
            "pin": spec.pin,
            "sha256": _release_sha256(spec),
            "target_token": spec.target_token,
            "license": spec.license,
            "score": spec.score,
            "overridden_by": spec.overridden_by,
            "state": self.state,
            "path": str(self.path) if self.path else None,
            "size_bytes": self.size_bytes,
            "problem": self.problem or None,
        }


@dataclass(frozen=True)
class Inventory:
    """Every model in force with its cache state, and every route with the models it uses."""

    cache: Path
    models: tuple[ModelStatus, ...]
    routes: tuple[Route, ...]

    def status(self, spec: ModelSpec) -> ModelStatus:
        """The status of ``spec``'s model (looked up by id and revision)."""
        for status in self.models:
            if _identity(status.spec) == _identity(spec):
                return status
        return model_status(spec)

    def route_ready(self, route: Route) -> bool:
        return all(self.status(spec).ready for spec in route.legs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cache": str(self.cache),
            "models": [status.to_dict() for status in self.models],
            "routes": [
                {**route.to_dict(), "ready": self.route_ready(route)} for route in self.routes
            ],
        }


@dataclass(frozen=True)
class DownloadRequest:
    """Which models ``lingosum models download`` fetches.

    ``models`` (ids or keys) win over ``everything`` (the whole table), which wins over the
    routes from each of ``sources`` to each of ``targets`` for ``tasks``. ``revision``
    applies to a single model. ``timeout``: seconds a server has to answer the probe made
    before any download.
    """

    tasks: tuple[TaskName, ...] = TASKS
    sources: tuple[str, ...] = (PIVOT,)
    targets: tuple[str, ...] = ("az", "ka", "ru")
    everything: bool = False
    models: tuple[str, ...] = ()
    revision: str | None = None
    force: bool = False
    quiet: bool = False
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Fetched:
    """The outcome of fetching one model: its status afterwards, or why it failed."""

    status: ModelStatus
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.status.to_dict(), "error": self.error or None}


@dataclass(frozen=True)
class DownloadReport:
    """What a download fetched and which of the requested routes now work offline."""

    fetched: tuple[Fetched, ...]
    inventory: Inventory

    @property
    def ok(self) -> bool:
        return all(not item.error for item in self.fetched)

    def to_dict(self) -> dict[str, Any]:
        return {"fetched": [item.to_dict() for item in self.fetched], **self.inventory.to_dict()}


@dataclass(frozen=True)
class Removal:
    """What ``remove`` deleted from the cache."""

    model: str
    revisions: tuple[str, ...]
    freed_bytes: int


def leg_name(spec: ModelSpec) -> str:
    """How a model is named in route listings: ``en-ru`` or ``summarizer:en``."""
    return spec.key if spec.task == "translator" else f"summarizer:{spec.key}"


def sources(registry: Registry) -> list[str]:
    """Languages the tool reads: every language with its own model into English, and English."""
    found = {
        key.split("-")[0]
        for key in registry.translators
        if key.endswith(f"-{PIVOT}") and key != MANY_TO_ENGLISH
    }
    return sorted(found | {PIVOT})


def plan_routes(
    registry: Registry,
    tasks: Iterable[TaskName],
    from_languages: Iterable[str],
    to_languages: Iterable[str],
) -> list[Route]:
    """The routes for every task, source and target asked for, legs included.

    Raises:
        UnsupportedLanguageError: a pair has no route.
        ConfigError: summarizing is asked for and no summarizer is configured.
    """
    pairs = [(s, t) for s in dict.fromkeys(from_languages) for t in dict.fromkeys(to_languages)]
    routes = []
    for task in dict.fromkeys(tasks):
        for source, target in pairs:
            if task == "translate" and source != target:
                routes.append(Route(task, source, target, tuple(registry.route(source, target))))
            elif task == "summarize":
                legs = tuple(registry.summary_legs(source, target))
                routes.append(Route(task, source, target, legs))
    return routes


def parse_tasks(names: Iterable[str]) -> tuple[TaskName, ...]:
    """``["translate"]`` -> ``("translate",)``, validated, duplicates dropped.

    Raises:
        ConfigError: an unknown task name.
    """
    chosen: list[TaskName] = []
    for name in names:
        task = next((t for t in TASKS if t == name.strip().lower()), None)
        if task is None:
            raise ConfigError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
        chosen.append(task)
    return tuple(dict.fromkeys(chosen))


def all_routes(registry: Registry) -> list[Route]:
    """Every task and language pair the registry can do."""
    return plan_routes(registry, TASKS, sources(registry), TARGET_LANGUAGES)


def unique_models(specs: Iterable[ModelSpec]) -> list[ModelSpec]:
    """One spec per model id and revision, in first-seen order."""
    seen: dict[tuple[str, str | None], ModelSpec] = {}
    for spec in specs:
        seen.setdefault(_identity(spec), spec)
    return list(seen.values())


def _identity(spec: ModelSpec) -> tuple[str, str | None]:
    return spec.model, spec.revision


def model_status(spec: ModelSpec) -> ModelStatus:
    """Where ``spec``'s model is on disk and whether it is complete, without any network."""
    try:
        path = hub.model_dir(spec, offline=True)
    except ModelNotCachedError:
        return ModelStatus(spec, "missing")
    except ModelError as error:
        return ModelStatus(spec, "broken", problem=str(error))
    return ModelStatus(spec, "ready", path, size_on_disk(path))


def size_on_disk(path: Path) -> int:
    """Bytes used by the files of a model directory (cache symlinks followed, once each)."""
    files = {p.resolve() for p in path.rglob("*") if p.is_file()}
    return sum(f.stat().st_size for f in files)


def inventory(registry: Registry, routes: Sequence[Route] | None = None) -> Inventory:
    """The cache state of every model in ``registry``, and ``routes`` (default: all)."""
    chosen = all_routes(registry) if routes is None else list(routes)
    specs = unique_models([*registry.all_specs(), *(s for r in chosen for s in r.legs)])
    return Inventory(hub.cache_root(), tuple(map(model_status, specs)), tuple(chosen))


def find_model(registry: Registry, name: str, revision: str | None = None) -> list[ModelSpec]:
    """The registry's specs for ``name`` (a model id, or a key like ``en-ru``); an id the
    registry does not know is fetched as given (at ``revision``, else ``main``)."""
    by_key = registry.translators.get(name) or registry.summarizers.get(name)
    found = [by_key] if by_key else [s for s in registry.all_specs() if s.model == name]
    if not found:
        if not Path(name).expanduser().is_dir():
            check_hub_id(name, "--model")
        found = [ModelSpec("translator", "", name, revision, license="see the model's card")]
    if revision:
        found = [replace(spec, revision=revision) for spec in found]
    return unique_models(found)


def requested_models(registry: Registry, request: DownloadRequest) -> list[ModelSpec]:
    """The models a download request names (see :class:`DownloadRequest`)."""
    if request.models:
        return unique_models(
            spec for name in request.models for spec in find_model(registry, name, request.revision)
        )
    if request.everything:
        return unique_models(registry.all_specs())
    routes = plan_routes(registry, request.tasks, request.sources, request.targets)
    return unique_models(spec for route in routes for spec in route.legs)


def download(registry: Registry, request: DownloadRequest) -> DownloadReport:
    """Fetch the models ``request`` names into the cache, then report what works offline.

    huggingface_hub resumes an interrupted download; ``request.force`` fetches every file
    again. A failure on one model does not stop the others.

    Raises:
        ModelError: offline mode is on, or a server the models come from does not answer
            (checked once per server before any download; every model is named).
        UnsupportedLanguageError: a requested pair has no route.
    """
    if hub.is_offline():
        raise ModelError(
            "models download needs the network, and offline mode is on (HF_HUB_OFFLINE); "
            "unset it to download"
        )
    specs = requested_models(registry, request)
    _check_servers(specs, request.timeout)
    fetched = [_fetch_one(spec, request) for spec in specs]
    if request.models:
        routes: list[Route] = []
    elif request.everything:
        routes = all_routes(registry)
    else:
        routes = plan_routes(registry, request.tasks, request.sources, request.targets)
    statuses = tuple(item.status for item in fetched)
    return DownloadReport(tuple(fetched), Inventory(hub.cache_root(), statuses, tuple(routes)))


def _check_servers(specs: Sequence[ModelSpec], timeout: float) -> None:
    """Probe each server the ``specs`` download from, once; raise naming every model."""
    from lingosum.network import probe

    remote = [spec for spec in specs if not spec.is_local]
    for server in dict.fromkeys(filter(hub.is_remote, map(hub.download_url, remote))):
        result = probe(server, timeout)
        if not result.ok:
            names = ", ".join(spec.label for spec in remote)
            raise ModelError(f"cannot download {names}: {result.describe()}")


def _fetch_one(spec: ModelSpec, request: DownloadRequest) -> Fetched:
    try:
        path = hub.fetch(spec, force=request.force, quiet=request.quiet)
    except ModelError as error:
        return Fetched(model_status(spec), str(error))
    return Fetched(ModelStatus(spec, "ready", path, size_on_disk(path)))


def model_path(registry: Registry, name: str) -> Path:
    """The directory holding model ``name`` (id or key), complete, without any network.

    Raises:
        ModelNotCachedError: the model is not in the cache (the message says how to fetch
            it, when it is one of the model table's).
        ModelCorruptError: it is cached but broken.
    """
    spec = find_model(registry, name)[0]
    try:
        return hub.model_dir(spec, offline=True)
    except ModelNotCachedError:
        where = "the local cache" + ("" if spec.is_release else f" ({hub.cache_root()})")
        if not spec.key:  # not a model of the table: do not suggest fetching a guess
            raise ModelNotCachedError(
                f"{name} is not in {where}, and it is no model or route key of lingosum's "
                "model table; 'lingosum models list' shows them"
            ) from None
        raise ModelNotCachedError(
            f"model {spec.label} is not in {where}; fetch it with: {hub.fetch_hint(spec)}"
        ) from None


def remove(model: str) -> Removal:
    """Delete every cached revision of Hub model ``model`` (huggingface_hub's cache API),
    or the unpacked native release named ``model`` (and forget its recorded hash).

    Raises:
        ModelNotCachedError: the model is not in the cache.
    """
    from huggingface_hub import CacheNotFound, scan_cache_dir

    from lingosum import releases

    if releases.is_release_dir(releases.release_path(model)):
        return Removal(model, ("release",), releases.remove(model))
    cache = hub.cache_root()
    try:
        info = scan_cache_dir(cache)
    except CacheNotFound:
        raise ModelNotCachedError(
            f"model {model} is not in the cache: no model is cached yet ({cache} does not exist)"
        ) from None
    repo = next((r for r in info.repos if r.repo_type == "model" and r.repo_id == model), None)
    if repo is None:
        raise ModelNotCachedError(f"model {model} is not in the cache at {cache}")
    hashes = tuple(sorted(revision.commit_hash for revision in repo.revisions))
    strategy = info.delete_revisions(*hashes)
    strategy.execute()
    return Removal(model, hashes, strategy.expected_freed_size)


def render_model_table() -> str:
    """The default models as a Markdown table (README's model table is exactly this)."""
    lines = [
        "| Route | Model | Source | Pinned to | Target token | Licence | Published score |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in [*DEFAULT_SUMMARIZERS.values(), *DEFAULT_TRANSLATORS.values()]:
        link = spec.url if spec.is_release else f"https://huggingface.co/{spec.model}"
        cells = [
            route_label(spec),
            f"[`{spec.model}`]({link})",
            "OPUS-MT release" if spec.is_release else "Hub",
            _pin_cell(spec),
            f"`{spec.target_token}`" if spec.target_token else "",
            spec.license,
            spec.score.replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _release_sha256(spec: ModelSpec) -> str | None:
    """A release's pinned hash, else the one recorded at its first download (or None)."""
    if not spec.is_release or spec.url is None:
        return None
    from lingosum.releases import recorded_sha256

    return spec.sha256 or recorded_sha256(spec.url)


def _pin_cell(spec: ModelSpec) -> str:
    if spec.is_release:
        return f"sha256 `{spec.sha256[:10]}`" if spec.sha256 else "sha256 recorded at 1st download"
    return f"`{spec.pin}`" if spec.pin != "main" else "main (not pinned)"


def route_label(spec: ModelSpec) -> str:
    """``summarize en``, ``en → ru``, or ``any → en`` for the many-to-English fallback
    (``-`` for a model fetched by id that no route uses)."""
    if not spec.key:
        return "-"
    if spec.task == "summarizer":
        return f"summarize {spec.key}"
    if spec.key == MANY_TO_ENGLISH:
        return f"any → {PIVOT} (fallback)"
    source, target = spec.key.split("-")
    return f"{source} → {target}"
