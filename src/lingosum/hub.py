"""Finding a model's files: a local directory, or the Hugging Face cache (downloading once).

huggingface_hub does the downloading, resuming and caching; HF_HOME, HF_ENDPOINT and
HF_HUB_OFFLINE are honoured as everywhere else in the Hugging Face ecosystem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lingosum.errors import ModelCorruptError, ModelError, ModelNotCachedError
from lingosum.registry import ModelSpec

CONFIG_FILES = [
    "config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.json",
    "source.spm",
    "target.spm",
]
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def is_offline(offline: bool = False) -> bool:
    """True when ``--offline`` was given or HF_HUB_OFFLINE is set to a true value."""
    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return offline or flag in {"1", "true", "yes", "on"}


def fetch_hint(spec: ModelSpec) -> str:
    """The exact command that puts ``spec``'s model in the cache."""
    return f"lingosum models download --model {spec.model}"


def model_dir(spec: ModelSpec, *, offline: bool = False) -> Path:
    """A local directory holding every file ``spec``'s model needs.

    Raises:
        ModelNotCachedError: offline and the model is not in the cache.
        ModelError: the model id does not exist, or the download failed.
        ModelCorruptError: the files are there but incomplete or broken.
    """
    if spec.is_local:
        path = Path(spec.model)
    elif _looks_like_path(spec.model):
        raise ModelError(f"model directory not found: {spec.model}")
    else:
        path = _snapshot(spec, offline=is_offline(offline))
    check_files(path, spec)
    return path


def cached_dir(spec: ModelSpec) -> Path | None:
    """The cached snapshot of ``spec`` if it is complete on disk, without any network."""
    if spec.is_local:
        return Path(spec.model)
    try:
        path = _snapshot(spec, offline=True)
        check_files(path, spec)
    except ModelError:
        return None
    return path


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model


def _snapshot(spec: ModelSpec, *, offline: bool) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        path = Path(
            snapshot_download(
                spec.model,
                revision=spec.revision,
                allow_patterns=[*CONFIG_FILES, WEIGHT_FILES[0]],
                local_files_only=offline,
            )
        )
        if not any((path / name).exists() for name in WEIGHT_FILES) and not offline:
            path = Path(
                snapshot_download(
                    spec.model, revision=spec.revision, allow_patterns=[WEIGHT_FILES[1]]
                )
            )
    except RevisionNotFoundError:
        raise ModelError(
            f"model {spec.model} has no revision {spec.revision!r} on the Hugging Face Hub"
        ) from None
    except RepositoryNotFoundError:
        raise ModelError(
            f"model {spec.model} does not exist on the Hugging Face Hub (or is private); "
            "check the id in your models file"
        ) from None
    except LocalEntryNotFoundError:
        if offline:
            raise ModelNotCachedError(
                f"model {spec.label} is not in the local cache and offline mode is on; "
                f"fetch it first with: {fetch_hint(spec)}"
            ) from None
        raise ModelError(
            f"cannot download model {spec.label}: the Hugging Face Hub is unreachable; "
            "check your connection, or run with --offline if the model is cached"
        ) from None
    except OSError as error:
        raise ModelError(f"cannot download model {spec.label}: {error}") from None
    return path


def check_files(path: Path, spec: ModelSpec) -> None:
    """Fail early, naming the file, when a model directory is incomplete or broken.

    Raises:
        ModelCorruptError: missing or unreadable config, tokenizer or weights.
    """
    fix = (
        f"re-download it with: {fetch_hint(spec)} --force"
        if not spec.is_local
        else "rebuild or re-copy that directory"
    )
    config = path / "config.json"
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelCorruptError(f"model {spec.label}: {config} is missing or broken; {fix}") from None
    weights = next((path / n for n in WEIGHT_FILES if (path / n).exists()), None)
    if weights is None:
        raise ModelCorruptError(f"model {spec.label}: no weights file in {path}; {fix}")
    if weights.suffix == ".safetensors" and not _safetensors_complete(weights):
        raise ModelCorruptError(f"model {spec.label}: {weights} is truncated or broken; {fix}")
    missing = _missing_tokenizer_files(path)
    if missing:
        raise ModelCorruptError(f"model {spec.label}: {path / missing} is missing; {fix}")


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
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return False


def _missing_tokenizer_files(path: Path) -> str | None:
    if (path / "source.spm").exists() or (path / "target.spm").exists():
        needed = ["source.spm", "target.spm", "vocab.json"]
    elif (path / "tokenizer.json").exists():
        needed = []
    else:
        needed = ["vocab.json", "merges.txt"]
    return next((name for name in needed if not (path / name).exists()), None)
