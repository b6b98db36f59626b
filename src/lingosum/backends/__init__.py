"""Backend selection, device resolution and the in-process model cache."""

from __future__ import annotations

import importlib.util
import threading
import warnings
from pathlib import Path

from lingosum.backends.base import Backend, GenerationOptions
from lingosum.errors import ConfigError

__all__ = ["Backend", "GenerationOptions", "load_backend", "resolve_device", "BACKENDS"]

BACKENDS = ("auto", "transformers", "ctranslate2")
DEVICES = ("auto", "cpu", "cuda")

_cache: dict[tuple[str, str, str, str | None], Backend] = {}
# Models CTranslate2 could not take in this process: ``auto`` does not try them again.
_ct2_failed: set[tuple[str, str, str, str | None]] = set()
_lock = threading.Lock()


def ctranslate2_available() -> bool:
    return importlib.util.find_spec("ctranslate2") is not None


def resolve_device(device: str, backend: str = "transformers") -> str:
    """``auto`` -> ``cuda`` when a GPU is usable by ``backend``, else ``cpu``.

    Raises:
        ConfigError: unknown device, or ``cuda`` asked for where there is none.
    """
    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    if device == "cpu":
        return "cpu"
    has_cuda = _cuda_available(backend)
    if device == "cuda" and not has_cuda:
        raise ConfigError("--device cuda was given but no CUDA GPU is available; use --device cpu")
    return "cuda" if has_cuda else "cpu"


def _cuda_available(backend: str) -> bool:
    if backend == "ctranslate2":
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count() > 0)
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_backend(backend: str) -> str:
    """``auto`` -> ``ctranslate2`` when it is installed, else ``transformers``."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "ctranslate2" and not ctranslate2_available():
        raise ConfigError(
            "--backend ctranslate2 needs the ctranslate2 package: pip install 'lingosum[fast]'"
        )
    if backend == "auto":
        return "ctranslate2" if ctranslate2_available() else "transformers"
    return backend


def load_backend(
    path: Path,
    *,
    backend: str = "auto",
    device: str = "auto",
    compute_type: str | None = None,
    cache_key: str | None = None,
) -> Backend:
    """Load (once per process) the model in ``path`` with the chosen backend.

    ``cache_key`` identifies the model for the CTranslate2 conversion cache
    (id + revision); it defaults to the path.
    """
    chosen = resolve_backend(backend)
    if chosen == "ctranslate2":
        loaded = _load_ct2(path, device, compute_type, cache_key, strict=backend != "auto")
        if loaded is not None:
            return loaded
        chosen = "transformers"
    resolved = resolve_device(device, "transformers")
    key = (str(path), chosen, resolved, None)
    with _lock:
        if key not in _cache:
            from lingosum.backends.hf import TransformersBackend

            _cache[key] = TransformersBackend(path, resolved)
        return _cache[key]


def _load_ct2(
    path: Path, device: str, compute_type: str | None, cache_key: str | None, *, strict: bool
) -> Backend | None:
    """The CTranslate2 backend, or None when ``auto`` should fall back to transformers.

    Raises:
        ModelError: ``strict`` and the model cannot be converted or loaded.
    """
    from lingosum.backends import ct2
    from lingosum.errors import ModelError

    resolved = resolve_device(device, "ctranslate2")
    compute = compute_type or ct2.default_compute_type(resolved)
    key = (str(path), "ctranslate2", resolved, compute)
    with _lock:
        if key in _ct2_failed and not strict:
            return None
        if key not in _cache:
            try:
                _cache[key] = ct2.CTranslate2Backend(
                    path, device=resolved, compute_type=compute, cache_key=cache_key
                )
            except ModelError as error:
                if strict:
                    raise
                _ct2_failed.add(key)
                warnings.warn(f"{error}; using transformers instead", stacklevel=3)
                return None
        return _cache[key]


def clear_cache() -> None:
    """Forget every loaded model (tests, long-running hosts that switch models)."""
    with _lock:
        _cache.clear()
        _ct2_failed.clear()
