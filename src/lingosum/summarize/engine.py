"""Summarization: long documents summarized chunk by chunk with one loaded model.

Bringing the text to a language the summarizer reads and translating the summary into each
target is :class:`lingosum.engine.Engine`'s work; the module-level ``summarize`` and
``summarize_batch`` are thin wrappers over a default engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lingosum.backends.base import Backend, GenerationOptions
from lingosum.errors import ConfigError
from lingosum.settings import ModelUse, Settings
from lingosum.summarize.chunking import chunk_documents
from lingosum.translate.engine import TranslateOptions

# (min, max) new tokens. "medium" is distilbart-cnn-12-6's own setting (56..142).
LENGTHS: dict[str, tuple[int, int]] = {"short": (20, 60), "medium": (56, 142), "long": (110, 300)}
MAX_ROUNDS = 6


@dataclass(frozen=True)
class SummarizeOptions:
    """How long the summary is, and how it is decoded."""

    length: str = "medium"
    num_beams: int = 4
    batch_size: int = 4
    translation: TranslateOptions = field(default_factory=TranslateOptions)

    def generation(self, input_limit: int) -> GenerationOptions:
        """Settings for one summarization pass.

        Each partial summary is capped at a quarter of the input limit so that combining
        them shrinks the text quickly (this only bites on models with small input limits).
        """
        if self.length not in LENGTHS:
            raise ConfigError(f"unknown length {self.length!r}; choose from {', '.join(LENGTHS)}")
        low, high = LENGTHS[self.length]
        high = max(2, min(high, input_limit // 4))
        return GenerationOptions(
            num_beams=self.num_beams,
            min_new_tokens=min(low, high - 1),
            max_new_tokens=high,
            length_penalty=2.0,
            no_repeat_ngram_size=3,
            batch_size=self.batch_size,
        )


@dataclass(frozen=True)
class Summary:
    """A summary in one target language and how it was made.

    ``chunks`` counts the pieces the input was cut into (1 when it fit the model at once);
    ``rounds`` counts summarization passes.
    """

    text: str
    source_language: str
    target_language: str
    chunks: int = 1
    rounds: int = 1
    models: tuple[ModelUse, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_language": self.source_language,
            "target_language": self.target_language,
            "text": self.text,
            "chunks": self.chunks,
            "rounds": self.rounds,
            "models": [use.to_dict() for use in self.models],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Condensed:
    """One document's summary in the summarizer's language."""

    text: str
    chunks: int
    rounds: int
    warnings: tuple[str, ...] = ()


def summarize(
    text: str,
    to: str = "en",
    *,
    source: str | None = None,
    options: SummarizeOptions | None = None,
    settings: Settings | None = None,
) -> Summary:
    """Summarize ``text`` and give the summary in ``to`` (``en``, ``az``, ``ka`` or ``ru``).

    Raises:
        InputError: empty text, or the language cannot be detected.
        UnsupportedLanguageError: no route from the source or to the target.
        ModelError: a model cannot be fetched or loaded.
    """
    from lingosum.engine import default_engine

    return default_engine(settings).summarize(text, to, source=source, options=options)


def summarize_batch(
    texts: Sequence[str],
    targets: Sequence[str],
    *,
    sources: Sequence[str | None] | None = None,
    options: SummarizeOptions | None = None,
    settings: Settings | None = None,
) -> list[list[Summary]]:
    """Summarize many documents into several languages, each summary computed once.

    Returns:
        For each document, one ``Summary`` per target, in the order of ``targets``.
    """
    from lingosum.engine import default_engine

    return default_engine(settings).summarize_many(texts, targets, sources=sources, options=options)


def condense(
    texts: Sequence[str], language: str, backend: Backend, options: SummarizeOptions
) -> list[Condensed]:
    """Summarize documents of any length with one model.

    A document that fits the model is summarized once. A longer one is cut into chunks of
    whole sentences, each chunk is summarized, and the partial summaries are joined and
    summarized again, until one pass covers everything. Chunks of all documents in a round
    go through the model together.
    """
    limit = backend.max_input_tokens
    generation = options.generation(limit)
    current = list(texts)
    chunks = [0] * len(texts)
    rounds = [0] * len(texts)
    warnings: list[tuple[str, ...]] = [()] * len(texts)
    pending = list(range(len(texts)))
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        plans = chunk_documents(
            [current[i] for i in pending], language, limit, backend.count_tokens
        )
        outputs = iter(backend.generate([c for plan in plans for c in plan], generation))
        still = []
        for i, plan in zip(pending, plans, strict=True):
            chunks[i] = chunks[i] or len(plan)
            rounds[i] += 1
            current[i] = " ".join(next(outputs) for _ in plan)
            if len(plan) > 1:
                still.append(i)
        pending = still
    for i in pending:
        warnings[i] = (
            f"the partial summaries still needed {MAX_ROUNDS}+ passes; "
            "the summary is the joined partial summaries of the last pass",
        )
    return [Condensed(current[i], chunks[i], rounds[i], warnings[i]) for i in range(len(texts))]


@dataclass(frozen=True)
class ReadSummary:
    """One document's summary in its summarizer's language (``reader``), and the models
    used so far; :meth:`summary` gives it in a target language."""

    condensed: Condensed
    reader: str
    uses: tuple[ModelUse, ...]

    def summary(
        self, text: str, language: str, target: str, leg_uses: Sequence[ModelUse]
    ) -> Summary:
        return Summary(
            text=text,
            source_language=language,
            target_language=target,
            chunks=self.condensed.chunks,
            rounds=self.condensed.rounds,
            models=(*self.uses, *leg_uses),
            warnings=self.condensed.warnings,
        )
