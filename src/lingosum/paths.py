"""Where lingosum's files live on disk: one function per root, read from the environment
when called (never at import), so a long-running process or a test sees changes."""

from __future__ import annotations

import os
from pathlib import Path


def _expand(value: str) -> Path:
    return Path(os.path.expandvars(value)).expanduser()


def hf_home() -> Path:
    """``$HF_HOME``, else ``$XDG_CACHE_HOME/huggingface``, else ``~/.cache/huggingface``,
    resolved as huggingface_hub resolves it."""
    home = os.environ.get("HF_HOME")
    if home:
        return _expand(home)
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return _expand(xdg) / "huggingface"


def hub_cache() -> Path:
    """The Hugging Face hub cache (``$HF_HUB_CACHE`` or ``HF_HOME/hub``)."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    return _expand(explicit) if explicit else hf_home() / "hub"


def lingosum_cache() -> Path:
    """lingosum's own derived files (conversions, releases): ``$LINGOSUM_CACHE``, else
    ``HF_HOME/lingosum``, next to the hub cache but outside huggingface_hub's own folder,
    whose cache scan would call foreign folders corrupt."""
    override = os.environ.get("LINGOSUM_CACHE")
    return _expand(override) if override else hf_home() / "lingosum"
