"""The errors lingosum raises. The library raises; only the CLI prints and exits."""

from __future__ import annotations


class LingosumError(Exception):
    """Base class: every error a user can cause or fix. ``str(err)`` is one readable line."""

    exit_code = 1


class InputError(LingosumError):
    """The input text or file cannot be used (missing, empty, binary, a directory...)."""

    exit_code = 2


class FetchError(InputError):
    """A URL cannot be fetched or its content cannot be used (HTTP error, redirect loop,
    timeout, too large, not text, offline mode)."""


class UnsupportedLanguageError(LingosumError):
    """A language or language pair the tool has no route for."""

    exit_code = 2


class ConfigError(LingosumError):
    """A models override file (TOML) or an option value is wrong."""

    exit_code = 2


class ModelError(LingosumError):
    """A model cannot be found, downloaded, loaded or run."""

    exit_code = 3


class ModelNotCachedError(ModelError):
    """Offline mode and the model is not in the local cache."""


class ModelCorruptError(ModelError):
    """The model's files are present but broken (truncated weights, missing tokenizer...)."""


class OutputError(LingosumError):
    """A batch output cannot be used or written (exists, not ours, locked, disk full...)."""

    exit_code = 2


class ClusterError(LingosumError):
    """A Ray cluster failed under a batch job (a worker kept dying, a node was lost); the
    records written so far are kept for ``--resume``."""


class EngineClosedError(LingosumError):
    """A call reached an engine after ``close()``: create a new engine."""

    exit_code = 3


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type name when it has none: the one
    form in which foreign errors (OSError, RuntimeError...) appear in lingosum's messages."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
