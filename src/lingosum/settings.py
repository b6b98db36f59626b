"""Run-time settings shared by every command, and loading the models they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lingosum.errors import ConfigError
from lingosum.registry import Registry, load_registry


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

    def __post_init__(self) -> None:
        """Validate the option values before any work starts (imports nothing heavy): the
        one place where device, backend and compute type names are checked.

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

    def check(self) -> Settings:
        """Kept for callers of lingosum 1.0: validation now happens on construction."""
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
