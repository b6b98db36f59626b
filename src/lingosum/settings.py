"""Run-time settings shared by every command, and loading the models they name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lingosum.errors import ConfigError
from lingosum.registry import ModelSpec, Registry, load_registry


@dataclass(frozen=True)
class Settings:
    """Where models come from and where they run.

    Attributes:
        models_file: TOML overrides (see README); ``None`` uses ``$LINGOSUM_MODELS`` if set.
        offline: never touch the network (as does ``HF_HUB_OFFLINE=1``).
        device: ``auto``, ``cpu`` or ``cuda``.
        backend: ``auto``, ``transformers`` or ``ctranslate2``.
        compute_type: CTranslate2 compute type (``int8``, ``float32``...); ``None`` = default.
    """

    models_file: Path | None = None
    offline: bool = False
    device: str = "auto"
    backend: str = "auto"
    compute_type: str | None = None

    def registry(self) -> Registry:
        return load_registry(self.models_file)

    def check(self) -> Settings:
        """Validate the option values before any work starts (imports nothing heavy).

        Raises:
            ConfigError: an unknown device, backend or compute type name.
        """
        from lingosum.backends import BACKENDS, DEVICES
        from lingosum.backends.base import COMPUTE_TYPES

        for value, allowed, what in (
            (self.device, DEVICES, "device"),
            (self.backend, BACKENDS, "backend"),
            (self.compute_type or "default", (*COMPUTE_TYPES, "default"), "compute type"),
        ):
            if value not in allowed:
                raise ConfigError(f"unknown {what} {value!r}; choose from {', '.join(allowed)}")
        return self


@dataclass(frozen=True)
class ModelUse:
    """Which model did a job, reported with every result so runs are reproducible."""

    role: str
    model: str
    revision: str | None
    path: str
    backend: str
    target_token: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "model": self.model,
            "revision": self.revision,
            "path": self.path,
            "backend": self.backend,
            "target_token": self.target_token,
        }


def ensure_available(specs: Sequence[ModelSpec], settings: Settings) -> None:
    """Check (fetching if allowed) every model a job needs before any work starts, so a
    missing model fails at once with one message instead of halfway through the job.

    Raises:
        ModelError: for the first model that cannot be found, fetched or read.
    """
    from lingosum.hub import prepare

    prepare(specs, offline=settings.offline)


def load_model(spec: ModelSpec, settings: Settings) -> tuple[Any, ModelUse]:
    """Find (downloading if needed) and load ``spec``'s model; cached per process.

    Returns:
        The loaded backend and the record of what was used.

    Raises:
        ModelError: the model cannot be found, fetched or loaded.
    """
    from lingosum.backends import load_backend
    from lingosum.hub import model_dir

    path = model_dir(spec, offline=settings.offline)
    backend = load_backend(
        path,
        backend=settings.backend,
        device=settings.device,
        compute_type=settings.compute_type,
        cache_key=f"{spec.model}@{spec.revision}" if not spec.is_local else None,
    )
    use = ModelUse(
        role=f"{spec.task} {spec.key}",
        model=spec.model,
        revision=None if spec.is_local else spec.revision,
        path=str(path),
        backend=backend.name,
        target_token=spec.target_token,
    )
    return backend, use
