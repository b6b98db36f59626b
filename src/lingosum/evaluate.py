"""Score the configured models on a user's own data: chrF, chrF++ and BLEU (sacrebleu) for
translation, ROUGE-1/2/L (rouge-score) for summarization. No printing; the CLI formats."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lingosum.errors import ConfigError
from lingosum.settings import ModelUse, Settings

if TYPE_CHECKING:
    from lingosum.engine import Engine
    from lingosum.evaldata import EvalData
    from lingosum.summarize import SummarizeOptions

INSTALL_HINT = "scoring needs sacrebleu and rouge-score: pip install 'lingosum[eval]'"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Score:
    """One corpus-level metric with the signature that makes it reproducible."""

    metric: str
    score: float
    signature: str


@dataclass(frozen=True)
class EvalResult:
    """Scores of one run, and everything needed to reproduce it."""

    task: str
    origin: str
    source_language: str | None
    target_language: str
    segments: int
    scores: tuple[Score, ...]
    models: tuple[ModelUse, ...]
    backend: str
    compute_type: str | None
    seconds: float
    hypotheses: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the hypotheses, JSON-ready."""
        return {
            "task": self.task,
            "data": self.origin,
            "source_language": self.source_language,
            "target_language": self.target_language,
            "segments": self.segments,
            "scores": {
                s.metric: {"score": round(s.score, 4), "signature": s.signature}
                for s in self.scores
            },
            "models": [use.to_dict() for use in self.models],
            "backend": self.backend,
            "compute_type": self.compute_type,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class Run:
    """What the models produced, before scoring."""

    outputs: tuple[str, ...]
    models: tuple[ModelUse, ...]
    seconds: float

    def result(
        self,
        task: str,
        data: EvalData,
        languages: tuple[str | None, str],
        scores: tuple[Score, ...],
        settings: Settings,
    ) -> EvalResult:
        backend = ", ".join(dict.fromkeys(use.backend for use in self.models)) or settings.backend
        return EvalResult(
            task=task,
            origin=data.origin,
            source_language=languages[0],
            target_language=languages[1],
            segments=len(self.outputs),
            scores=scores,
            models=self.models,
            backend=backend,
            compute_type=_compute_type(backend, settings),
            seconds=self.seconds,
            hypotheses=self.outputs,
        )


def _compute_type(backend: str, settings: Settings) -> str | None:
    """The precision the models ran in (transformers always computes in float32)."""
    if backend == "transformers":
        return "float32"
    if backend != "ctranslate2" or settings.compute_type:
        return settings.compute_type
    from lingosum.backends import resolve_device
    from lingosum.backends.ct2 import default_compute_type

    return default_compute_type(resolve_device(settings.device, backend))


def _scorers() -> tuple[Any, Any]:
    """Import the optional scoring libraries, or say how to install them."""
    try:
        import sacrebleu.metrics
        from rouge_score import rouge_scorer
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return sacrebleu.metrics, rouge_scorer


def score_translations(hypotheses: Sequence[str], references: Sequence[str]) -> tuple[Score, ...]:
    """Corpus-level chrF, chrF++ and BLEU (sacrebleu defaults, one reference).

    Raises:
        ConfigError: sacrebleu is not installed.
    """
    metrics = _scorers()[0]
    scores = []
    for name, metric in (
        ("chrF", metrics.CHRF()),
        ("chrF++", metrics.CHRF(word_order=2)),
        ("BLEU", metrics.BLEU()),
    ):
        result = metric.corpus_score(list(hypotheses), [list(references)])
        scores.append(Score(name, result.score, str(metric.get_signature())))
    return tuple(scores)


class UnicodeWordTokenizer:
    """ROUGE tokens: lowercased runs of letters and digits in any script. rouge-score's own
    tokenizer keeps only ``[a-z0-9]``, which leaves nothing of Russian or Georgian text."""

    def tokenize(self, text: str) -> list[str]:
        return [token for token in re.split(r"[\W_]+", text.lower()) if token]


def score_summaries(hypotheses: Sequence[str], references: Sequence[str]) -> tuple[Score, ...]:
    """ROUGE-1/2/L F-measure averaged over documents, on a 0-100 scale like sacrebleu's.

    Raises:
        ConfigError: rouge-score is not installed.
    """
    rouge_scorer = _scorers()[1]
    names = ("rouge1", "rouge2", "rougeL")
    scorer = rouge_scorer.RougeScorer(list(names), tokenizer=UnicodeWordTokenizer())
    totals = dict.fromkeys(names, 0.0)
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        for name, value in scorer.score(reference, hypothesis).items():
            totals[name] += value.fmeasure
    count = max(len(hypotheses), 1)
    signature = "fmeasure|avg:documents|tok:unicode-words|lowercase|stem:no"
    return tuple(
        Score(f"ROUGE-{name[5:]}", 100 * totals[name] / count, signature) for name in names
    )


# One call of a library function on a chunk: (output text, models used) per input.
Work = Callable[[list[str]], list[tuple[str, tuple[ModelUse, ...]]]]


def _run(work: Work, inputs: Sequence[str], batch_size: int, progress: Progress | None) -> Run:
    """Feed ``inputs`` to ``work`` in chunks, reporting progress after each."""
    outputs = [""] * len(inputs)
    uses: list[ModelUse] = []
    started = time.perf_counter()
    for start in range(0, len(inputs), batch_size):
        # An empty input has nothing to translate or summarize; its output stays empty.
        todo = [i for i in range(start, min(start + batch_size, len(inputs))) if inputs[i].strip()]
        done = work([inputs[i] for i in todo]) if todo else []
        for i, (text, used) in zip(todo, done, strict=True):
            outputs[i] = text
            uses.extend(used)
        if progress is not None:
            progress(min(start + batch_size, len(inputs)), len(inputs))
    return Run(tuple(outputs), tuple(dict.fromkeys(uses)), time.perf_counter() - started)


def evaluate_translation(
    engine: Engine,
    data: EvalData,
    source: str | None,
    target: str,
    *,
    beams: int = 4,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> EvalResult:
    """Translate ``data.inputs`` with the engine's models and score them.

    Args:
        engine: the engine whose models are scored.
        data: segments and their references.
        source: source language; ``None`` detects it per segment.
        target: target language.
        beams: beam size.
        batch_size: segments per engine call (progress is reported after each).
        progress: called with (segments done, total).

    Raises:
        ConfigError: sacrebleu is missing.
        InputError, UnsupportedLanguageError, ModelError: as :meth:`Engine.translate_many`.
    """
    from lingosum.translate import TranslateOptions

    _scorers()
    engine.prepare("translate", [target], source)
    options = TranslateOptions(num_beams=beams)

    def work(texts: list[str]) -> list[tuple[str, tuple[ModelUse, ...]]]:
        rows = engine.translate_many(
            texts, [target], sources=[source] * len(texts), options=options
        )
        return [(row[0].text, row[0].models) for row in rows]

    run = _run(work, data.inputs, batch_size, progress)
    scores = score_translations(run.outputs, data.references)
    return run.result("translate", data, (source, target), scores, engine.settings)


def evaluate_summaries(
    engine: Engine,
    data: EvalData,
    target: str = "en",
    *,
    source: str | None = None,
    options: SummarizeOptions | None = None,
    batch_size: int = 8,
    progress: Progress | None = None,
) -> EvalResult:
    """Summarize ``data.inputs`` into ``target`` and score against the reference summaries.

    Args:
        engine: the engine whose models are scored.
        data: documents and their reference summaries (written in ``target``).
        target: the language of the summaries.
        source: the documents' language; ``None`` detects it per document.
        options: length and decoding settings.
        batch_size: documents per engine call (progress is reported after each).
        progress: called with (documents done, total).

    Raises:
        ConfigError: rouge-score is missing.
        InputError, UnsupportedLanguageError, ModelError: as :meth:`Engine.summarize_many`.
    """
    _scorers()
    engine.prepare("summarize", [target], source)

    def work(texts: list[str]) -> list[tuple[str, tuple[ModelUse, ...]]]:
        sources = [source] * len(texts)
        rows = engine.summarize_many(texts, [target], sources=sources, options=options)
        return [(row[0].text, row[0].models) for row in rows]

    run = _run(work, data.inputs, batch_size, progress)
    scores = score_summaries(run.outputs, data.references)
    return run.result("summarize", data, (source, target), scores, engine.settings)
