"""Finding a model's files: a local directory, or the Hugging Face cache (downloading once).

huggingface_hub does the downloading, resuming and caching; HF_HOME, HF_HUB_CACHE,
HF_ENDPOINT and HF_HUB_OFFLINE are honoured as everywhere else in the Hugging Face ecosystem.
They are read when a model is needed, not when huggingface_hub is imported, so a change of
environment in a long-running process (or a test) is seen.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lingosum.errors import ModelCorruptError, ModelError, ModelNotCachedError, first_line
from lingosum.network import DEFAULT_TIMEOUT
from lingosum.paths import hub_cache
from lingosum.registry import ModelSpec

CONFIG_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.json",
    "source.spm",
    "target.spm",
)
# In order of preference: safetensors when the repository has it, else the PyTorch pickle.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
TRUE_VALUES = {"1", "true", "yes", "on"}
# Seconds huggingface_hub waits for each file's metadata (passed per call, never through
# HF_HUB_ETAG_TIMEOUT, which huggingface_hub reads once at import).
ETAG_TIMEOUT = 10.0


def allow_patterns(weights: str) -> list[str]:
    """The files fetched for a model: configs, tokenizer and one ``weights`` file."""
    return [*CONFIG_FILES, weights]


def is_offline(offline: bool = False) -> bool:
    """True when ``--offline`` was given or HF_HUB_OFFLINE is set to a true value."""
    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return offline or flag in TRUE_VALUES


def cache_root() -> Path:
    """The Hugging Face hub cache, resolved from the environment as huggingface_hub does."""
    return hub_cache()


def endpoint() -> str | None:
    """The Hub endpoint from HF_ENDPOINT (a mirror), or None for huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or None


def fetch_hint(spec: ModelSpec) -> str:
    """The exact command that puts ``spec``'s model in the cache."""
    return fetch_command([spec])


def fetch_command(specs: Sequence[ModelSpec]) -> str:
    """The one command that puts every model of ``specs`` in the cache."""
    command = "lingosum models download" + "".join(f" --model {s.model}" for s in specs)
    files = sorted({spec.overridden_by for spec in specs if spec.overridden_by})
    return command + (f" --models {files[0]}" if files else "")


def model_dir(spec: ModelSpec, *, offline: bool = False) -> Path:
    """A local directory holding every file ``spec``'s model needs.

    Raises:
        ModelNotCachedError: offline and the model is not in the cache.
        ModelError: the model id does not exist, or the download failed.
        ModelCorruptError: the files are there but incomplete or broken.
    """
    if spec.is_release:  # a native OPUS-MT release, not a Hub repository
        from lingosum.releases import release_dir

        return release_dir(spec, offline=is_offline(offline))
    if spec.is_local:
        path = Path(spec.model)
    elif _looks_like_path(spec.model):
        raise ModelError(f"model directory not found: {spec.model}")
    else:
        path = _snapshot(spec, offline=is_offline(offline))
    check_files(path, spec)
    return path


def prepare(
    specs: Sequence[ModelSpec], *, offline: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> dict[ModelSpec, Path]:
    """Find (or fetch) every model a job needs before the job starts, so that a missing
    or broken model fails at once, not halfway through the work. A cached model is used
    without any network; the missing ones are named together in one error, with the one
    command that fetches them all, when offline or when their server does not answer a
    probe within ``timeout`` seconds.

    Raises:
        ModelNotCachedError: offline, and some models are not cached (all are named).
        ModelError: their server is unreachable (all are named), or a download failed.
        ModelCorruptError: a cached model is broken.
    """
    found: dict[ModelSpec, Path] = {}
    missing: list[ModelSpec] = []
    for spec in dict.fromkeys(specs):
        try:
            found[spec] = model_dir(spec, offline=True)
        except ModelNotCachedError:
            missing.append(spec)
    if missing:
        found.update(_fetch_missing(missing, offline=is_offline(offline), timeout=timeout))
    return found


def _fetch_missing(
    missing: list[ModelSpec], *, offline: bool, timeout: float
) -> dict[ModelSpec, Path]:
    """Download ``missing`` after one probe per server, or raise naming all of them."""
    from lingosum.network import probe

    some = f"model {missing[0].label} is" if len(missing) == 1 else f"{len(missing)} models are"
    names = "" if len(missing) == 1 else f" ({', '.join(s.label for s in missing)})"
    them = "it" if len(missing) == 1 else "them"
    if offline:
        raise ModelNotCachedError(
            f"{some} not in the local cache{names} and offline mode is on; "
            f"fetch {them} first with: {fetch_command(missing)}"
        )
    for server in dict.fromkeys(filter(is_remote, map(download_url, missing))):
        result = probe(server, timeout)
        if not result.ok:
            raise ModelError(
                f"{some} not in the local cache{names} and {result.describe()}; "
                f"when it answers, fetch {them} with: {fetch_command(missing)}"
            )
    return {spec: model_dir(spec, offline=False) for spec in missing}


def is_remote(url: str) -> bool:
    """False for a release archive on this machine (a path or file:// URL): no server."""
    return "://" in url and not url.startswith("file://")


def download_url(spec: ModelSpec) -> str:
    """Where ``spec``'s model downloads from: its release URL, or the Hub endpoint."""
    from lingosum.network import hub_endpoint

    return spec.url if spec.is_release and spec.url else hub_endpoint()


def fetch(spec: ModelSpec, *, force: bool = False, quiet: bool = False) -> Path:
    """Download ``spec``'s model into the cache (resuming a partial download) and check it.

    Args:
        spec: the model; a local directory is only checked.
        force: download every file again, even when cached (repairs a broken copy).
        quiet: no progress bars.

    Raises:
        ModelError: offline mode is on, the model does not exist, or the download failed.
        ModelCorruptError: the downloaded files are incomplete or broken.
    """
    if not spec.is_local:
        if is_offline():
            raise ModelError(
                f"cannot download {spec.label}: offline mode is on (HF_HUB_OFFLINE); "
                "unset it to download"
            )
        if spec.is_release:
            from lingosum.releases import fetch as fetch_release

            return fetch_release(spec, force=force, quiet=quiet)
        with _progress_bars(enabled=not quiet):
            _snapshot(spec, offline=False, force=force)
    return model_dir(spec, offline=True)


def cached_dir(spec: ModelSpec) -> Path | None:
    """The cached snapshot of ``spec`` if it is complete on disk, without any network."""
    try:
        return model_dir(spec, offline=True)
    except ModelError:
        return None


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model


@contextmanager
def _progress_bars(*, enabled: bool) -> Iterator[None]:
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    was_disabled = are_progress_bars_disabled()
    if not enabled and not was_disabled:
        disable_progress_bars()
    try:
        yield
    finally:
        if not enabled and not was_disabled:
            enable_progress_bars()


def _download(spec: ModelSpec, weights: str, *, offline: bool, force: bool) -> Path:
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(
            spec.model,
            revision=spec.revision,
            cache_dir=cache_root(),
            endpoint=endpoint(),
            allow_patterns=allow_patterns(weights),
            local_files_only=offline,
            force_download=force and not offline,
            etag_timeout=ETAG_TIMEOUT,
        )
    )


def _not_cached(spec: ModelSpec) -> ModelNotCachedError:
    return ModelNotCachedError(
        f"model {spec.label} is not in the local cache and offline mode is on; "
        f"fetch it first with: {fetch_hint(spec)}"
    )


def _snapshot(spec: ModelSpec, *, offline: bool, force: bool = False) -> Path:
    if offline and not (cache_root() / f"models--{spec.model.replace('/', '--')}").is_dir():
        raise _not_cached(spec)  # nothing cached: no need to import huggingface_hub (~1 s)
    from huggingface_hub.errors import (
        IncompleteSnapshotError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        path = _download(spec, WEIGHT_FILES[0], offline=offline, force=force)
        if not offline and not _weights(path):
            path = _download(spec, WEIGHT_FILES[1], offline=offline, force=force)
    except RevisionNotFoundError:
        raise ModelError(
            f"model {spec.model} has no revision {spec.revision!r} on the Hugging Face Hub"
        ) from None
    except RepositoryNotFoundError:
        raise ModelError(
            f"model {spec.model} does not exist on the Hugging Face Hub (or is private); "
            "check the id in your models file"
        ) from None
    except IncompleteSnapshotError as error:
        snapshot = Path(error.snapshot_path) if error.snapshot_path else None
        if snapshot is not None:
            check_files(snapshot, spec)
        raise ModelCorruptError(
            f"model {spec.label}: the cached copy is incomplete; {_fix(spec)}"
        ) from None
    except LocalEntryNotFoundError:
        if offline:
            raise _not_cached(spec) from None
        raise ModelError(
            f"cannot download model {spec.label}: {endpoint() or 'the Hugging Face Hub'} "
            f"is unreachable; when it answers, fetch it with: {fetch_hint(spec)}"
        ) from None
    except OSError as error:
        raise ModelError(f"cannot download model {spec.label}: {first_line(error)}") from None
    except ValueError as error:  # huggingface_hub's HFValidationError: not a valid repo id
        raise ModelError(
            f"{spec.model!r} is not a valid Hugging Face model id: {first_line(error)}"
        ) from None
    return path


def _fix(spec: ModelSpec) -> str:
    if spec.is_local:
        return "rebuild or re-copy that directory"
    return f"re-download it with: {fetch_hint(spec)} --force"


def _weights(path: Path) -> Path | None:
    return next((path / n for n in WEIGHT_FILES if (path / n).exists()), None)


def check_files(path: Path, spec: ModelSpec) -> None:
    """Fail early, naming the file and the fix, when a model directory is incomplete or broken.

    Checks are cheap (headers and sizes, no weights loaded): config.json parses, the weights
    file holds every byte its header or zip directory declares, the tokenizer files the
    model type needs are there and not empty.

    Raises:
        ModelCorruptError: missing or unreadable config, tokenizer or weights.
    """
    config_file = path / "config.json"
    _check_readable(config_file, spec)
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelCorruptError(
            f"model {spec.label}: {config_file} is missing or broken; {_fix(spec)}"
        ) from None
    if not isinstance(config, dict):
        raise ModelCorruptError(
            f"model {spec.label}: {config_file} is not a JSON object; {_fix(spec)}"
        )
    weights = _weights(path)
    if weights is None:
        raise ModelCorruptError(
            f"model {spec.label}: no weights file ({' or '.join(WEIGHT_FILES)}) in {path}; "
            f"{_fix(spec)}"
        )
    _check_readable(weights, spec)
    if not _weights_complete(weights):
        raise ModelCorruptError(
            f"model {spec.label}: {weights} is truncated or broken; {_fix(spec)}"
        )
    model_type = config.get("model_type") if isinstance(config, dict) else None
    for name in tokenizer_files(path, model_type):
        file = path / name
        if not file.exists():
            raise ModelCorruptError(f"model {spec.label}: {file} is missing; {_fix(spec)}")
        if file.stat().st_size == 0:
            raise ModelCorruptError(f"model {spec.label}: {file} is empty; {_fix(spec)}")


def _check_readable(file: Path, spec: ModelSpec) -> None:
    """A file that exists but cannot be opened is a permission problem, not a broken model:
    say so, so that nobody downloads gigabytes again to fix a chmod."""
    try:
        file.open("rb").close()
    except PermissionError:
        raise ModelCorruptError(
            f"model {spec.label}: cannot read {file}: permission denied; fix its permissions "
            "(or run as a user who may read the model cache)"
        ) from None
    except OSError:
        return  # missing or unreadable for another reason: the checks that follow say which


def tokenizer_files(path: Path, model_type: str | None) -> list[str]:
    """The tokenizer files a model of ``model_type`` cannot load without."""
    if model_type == "marian":
        return ["source.spm", "target.spm", "vocab.json"]
    if (path / "tokenizer.json").exists():
        return ["tokenizer.json"]
    if (path / "source.spm").exists() or (path / "target.spm").exists():
        return ["source.spm", "target.spm", "vocab.json"]
    return ["vocab.json", "merges.txt"]


def _weights_complete(weights: Path) -> bool:
    if weights.suffix == ".safetensors":
        return _safetensors_complete(weights)
    return _torch_file_complete(weights)


def _safetensors_complete(weights: Path) -> bool:
    """Read the safetensors header and check the file holds every tensor it declares."""
    try:
        with weights.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if size <= 0 or size > 100_000_000:
                return False
            header = json.loads(handle.read(size))
        end = max(
            (int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"),
            default=0,
        )
        return weights.stat().st_size >= 8 + size + end
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return False


def _torch_file_complete(weights: Path) -> bool:
    """A zip-format PyTorch file must end with its central directory (a truncated one
    does not); a legacy pickle file cannot be checked cheaply and is only checked for bytes."""
    try:
        with weights.open("rb") as handle:
            magic = handle.read(4)
        if magic.startswith(b"PK"):
            with zipfile.ZipFile(weights) as archive:
                return bool(archive.namelist())
        return len(magic) == 4
    except (OSError, zipfile.BadZipFile):
        return False
