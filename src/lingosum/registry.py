"""Which model does which job: the one table of defaults, and the TOML override.

A *route* is the list of translation legs from one language to another: a direct model
when one exists, else two legs that pivot through English.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lingosum.errors import ConfigError, UnsupportedLanguageError

Task = Literal["translator", "summarizer"]
# What a user asks lingosum to do (`--task`), as opposed to the model tables above.
TaskName = Literal["translate", "summarize"]
TASKS: tuple[TaskName, ...] = ("translate", "summarize")

TARGET_LANGUAGES = ("az", "ka", "ru", "en")
PIVOT = "en"
MANY_TO_ENGLISH = "mul-en"
MODELS_ENV = "LINGOSUM_MODELS"


@dataclass(frozen=True)
class ModelSpec:
    """One model for one job, as the registry knows it.

    ``model`` is a Hub id, a local directory, or the name of a native OPUS-MT release;
    ``target_token`` is the ``>>xxx<<`` token a multi-target Marian model needs to pick its
    output language. A release has a ``url`` (a ``.zip``) and, when known, the archive's
    ``sha256``; without it the hash is recorded at the first download and checked on every
    later use (see :mod:`lingosum.releases`).
    """

    task: Task
    key: str
    model: str
    revision: str | None = None
    target_token: str | None = None
    license: str = "unknown"
    score: str = ""
    overridden_by: str | None = None
    url: str | None = None
    sha256: str | None = None

    @property
    def is_release(self) -> bool:
        """A native OPUS-MT (Marian) release, fetched from ``url``, not from the Hub."""
        return self.url is not None

    @property
    def is_local(self) -> bool:
        return not self.is_release and Path(self.model).is_dir()

    @property
    def kind(self) -> str:
        """``release``, ``local`` or ``hub``: where the model's files come from."""
        if self.is_release:
            return "release"
        return "local" if self.is_local else "hub"

    @property
    def pin(self) -> str:
        """What fixes the model's bytes: a Hub revision, a release's pinned sha256, or
        ``recorded`` for a release whose hash is recorded at the first download."""
        if self.is_release:
            return f"sha256 {self.sha256[:10]}" if self.sha256 else "recorded"
        if self.is_local:
            return "(local)"
        return (self.revision or UNPINNED)[:10]

    @property
    def label(self) -> str:
        """How the model is named in messages: id and revision, or the local path."""
        if self.is_local or not self.revision:
            return self.model
        return f"{self.model}@{self.revision[:10]}"


def _t(
    key: str, model: str, revision: str, license: str, score: str, token: str | None = None
) -> ModelSpec:
    return ModelSpec("translator", key, model, revision, token, license, score)


def _r(key: str, release: str, license: str, score: str, token: str | None = None) -> ModelSpec:
    """A native OPUS-MT release in the Tatoeba-MT-models storage, e.g. ``ccs-ccs/opus...``.

    No sha256 is given: these archives could not be downloaded where the table was written,
    so the hash is recorded at the first download and checked on every later use.
    """
    name = f"Tatoeba-MT-models/{release}"
    return ModelSpec(
        "translator", key, name, None, token, license, score, url=f"{RELEASE_STORE}/{release}.zip"
    )


# The defaults. README's model table is generated from this table (see `lingosum models list`).
# Scores: model cards (BLEU), or the OPUS-MT leaderboard (chrF; Helsinki-NLP/OPUS-MT-leaderboard,
# scores/<src>-<tgt>/<test set>/chrf-scores.txt, e.g. scores/eng-kat/ntrex128/chrf-scores.txt).
UNPINNED = "main"  # no verified commit of these repositories was available when pinning
RELEASE_STORE = "https://object.pouta.csc.fi/Tatoeba-MT-models"

DEFAULT_TRANSLATORS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        _t(
            "en-ru",
            "Helsinki-NLP/opus-mt-en-ru",
            "13dd880734a16cbfb049690c7f53cb94705ca1d2",
            "Apache-2.0",
            "BLEU 27.1 newstest2019, 48.4 Tatoeba; chrF 0.661 Tatoeba v2021-08-07, "
            "0.534 newstest2019; FLORES-200/NTREX-128 not published",
        ),
        _t(
            "en-az",
            "Helsinki-NLP/opus-mt-en-az",
            "5e104e226b0373324f9f3dec67a5758560db49ab",
            "Apache-2.0",
            "BLEU 18.6 Tatoeba eng-aze; chrF 0.477 Tatoeba v2021-08-07; "
            "FLORES-200/NTREX-128 not published",
        ),
        _r(
            "en-ka",
            "ccs-ccs/opus4m+btTCv20210807-2021-09-30",
            "CC-BY-4.0",
            "chrF 0.415 FLORES-200 devtest, 0.401 NTREX-128, 0.301 Tatoeba v2021-08-07",
            ">>kat<<",
        ),
        _t(
            "ru-en",
            "Helsinki-NLP/opus-mt-ru-en",
            "39fdcea592bdeb244fa87ce823e9f5c70d3a2bc3",
            "CC-BY-4.0",
            "BLEU 31.4 newstest2019, 61.1 Tatoeba; chrF 0.718 Tatoeba v2021-08-07; "
            "FLORES-200/NTREX-128 not published",
        ),
        _t(
            "az-en",
            "Helsinki-NLP/opus-mt-az-en",
            "e1cd7fd0daa6b9ce0130d51215c2b7b4a9c1c052",
            "Apache-2.0",
            "BLEU 31.9 Tatoeba; chrF 0.488 Tatoeba v2021-08-07; FLORES-200/NTREX-128 not published",
        ),
        _r(
            "ka-en",
            "ccs-eng/opus4m+btTCv20210807-2021-09-30",
            "CC-BY-4.0",
            "chrF 0.501 FLORES-200 devtest, 0.484 NTREX-128, 0.644 Tatoeba v2021-08-07",
        ),
        _t(
            "hy-en",
            "Helsinki-NLP/opus-mt-hy-en",
            "f9fcc30dce3ec8b1692577d68cf9ec67625fce65",
            "Apache-2.0",
            "BLEU 29.5 Tatoeba",
        ),
        _t(
            "tr-en",
            "Helsinki-NLP/opus-mt-tr-en",
            UNPINNED,
            "Apache-2.0",
            "BLEU 27.0 newstest2018, 63.5 Tatoeba",
        ),
        _t("uk-en", "Helsinki-NLP/opus-mt-uk-en", UNPINNED, "Apache-2.0", "BLEU 64.1 Tatoeba"),
        _t(
            "de-en",
            "Helsinki-NLP/opus-mt-de-en",
            UNPINNED,
            "Apache-2.0",
            "BLEU 40.1 newstest2019, 55.4 Tatoeba",
        ),
        _t(
            "fr-en",
            "Helsinki-NLP/opus-mt-fr-en",
            UNPINNED,
            "Apache-2.0",
            "BLEU 37.8 newstest2014, 57.5 Tatoeba",
        ),
        _t(
            "mul-en",
            "Helsinki-NLP/opus-mt-mul-en",
            UNPINNED,
            "Apache-2.0",
            "many-to-English fallback; kat-eng chrF 0.40 FLORES-200 (leaderboard)",
        ),
    )
}

DEFAULT_SUMMARIZERS: dict[str, ModelSpec] = {
    "en": ModelSpec(
        "summarizer",
        "en",
        "sshleifer/distilbart-cnn-12-6",
        "a4f8f3ea906ed274767e9906dbaede7531d660ff",
        None,
        "Apache-2.0",
        "ROUGE-2 21.26, ROUGE-L 30.59 CNN/DM",
    ),
}


@dataclass(frozen=True)
class Registry:
    """The model table in force: defaults with any overrides applied."""

    translators: Mapping[str, ModelSpec] = field(default_factory=lambda: dict(DEFAULT_TRANSLATORS))
    summarizers: Mapping[str, ModelSpec] = field(default_factory=lambda: dict(DEFAULT_SUMMARIZERS))

    def translator(self, source: str, target: str) -> ModelSpec | None:
        """The direct model for ``source``->``target``, if the table has one."""
        return self.translators.get(f"{source}-{target}")

    def route(self, source: str, target: str) -> list[ModelSpec]:
        """The translation legs from ``source`` to ``target`` (empty when they are equal).

        Raises:
            UnsupportedLanguageError: no direct model, no pivot through English.
        """
        if source == target:
            return []
        direct = self.translator(source, target)
        if direct is not None:
            return [direct]
        if target == PIVOT:
            fallback = self.translators.get(MANY_TO_ENGLISH)
            if fallback is not None:
                return [replace(fallback, key=f"{source}-en")]
        elif source != PIVOT and self.translator(PIVOT, target) is not None:
            second = self.translator(PIVOT, target)
            try:
                first = self.route(source, PIVOT)
            except UnsupportedLanguageError:
                first = []
            if first and second is not None:
                return [*first, second]
        raise UnsupportedLanguageError(
            f"no model translates {source} to {target}; "
            f"targets available: {', '.join(self.targets())}"
        )

    def targets(self) -> list[str]:
        """Languages the tool can translate into (from English at least)."""
        found = {key.split("-")[1] for key in self.translators} | {PIVOT}
        return sorted(found)

    def summarizer(self, language: str) -> ModelSpec | None:
        """The summarizer that reads ``language`` directly, if any."""
        return self.summarizers.get(language)

    def reader(self, language: str) -> str:
        """The language a text in ``language`` is summarized in: its own when a summarizer
        reads it, else English (the text is translated first)."""
        return language if language in self.summarizers else PIVOT

    def summarizer_for(self, language: str) -> ModelSpec:
        """The summarizer for texts in ``language`` (after :meth:`reader`).

        Raises:
            ConfigError: no summarizer reads the language.
        """
        spec = self.summarizers.get(self.reader(language))
        if spec is None:
            reader = self.reader(language)
            raise ConfigError(
                f'no summarizer configured for {reader}; add [summarizer] "{reader}" '
                "to your models file"
            )
        return spec

    def summary_legs(self, source: str, target: str) -> list[ModelSpec]:
        """Every model summarizing ``source`` text into ``target`` uses, in order: legs into
        the summarizer's language, the summarizer, legs out of it.

        Raises:
            ConfigError: no summarizer.
            UnsupportedLanguageError: a leg has no model.
        """
        reader = self.reader(source)
        summarizer = self.summarizer_for(source)
        return [*self.route(source, reader), summarizer, *self.route(reader, target)]

    def all_specs(self) -> list[ModelSpec]:
        return [*self.summarizers.values(), *self.translators.values()]


def check_target(language: str, registry: Registry) -> str:
    """Normalise a target language code, or raise a one-line error listing the choices."""
    code = language.strip().lower()
    if code not in registry.targets():
        from lingosum.languages import hint

        raise UnsupportedLanguageError(
            f"unsupported target language {language!r}{hint(language)}; "
            f"choose from {', '.join(registry.targets())}"
        )
    return code


def parse_targets(value: str, registry: Registry) -> list[str]:
    """``"az,ka,ru"`` -> ``["az", "ka", "ru"]``, validated, duplicates dropped, order kept."""
    codes = [part for part in (p.strip() for p in value.split(",")) if part]
    if not codes:
        raise UnsupportedLanguageError("no target language given; use e.g. --to az,ka,ru")
    return list(dict.fromkeys(check_target(code, registry) for code in codes))


def load_registry(models_file: Path | str | None = None) -> Registry:
    """The registry with the overrides from ``models_file`` (or ``$LINGOSUM_MODELS``) applied.

    Raises:
        ConfigError: the file is missing, not TOML, or has an unknown table or bad entry.
    """
    path_text = str(models_file) if models_file else os.environ.get(MODELS_ENV, "")
    if not path_text:
        return Registry()
    path = Path(path_text).expanduser()
    data = _read_toml(path)
    unknown = set(data) - {"translator", "summarizer"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
            "use [translator] and [summarizer]"
        )
    translators = dict(DEFAULT_TRANSLATORS)
    summarizers = dict(DEFAULT_SUMMARIZERS)
    for task, table in (("translator", translators), ("summarizer", summarizers)):
        for key, entry in _table(data, task, path).items():
            table[key] = _override(task, key, entry, path)  # type: ignore[arg-type]
    return Registry(translators, summarizers)


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
    extra = set(entry) - {"model", "revision", "target_token", "license", "score"}
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


def _check_strings(entry: dict[str, Any], where: str) -> None:
    for name, value in entry.items():
        if not isinstance(value, str):
            raise ConfigError(
                f"{where}: {name} must be a string in quotes, not a {type(value).__name__} "
                f"({value!r})"
            )


RELEASE_FIELDS = {"url", "sha256", "model", "target_token", "license", "score"}


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
