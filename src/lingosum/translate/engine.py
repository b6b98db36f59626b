"""Translation: route each document, segment, batch across documents, reassemble."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lingosum.backends.base import Backend, GenerationOptions
from lingosum.detect import detect_language
from lingosum.errors import InputError, ModelError
from lingosum.registry import ModelSpec, check_target
from lingosum.settings import ModelUse, Settings, ensure_available, load_model
from lingosum.translate.document import reassemble, segment_documents

# Pieces longer than this are split further even when the model would accept more: Marian
# models were trained on sentences and degrade (drop or repeat content) on very long input.
MAX_PIECE_TOKENS = 256


@dataclass(frozen=True)
class TranslateOptions:
    """Decoding settings for translation."""

    num_beams: int = 4
    batch_size: int = 16
    max_new_tokens: int = 512
    length_ratio: float = 2.0

    def generation(self) -> GenerationOptions:
        return GenerationOptions(
            num_beams=self.num_beams,
            max_new_tokens=self.max_new_tokens,
            length_ratio=self.length_ratio,
            batch_size=self.batch_size,
        )


@dataclass(frozen=True)
class Translation:
    """A translated text and how it was made."""

    text: str
    source_language: str
    target_language: str
    models: tuple[ModelUse, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_language": self.source_language,
            "target_language": self.target_language,
            "text": self.text,
            "models": [use.to_dict() for use in self.models],
            "warnings": list(self.warnings),
        }


def translate(
    text: str,
    to: str,
    *,
    source: str | None = None,
    options: TranslateOptions | None = None,
    settings: Settings | None = None,
) -> Translation:
    """Translate ``text`` into ``to`` (``az``, ``ka``, ``ru`` or ``en``).

    Args:
        text: the text; paragraphs (blank-line separated) are kept.
        to: target language code.
        source: source language code; detected when ``None``.
        options: decoding settings.
        settings: where models come from and run.

    Raises:
        InputError: empty text, or the language cannot be detected.
        UnsupportedLanguageError: no route to ``to``.
        ModelError: a model cannot be fetched or loaded.
    """
    return translate_batch([text], to, sources=[source], options=options, settings=settings)[0]


def translate_batch(
    texts: Sequence[str],
    to: str,
    *,
    sources: Sequence[str | None] | None = None,
    options: TranslateOptions | None = None,
    settings: Settings | None = None,
) -> list[Translation]:
    """Translate many documents into ``to``; each model loads once and sentences of all
    documents on the same route are batched together. Results are in input order."""
    settings = settings or Settings()
    registry = settings.registry()
    target = check_target(to, registry)
    given = sources or [None] * len(texts)
    languages = [_source_language(text, lang) for text, lang in zip(texts, given, strict=True)]
    routes = {lang: registry.route(lang, target) for lang in set(languages)}
    ensure_available([spec for route in routes.values() for spec in route], settings)
    results: list[Translation | None] = [None] * len(texts)
    for lang, route in routes.items():
        indices = [i for i, value in enumerate(languages) if value == lang]
        outputs, uses = run_route([texts[i] for i in indices], lang, route, options, settings)
        for i, output in zip(indices, outputs, strict=True):
            results[i] = Translation(output, lang, target, tuple(uses))
    return [r for r in results if r is not None]


def _source_language(text: str, given: str | None) -> str:
    if not text.strip():
        raise InputError("the input is empty: there is nothing to translate")
    if given:
        return given.strip().lower()
    detection = detect_language(text)
    if detection.language == "und":
        raise InputError(
            f"cannot detect the language ({detection.reason}); pass it with --from LANG"
        )
    return detection.language


def run_route(
    texts: Sequence[str],
    source: str,
    route: Sequence[ModelSpec],
    options: TranslateOptions | None,
    settings: Settings,
) -> tuple[list[str], list[ModelUse]]:
    """Push documents through each leg of a route (direct, or pivot via English)."""
    options = options or TranslateOptions()
    current = list(texts)
    language = source
    uses = []
    for spec in route:
        backend, use = load_model(spec, settings)
        current = translate_leg(current, language, backend, spec, options)
        uses.append(use)
        language = spec.key.split("-")[1]
    return current, uses


def translate_leg(
    texts: Sequence[str],
    language: str,
    backend: Backend,
    spec: ModelSpec,
    options: TranslateOptions,
) -> list[str]:
    """Translate documents written in ``language`` with one loaded model."""
    prefix = target_prefix(spec, backend)
    reserve = 1 if prefix else 0
    limit = min(backend.max_input_tokens, MAX_PIECE_TOKENS) - reserve - 1
    segmented = segment_documents(texts, language, limit, backend.count_tokens)
    inputs = [prefix + unit for unit in segmented.units]
    outputs = backend.generate(inputs, options.generation())
    return reassemble(outputs, segmented.layouts)


def target_prefix(spec: ModelSpec, backend: Backend) -> str:
    """The ``>>xxx<< `` prefix a multi-target model needs ('' for single-target models).

    Raises:
        ModelError: the model is multi-target and no (or an unknown) token is configured.
    """
    tokens = backend.language_tokens
    if spec.target_token is None:
        if tokens:
            raise ModelError(
                f"model {spec.label} translates into several languages and needs a target "
                f'token for {spec.key}; set target_token = ">>xxx<<" for "{spec.key}" in your '
                f"models file (it knows e.g. {', '.join(sorted(tokens)[:5])})"
            )
        return ""
    if spec.target_token not in tokens:
        raise ModelError(
            f"model {spec.label} has no target token {spec.target_token}; "
            "check target_token in your models file"
        )
    return spec.target_token + " "
