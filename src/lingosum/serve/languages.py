"""The languages the server offers, as LibreTranslate's ``/languages`` lists them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lingosum.errors import UnsupportedLanguageError
from lingosum.registry import MANY_TO_ENGLISH, Registry

NAMES = {
    "az": "Azerbaijani",
    "de": "German",
    "en": "English",
    "fr": "French",
    "hy": "Armenian",
    "ka": "Georgian",
    "kk": "Kazakh",
    "ru": "Russian",
    "tr": "Turkish",
    "uk": "Ukrainian",
}


def name_of(code: str) -> str:
    return NAMES.get(code, code)


@dataclass(frozen=True)
class Languages:
    """Source languages and, for each, the targets a route reaches."""

    pairs: dict[str, tuple[str, ...]]
    targets: tuple[str, ...]

    def to_list(self) -> list[dict[str, Any]]:
        return [
            {"code": code, "name": name_of(code), "targets": list(targets)}
            for code, targets in self.pairs.items()
        ]

    def check_target(self, code: str) -> str:
        """Raises UnsupportedLanguageError unless ``code`` is offered as a target."""
        if code not in self.targets:
            raise UnsupportedLanguageError(f"{code} is not supported")
        return code


def offered(registry: Registry, only: Sequence[str] = ()) -> Languages:
    """Every language with a model, and where it can go (restricted to ``only`` if given).

    Raises:
        UnsupportedLanguageError: ``only`` names a target the model table cannot reach.
    """
    targets = tuple(registry.targets())
    for code in only:
        if code not in targets:
            raise UnsupportedLanguageError(
                f"unsupported target language {code!r}; choose from {', '.join(targets)}"
            )
    chosen = tuple(only) or targets
    sources = sorted(
        ({key.split("-")[0] for key in registry.translators} - {MANY_TO_ENGLISH.split("-")[0]})
        | set(chosen)
    )
    pairs = {}
    for source in sources:
        reachable = tuple(t for t in chosen if t != source and _reaches(registry, source, t))
        if reachable:
            pairs[source] = reachable
    return Languages(pairs, chosen)


def _reaches(registry: Registry, source: str, target: str) -> bool:
    try:
        return bool(registry.route(source, target))
    except UnsupportedLanguageError:
        return False
