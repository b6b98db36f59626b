"""Which model does which job: the one table of defaults, and the TOML override.

A *route* is the list of translation legs from one language to another: a direct model
when one exists, else two legs that pivot through English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from lingosum.errors import ConfigError, UnsupportedLanguageError

Task = Literal["translator", "summarizer"]
# What a user asks lingosum to do (`--task`), as opposed to the model tables above.
TaskName = Literal["translate", "summarize"]
TASKS: tuple[TaskName, ...] = ("translate", "summarize")

TARGET_LANGUAGES = ("az", "ka", "ru", "en")
PIVOT = "en"
MANY_TO_ENGLISH = "mul-en"
MODELS_ENV = "LINGOSUM_MODELS"
# Below this published chrF (0-1 scale) a route's results carry a warning.
WEAK_CHRF = 0.30


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
    chrf: float | None = None

    @property
    def warning(self) -> str | None:
        """A caution for results of a model whose lowest published chrF is below
        ``WEAK_CHRF``: output to be read as a gist."""
        if self.chrf is None or self.chrf >= WEAK_CHRF:
            return None
        return (
            f"{self.key} uses {self.model}, whose published chrF is {self.chrf:.2f} (below "
            f"{WEAK_CHRF:.2f}): read the output as a gist, not as a translation"
        )

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
    key: str,
    model: str,
    revision: str,
    license: str,
    score: str,
    token: str | None = None,
    chrf: float | None = None,
) -> ModelSpec:
    return ModelSpec("translator", key, model, revision, token, license, score, chrf=chrf)


def _r(
    key: str,
    release: str,
    license: str,
    score: str,
    token: str | None = None,
    chrf: float | None = None,
) -> ModelSpec:
    """A native OPUS-MT release in the Tatoeba-MT-models storage, e.g. ``ccs-ccs/opus...``.

    No sha256 is given: these archives could not be downloaded where the table was written,
    so the hash is recorded at the first download and checked on every later use.
    """
    name = f"Tatoeba-MT-models/{release}"
    return ModelSpec(
        "translator",
        key,
        name,
        None,
        token,
        license,
        score,
        url=f"{RELEASE_STORE}/{release}.zip",
        chrf=chrf,
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
            chrf=0.534,
        ),
        _t(
            "en-az",
            "Helsinki-NLP/opus-mt-en-az",
            "5e104e226b0373324f9f3dec67a5758560db49ab",
            "Apache-2.0",
            "BLEU 18.6 Tatoeba eng-aze; chrF 0.477 Tatoeba v2021-08-07; "
            "FLORES-200/NTREX-128 not published",
            chrf=0.477,
        ),
        _r(
            "en-ka",
            "ccs-ccs/opus4m+btTCv20210807-2021-09-30",
            "CC-BY-4.0",
            "chrF 0.415 FLORES-200 devtest, 0.401 NTREX-128, 0.301 Tatoeba v2021-08-07",
            ">>kat<<",
            chrf=0.301,
        ),
        _t(
            "ru-en",
            "Helsinki-NLP/opus-mt-ru-en",
            "39fdcea592bdeb244fa87ce823e9f5c70d3a2bc3",
            "CC-BY-4.0",
            "BLEU 31.4 newstest2019, 61.1 Tatoeba; chrF 0.718 Tatoeba v2021-08-07; "
            "FLORES-200/NTREX-128 not published",
            chrf=0.718,
        ),
        _t(
            "az-en",
            "Helsinki-NLP/opus-mt-az-en",
            "e1cd7fd0daa6b9ce0130d51215c2b7b4a9c1c052",
            "Apache-2.0",
            "BLEU 31.9 Tatoeba; chrF 0.488 Tatoeba v2021-08-07; FLORES-200/NTREX-128 not published",
            chrf=0.488,
        ),
        _r(
            "ka-en",
            "ccs-eng/opus4m+btTCv20210807-2021-09-30",
            "CC-BY-4.0",
            "chrF 0.501 FLORES-200 devtest, 0.484 NTREX-128, 0.644 Tatoeba v2021-08-07",
            chrf=0.484,
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
    """The registry with the overrides from ``models_file`` (or ``$LINGOSUM_MODELS``) applied
    (see :mod:`lingosum.models_file`).

    Raises:
        ConfigError: the file is missing, not TOML, or has an unknown table or bad entry.
    """
    from lingosum.models_file import read_models_file

    path_text = str(models_file) if models_file else os.environ.get(MODELS_ENV, "")
    if not path_text:
        return Registry()
    translators, summarizers = read_models_file(Path(path_text).expanduser())
    return Registry({**DEFAULT_TRANSLATORS, **translators}, {**DEFAULT_SUMMARIZERS, **summarizers})


def check_hub_id(model: str, where: str) -> str:
    """``model`` if it is a valid Hub id, else a one-line error (see
    :func:`lingosum.models_file.check_hub_id`)."""
    from lingosum.models_file import check_hub_id as check

    return check(model, where)


def route_warnings(route: Sequence[ModelSpec]) -> tuple[str, ...]:
    """The cautions a route's results carry (a model with a weak published score)."""
    return tuple(spec.warning for spec in route if spec.warning)
