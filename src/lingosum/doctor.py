"""``lingosum doctor``: the facts a bug report needs. The network is touched once: a probe
of the Hub endpoint with a short timeout (skipped offline), to say whether it answers.

Versions come from package metadata (nothing heavy is imported for them); torch and
ctranslate2 are imported only to ask about devices, and a missing or broken install is
reported, never raised.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from lingosum import hub
from lingosum.errors import first_line
from lingosum.modelstore import Inventory, inventory
from lingosum.network import DEFAULT_TIMEOUT, Probe, hub_endpoint, probe
from lingosum.registry import Registry

PACKAGES = (
    "lingosum",
    "torch",
    "transformers",
    "ctranslate2",
    "huggingface_hub",
    "sentencepiece",
    "tokenizers",
)
# The CPU flags that decide inference speed (vector width, int8 dot products, bf16).
CPU_FEATURES = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
    "asimd",
    "neon",
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version}


@dataclass(frozen=True)
class Gpu:
    """A CUDA device as torch sees it."""

    index: int
    name: str
    memory_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "memory_bytes": self.memory_bytes}


@dataclass(frozen=True)
class Devices:
    """CPU and CUDA facts; ``cuda_note`` says why there is no GPU list when there is none."""

    cpu: str
    cpu_count: int
    cpu_features: tuple[str, ...]
    gpus: tuple[Gpu, ...]
    cuda_note: str
    ctranslate2_cuda_devices: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu": self.cpu,
            "cpu_count": self.cpu_count,
            "cpu_features": list(self.cpu_features),
            "gpus": [gpu.to_dict() for gpu in self.gpus],
            "cuda_note": self.cuda_note,
            "ctranslate2_cuda_devices": self.ctranslate2_cuda_devices,
        }


@dataclass(frozen=True)
class DoctorReport:
    """Everything ``lingosum doctor`` prints."""

    python: str
    platform: str
    packages: tuple[Package, ...]
    devices: Devices
    cache: Path
    cache_free_bytes: int | None
    offline: bool
    endpoint: str | None
    models: Inventory
    network: Probe | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "platform": self.platform,
            "packages": [package.to_dict() for package in self.packages],
            "devices": self.devices.to_dict(),
            "cache": str(self.cache),
            "cache_free_bytes": self.cache_free_bytes,
            "offline": self.offline,
            "endpoint": self.endpoint,
            "network": None if self.network is None else self.network.to_dict(),
            **{key: value for key, value in self.models.to_dict().items() if key != "cache"},
        }


def diagnose(
    registry: Registry, *, offline: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> DoctorReport:
    """Gather versions, devices, the cache and which routes are ready offline, and probe
    the Hub endpoint (waiting at most ``timeout`` seconds) unless offline."""
    cache = hub.cache_root()
    offline = hub.is_offline(offline)
    return DoctorReport(
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages=tuple(Package(name, _version(name)) for name in PACKAGES),
        devices=devices(),
        cache=cache,
        cache_free_bytes=_free_bytes(cache),
        offline=offline,
        endpoint=hub.endpoint(),
        models=inventory(registry),
        network=None if offline else probe(hub_endpoint(), timeout),
    )


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _free_bytes(path: Path) -> int | None:
    """Free space on the disk that holds ``path`` (or its nearest existing parent)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def devices() -> Devices:
    """The CPU, its vector features, and CUDA devices (via torch, when it imports)."""
    name, features = _cpu_info()
    gpus, note = _torch_gpus()
    return Devices(
        cpu=name,
        cpu_count=os.cpu_count() or 1,
        cpu_features=features,
        gpus=gpus,
        cuda_note=note,
        ctranslate2_cuda_devices=_ct2_cuda_devices(),
    )


def _cpu_info() -> tuple[str, tuple[str, ...]]:
    name = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "model name" and value.strip():
            name = value.strip()
        elif key in {"flags", "features"}:
            flags.update(value.split())
    if platform.machine().lower() in {"arm64", "aarch64"} and not flags:
        flags.add("neon")
    return name, tuple(flag for flag in CPU_FEATURES if flag in flags)


def _torch_gpus() -> tuple[tuple[Gpu, ...], str]:
    try:
        import torch
    except (ImportError, OSError) as error:
        return (), f"torch not usable: {first_line(error)}"
    try:
        if not torch.cuda.is_available():
            return (), f"no CUDA device (torch {torch.__version__}, CUDA {torch.version.cuda})"
        gpus = tuple(
            Gpu(i, props.name, int(props.total_memory))
            for i, props in (
                (i, torch.cuda.get_device_properties(i)) for i in range(torch.cuda.device_count())
            )
        )
    except RuntimeError as error:
        return (), f"CUDA error: {first_line(error)}"
    return gpus, f"CUDA {torch.version.cuda}"


def _ct2_cuda_devices() -> int | None:
    try:
        import ctranslate2
    except (ImportError, OSError):
        return None
    try:
        return int(ctranslate2.get_cuda_device_count())
    except RuntimeError:
        return 0
