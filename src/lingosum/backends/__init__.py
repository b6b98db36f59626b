"""Backend selection and device resolution. Loaded models are kept by the engine
(:class:`lingosum.engine.Engine`), not here: this module holds no state."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from lingosum.backends.base import Backend, GenerationOptions
from lingosum.errors import ConfigError, ModelError

__all__ = ["Backend", "GenerationOptions", "load_backend", "resolve_device", "BACKENDS"]

BACKENDS = ("auto", "transformers", "ctranslate2")
DEVICES = ("auto", "cpu", "cuda")


def ctranslate2_available() -> bool:
    return importlib.util.find_spec("ctranslate2") is not None


def resolve_device(device: str, backend: str = "transformers") -> str:
    """``auto`` -> ``cuda`` when a GPU is usable by ``backend``, else ``cpu``.

    Raises:
        ConfigError: ``cuda`` asked for where there is none.
    """
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
    """``auto`` -> ``ctranslate2`` when it is installed, else ``transformers``.

    Raises:
        ConfigError: ``ctranslate2`` asked for and not installed.
    """
    if backend == "ctranslate2" and not ctranslate2_available():
        raise ConfigError(
            "--backend ctranslate2 needs the ctranslate2 package: pip install ctranslate2"
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
    notify: Callable[[str], None] | None = None,
) -> Backend:
    """Load the model in ``path`` with the chosen backend (a new object on every call).

    With ``auto``, a model CTranslate2 cannot take falls back to transformers, and
    ``notify`` is told why. ``cache_key`` names the model (id + revision) in the
    CTranslate2 conversion cache; it defaults to the path.

    Raises:
        ConfigError: the device or compute type is not usable here.
        ModelError: the model cannot be converted or loaded.
    """
    from lingosum.releases import is_release_dir

    chosen = resolve_backend(backend)
    release = is_release_dir(path)
    if release and chosen == "transformers":
        raise ConfigError(
            f"{path.name} is a native OPUS-MT (Marian) release, which transformers cannot "
            "load; run it with --backend ctranslate2 (or auto), or override this route with "
            "a Hub model in a --models file"
        )
    if chosen == "ctranslate2":
        from lingosum.backends import ct2

        resolved = resolve_device(device, "ctranslate2")
        try:
            return ct2.CTranslate2Backend(
                path, device=resolved, compute_type=compute_type, cache_key=cache_key, notify=notify
            )
        except ModelError as error:
            if backend != "auto" or release:  # transformers cannot run a release either
                raise
            if notify is not None:
                notify(f"{error}; using transformers instead")
    from lingosum.backends.hf import TransformersBackend

    return TransformersBackend(path, resolve_device(device, "transformers"))
