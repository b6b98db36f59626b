"""The errors lingosum raises. The library raises; only the CLI prints and exits."""

from __future__ import annotations


class LingosumError(Exception):
    """Base class: every error a user can cause or fix. ``str(err)`` is one readable line."""

    exit_code = 1


class InputError(LingosumError):
    """The input text or file cannot be used (missing, empty, binary, a directory...)."""

    exit_code = 2


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
