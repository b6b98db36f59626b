"""The models file: a TOML file (``--models`` or ``$LINGOSUM_MODELS``) that replaces entries
of the default model table with other Hub ids, local directories or OPUS-MT releases."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from lingosum.errors import ConfigError
from lingosum.registry import (
    DEFAULT_SUMMARIZERS,
    DEFAULT_TRANSLATORS,
    ModelSpec,
    Task,
)


def read_models_file(path: Path) -> tuple[dict[str, ModelSpec], dict[str, ModelSpec]]:
    """The translator and summarizer entries of a models file.

    Raises:
        ConfigError: the file is missing, not TOML, or has an unknown table or bad entry.
    """
    data = _read_toml(path)
    unknown = set(data) - {"translator", "summarizer"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
            "use [translator] and [summarizer]"
        )
    tables: dict[str, dict[str, ModelSpec]] = {"translator": {}, "summarizer": {}}
    for task, table in tables.items():
        for key, entry in _table(data, task, path).items():
            table[key] = _override(task, key, entry, path)  # type: ignore[arg-type]
    return tables["translator"], tables["summarizer"]


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"models file not found: {path}") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"models file {path} is not UTF-8 text (TOML files must be UTF-8); convert it, "
            "e.g. with: iconv -f LATIN1 -t UTF-8"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"models file {path} is a directory; give a .toml file") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise ConfigError(f"cannot read models file {path}: {reason}") from None


def _table(data: dict[str, Any], task: str, path: Path) -> dict[str, Any]:
    table = data.get(task, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{task}] must be a table")
    return table


def _override(task: Task, key: str, entry: Any, path: Path) -> ModelSpec:
    if isinstance(entry, str):
        entry = {"model": entry}
    if isinstance(entry, dict) and "url" in entry:
        return _release_override(task, key, entry, path)
    if not isinstance(entry, dict) or not isinstance(entry.get("model"), str):
        raise ConfigError(
            f'{path}: [{task}] "{key}" must be a model id or path, '
            'or a table with model = "..." (and optional revision, target_token), '
            'or url = "...zip" for a native OPUS-MT release'
        )
    _check_key(task, key, path)
    extra = set(entry) - {"model", "revision", "target_token", "license", "score", "chrf"}
    if extra:
        raise ConfigError(f'{path}: [{task}] "{key}": unknown field(s) {", ".join(sorted(extra))}')
    _check_strings(entry, f'{path}: [{task}] "{key}"')
    model = entry["model"]
    local = (path.parent / Path(model).expanduser()).resolve()
    if model.startswith((".", "/", "~")) or local.is_dir():
        model = str(local)
    else:
        check_hub_id(model, f'{path}: [{task}] "{key}"')
    defaults = (DEFAULT_TRANSLATORS if task == "translator" else DEFAULT_SUMMARIZERS).get(key)
    token = entry.get("target_token")
    if token is None and defaults is not None and defaults.model == entry["model"]:
        token = defaults.target_token
    return ModelSpec(
        task=task,
        key=key,
        model=model,
        revision=entry.get("revision"),
        target_token=token,
        license=entry.get("license", "see the model's card"),
        score=entry.get("score", ""),
        overridden_by=str(path),
        chrf=_chrf(entry, f'{path}: [{task}] "{key}"'),
    )


# A Hugging Face repository id: [namespace/]name, letters, digits, "-", "_", ".", at most
# 96 characters a part, no "--" or "..", not starting or ending with "-" or "." (the rules
# huggingface_hub enforces, checked here so that a bad id is one line, not a traceback).
HUB_ID = re.compile(
    r"^(?:[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?/)?[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?$"
)


def check_hub_id(model: str, where: str) -> str:
    """``model`` if it is a valid Hub id, else a one-line error saying what is wrong.

    Raises:
        ConfigError: not ``name`` or ``namespace/name`` in the Hub's alphabet.
    """
    if HUB_ID.match(model) and "--" not in model and ".." not in model:
        return model
    raise ConfigError(
        f"{where}: {model!r} is neither a local directory nor a valid Hugging Face model id "
        "(namespace/name: letters, digits, '-', '_', '.'; no '..' or '--')"
    )


def _chrf(entry: dict[str, Any], where: str) -> float | None:
    """The entry's published chrF (0-1), which decides the weak-route warning."""
    value = entry.get("chrf")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"{where}: chrf must be a number from 0 to 1 (e.g. chrf = 0.41)")
    return float(value)


def _check_strings(entry: dict[str, Any], where: str) -> None:
    for name, value in entry.items():
        if name != "chrf" and not isinstance(value, str):
            raise ConfigError(
                f"{where}: {name} must be a string in quotes, not a {type(value).__name__} "
                f"({value!r})"
            )


RELEASE_FIELDS = {"url", "sha256", "model", "target_token", "license", "score", "chrf"}


def _release_override(task: Task, key: str, entry: dict[str, Any], path: Path) -> ModelSpec:
    """An entry naming a native OPUS-MT release: ``url`` (http(s), file:// or a path to a
    ``.zip``, relative to the TOML file), optional ``sha256``, ``model`` (a display name)."""
    where = f'{path}: [{task}] "{key}"'
    _check_key(task, key, path)
    extra = set(entry) - RELEASE_FIELDS
    if extra:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
    _check_strings(entry, where)
    url, digest = entry.get("url"), entry.get("sha256")
    if not isinstance(url, str) or not url.lower().endswith(".zip"):
        raise ConfigError(f'{where}: url must name a release archive, e.g. url = "...model.zip"')
    if digest is not None and not (
        isinstance(digest, str) and len(digest) == 64 and all(c in HEX for c in digest.lower())
    ):
        raise ConfigError(f"{where}: sha256 must be 64 hexadecimal digits")
    if "://" not in url:
        url = str((path.parent / Path(url).expanduser()).resolve())
    return ModelSpec(
        task=task,
        key=key,
        model=str(entry.get("model") or release_name(url)),
        target_token=entry.get("target_token"),
        license=entry.get("license", "see the release's README"),
        score=entry.get("score", ""),
        overridden_by=str(path),
        url=url,
        sha256=digest.lower() if digest else None,
        chrf=_chrf(entry, where),
    )


HEX = frozenset("0123456789abcdef")


def release_name(url: str) -> str:
    """``.../Tatoeba-MT-models/ccs-ccs/opus-2021.zip`` -> ``ccs-ccs/opus-2021``: the archive's
    folder and name, which is how OPUS-MT names its releases."""
    parts = [part for part in url.split("?")[0].replace("\\", "/").split("/") if part]
    stem = parts[-1][: -len(".zip")] if parts[-1].lower().endswith(".zip") else parts[-1]
    return "/".join([*parts[-2:-1], stem])


def _check_key(task: Task, key: str, path: Path) -> None:
    parts = key.split("-")
    valid = len(parts) == 2 if task == "translator" else len(parts) == 1
    if not valid or not all(part.isalpha() for part in parts):
        example = '"en-ka"' if task == "translator" else '"en"'
        raise ConfigError(f'{path}: bad key "{key}" in [{task}]; keys look like {example}')
