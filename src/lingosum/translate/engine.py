"""Translation of documents with one loaded model per leg: segment, batch, reassemble.

Routing, model loading and multi-target sharing live in :class:`lingosum.engine.Engine`;
the module-level ``translate`` and ``translate_batch`` are thin wrappers over a default
engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lingosum.backends.base import Backend, GenerationOptions
from lingosum.errors import ModelError
from lingosum.registry import ModelSpec
from lingosum.settings import ModelUse, Settings
from lingosum.translate.document import reassemble, segment_documents

# Pieces longer than this are split further even when the model would accept more: Marian
# models were trained on sentences and degrade (drop or repeat content) on very long input.
MAX_PIECE_TOKENS = 256


@dataclass(frozen=True)
class TranslateOptions:
    """Decoding settings for translation.

    ``num_hypotheses`` > 1 asks for alternatives (beam search's n best; the beam is widened
    to at least that many).
    """

    num_beams: int = 4
    batch_size: int = 16
    max_new_tokens: int = 512
    length_ratio: float = 2.0
    num_hypotheses: int = 1

    def generation(self) -> GenerationOptions:
        return GenerationOptions(
            num_beams=max(self.num_beams, self.num_hypotheses),
            max_new_tokens=self.max_new_tokens,
            length_ratio=self.length_ratio,
            batch_size=self.batch_size,
            num_hypotheses=self.num_hypotheses,
        )


@dataclass(frozen=True)
class Translation:
    """A translated text and how it was made.

    ``alternatives`` are the other hypotheses (best first) when more than one was asked for:
    the k-th is built from each sentence's k-th best translation.
    """

    text: str
    source_language: str
    target_language: str
    models: tuple[ModelUse, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_language": self.source_language,
            "target_language": self.target_language,
            "text": self.text,
            "alternatives": list(self.alternatives),
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
        settings: where models come from and run (one default engine per settings).

    Raises:
        InputError: empty text, or the language cannot be detected.
        UnsupportedLanguageError: no route to ``to``.
        ModelError: a model cannot be fetched or loaded.
    """
    from lingosum.engine import default_engine

    return default_engine(settings).translate(text, to, source=source, options=options)


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
    from lingosum.engine import default_engine

    results = default_engine(settings).translate_many(texts, [to], sources=sources, options=options)
    return [row[0] for row in results]


def translate_leg(
    texts: Sequence[str],
    language: str,
    backend: Backend,
    spec: ModelSpec,
    options: TranslateOptions,
) -> list[list[str]]:
    """Translate documents written in ``language`` with one loaded model.

    Returns:
        For each document, ``options.num_hypotheses`` translations, best first.
    """
    prefix = target_prefix(spec, backend)
    reserve = 1 if prefix else 0
    limit = min(backend.max_input_tokens, MAX_PIECE_TOKENS) - reserve - 1
    segmented = segment_documents(texts, language, limit, backend.count_tokens)
    inputs = [prefix + unit for unit in segmented.units]
    outputs = backend.generate_nbest(inputs, options.generation())
    count = max(1, options.num_hypotheses)
    ranked = [reassemble([o[k] for o in outputs], segmented.layouts) for k in range(count)]
    return [list(row) for row in zip(*ranked, strict=True)] if texts else []


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
