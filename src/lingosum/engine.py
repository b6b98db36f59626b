"""The engine: one object that owns a process's loaded models for its lifetime.

An :class:`Engine` is made from :class:`~lingosum.settings.Settings`. It loads each model the
first time a call needs it, keeps it until :meth:`Engine.close` (or the end of a ``with``
block), and is safe to call from several threads at once: a model loads once even when two
threads ask for it together, and calls into one model take turns (tokenizers and torch
modules are not re-entrant; CTranslate2 uses every core for one call anyway). ``close()``
refuses new calls, lets calls in flight finish, then drops the models.

The CLI, ``lingosum batch``, the server and the Ray workers each hold one engine. The
module-level ``lingosum.translate`` / ``summarize`` functions use :func:`default_engine`, one
engine per distinct (frozen) ``Settings`` and models file, kept until
:func:`close_default_engines`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from lingosum.backends.base import Backend
from lingosum.detect import Detection, detect_language
from lingosum.errors import EngineClosedError, InputError
from lingosum.registry import (
    MODELS_ENV,
    PIVOT,
    TASKS,
    ModelSpec,
    Registry,
    check_target,
    route_warnings,
)
from lingosum.settings import ModelUse, Settings
from lingosum.summarize.engine import ReadSummary, SummarizeOptions, Summary, condense
from lingosum.translate.engine import TranslateOptions, Translation, translate_leg

logger = logging.getLogger("lingosum")

# One leg's results for a group of documents: each document's hypotheses, best first.
Hypotheses = list[list[str]]
LegKey = tuple[str, tuple[ModelSpec, ...], int]


@dataclass
class LoadedModel:
    """A model the engine holds: its files, the loaded backend, and the lock its calls take."""

    path: Path
    backend: Backend
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def use(self, spec: ModelSpec) -> ModelUse:
        """The record of ``spec`` having run on this model, reported with every result."""
        return ModelUse(
            role=f"{spec.task} {spec.key}",
            model=spec.model,
            revision=None if spec.is_local else spec.revision,
            path=str(self.path),
            backend=self.backend.name,
            target_token=spec.target_token,
        )


class Engine:
    """Detect, translate and summarize with models loaded once and kept.

    Args:
        settings: where models come from and run; validated on construction.
        notify: receives one-line notices (a backend fallback, an option with no effect);
            defaults to the ``lingosum`` logger.

    Raises:
        ConfigError: a bad models file.
    """

    def __init__(
        self, settings: Settings | None = None, *, notify: Callable[[str], None] | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.registry: Registry = self.settings.registry()
        self.notify = notify or logger.warning
        self._models: dict[tuple[str, str | None], LoadedModel] = {}
        self._loading: dict[tuple[str, str | None], threading.Lock] = {}
        self._state = threading.Condition()
        self._active = 0
        self._closed = False
        self._in_call = threading.local()
        if self.settings.backend == "transformers" and self.settings.compute_type:
            self.notify(
                "--compute-type has no effect with the transformers backend (it computes in "
                "float32); use --backend ctranslate2 to choose a compute type"
            )

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Refuse new calls, wait for the calls in flight, then free every model."""
        with self._state:
            self._closed = True
            self._state.wait_for(lambda: self._active == 0)
            self._models.clear()
            self._loading.clear()

    @contextmanager
    def _call(self) -> Iterator[None]:
        with self._state:
            if self._closed:
                raise EngineClosedError("this lingosum engine is closed; create a new one")
            self._active += 1
        depth = getattr(self._in_call, "depth", 0)
        self._in_call.depth = depth + 1
        try:
            yield
        finally:
            self._in_call.depth = depth
            with self._state:
                self._active -= 1
                self._state.notify_all()

    def loaded(self) -> list[LoadedModel]:
        """The models loaded so far (their backends count calls and inputs)."""
        with self._state:
            return list(self._models.values())

    def load(self, spec: ModelSpec) -> LoadedModel:
        """``spec``'s model, loaded on first use (fetched first when allowed).

        Raises:
            ModelError: the model cannot be found, fetched or loaded.
            EngineClosedError: the engine is closed.
        """
        key = (spec.model, spec.revision)
        with self._state:
            # A call already in flight when close() began may still load what it needs.
            if self._closed and not getattr(self._in_call, "depth", 0):
                raise EngineClosedError("this lingosum engine is closed; create a new one")
            if key in self._models:
                return self._models[key]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._state:
                if key in self._models:
                    return self._models[key]
            loaded = self._load(spec)
            with self._state:
                self._models[key] = loaded
            return loaded

    def _load(self, spec: ModelSpec) -> LoadedModel:
        from lingosum.backends import load_backend
        from lingosum.hub import model_dir

        path = model_dir(spec, offline=self.settings.offline)
        backend = load_backend(
            path,
            backend=self.settings.backend,
            device=self.settings.device,
            compute_type=self.settings.compute_type,
            cache_key=None if spec.is_local else f"{spec.model}@{spec.revision}",
            notify=self.notify,
        )
        return LoadedModel(path, backend)

    def check_models(self, specs: Sequence[ModelSpec]) -> None:
        """Find (fetching if allowed) every model in ``specs`` before work starts, so a
        missing model fails at once, not halfway through a job.

        Raises:
            ModelError: a model cannot be found, fetched or read.
        """
        from lingosum.hub import prepare

        prepare(list(dict.fromkeys(specs)), offline=self.settings.offline)

    def prepare(self, task: str, targets: Sequence[str], source: str | None = None) -> None:
        """Check and load the models nearly every document of a job needs, so that a
        missing or broken one stops the job before the first document. With no
        ``source``, the summarizer and the English -> target models (every route but into
        English passes through them).

        Raises:
            ConfigError: unknown task, or no summarizer.
            UnsupportedLanguageError: a target has no route.
            ModelError: a model is missing or broken.
        """
        specs = self.job_models(task, targets, source)
        self.check_models(specs)
        for spec in specs:
            self.load(spec)

    def job_models(self, task: str, targets: Sequence[str], source: str | None) -> list[ModelSpec]:
        """The models a job on ``task`` into ``targets`` from ``source`` (English when
        unknown) uses, in order, each once.

        Raises:
            ConfigError: unknown task, or no summarizer.
            UnsupportedLanguageError: a target has no route.
        """
        from lingosum.errors import ConfigError

        if task not in TASKS:
            raise ConfigError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
        start = source or PIVOT
        codes = [check_target(code, self.registry) for code in targets]
        legs: list[ModelSpec] = []
        for code in codes:
            if task == "translate":
                legs += self.registry.route(start, code)
            else:
                legs += self.registry.summary_legs(start, code)
        return list(dict.fromkeys(legs))

    def detect(self, text: str, *, top: int = 1) -> Detection:
        """The language of ``text`` (see :func:`lingosum.detect.detect_language`)."""
        with self._call():
            return detect_language(text, top=top)

    def source_language(self, text: str, given: str | None = None) -> str:
        """``given`` normalised, else the detected language of ``text``.

        Raises:
            InputError: the text is empty, or its language cannot be determined.
        """
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

    def _languages(self, texts: Sequence[str], sources: Sequence[str | None] | None) -> list[str]:
        given = list(sources) if sources is not None else [None] * len(texts)
        if len(given) != len(texts):
            raise InputError(f"{len(texts)} texts but {len(given)} source languages")
        return [self.source_language(text, lang) for text, lang in zip(texts, given, strict=True)]

    def translate(
        self,
        text: str,
        to: str,
        *,
        source: str | None = None,
        options: TranslateOptions | None = None,
    ) -> Translation:
        """Translate one text into one language (see :meth:`translate_many`)."""
        return self.translate_many([text], [to], sources=[source], options=options)[0][0]

    def translate_many(
        self,
        texts: Sequence[str],
        targets: Sequence[str],
        *,
        sources: Sequence[str | None] | None = None,
        options: TranslateOptions | None = None,
    ) -> list[list[Translation]]:
        """Translate documents into several languages.

        Each document's language is detected once; legs that several targets share (the
        X -> English pivot) run once; sentences of all documents on a leg are batched.

        Returns:
            For each document, one ``Translation`` per target, in the order of ``targets``.

        Raises:
            InputError: an empty text, or one whose language cannot be detected.
            UnsupportedLanguageError: no route to a target.
            ModelError: a model cannot be fetched or loaded.
        """
        options = options or TranslateOptions()
        with self._call():
            codes = [check_target(code, self.registry) for code in targets]
            languages = self._languages(texts, sources)
            routes = {
                (lang, code): self.registry.route(lang, code)
                for lang in set(languages)
                for code in codes
            }
            self.check_models([spec for route in routes.values() for spec in route])
            results: list[list[Translation]] = [[] for _ in texts]
            for lang in sorted(set(languages)):
                indices = [i for i, value in enumerate(languages) if value == lang]
                docs = [texts[i] for i in indices]
                memo: dict[LegKey, Hypotheses] = {}
                for code in codes:
                    route = routes[(lang, code)]
                    outputs, uses = self._run_route(docs, lang, route, options, memo)
                    for i, hypotheses in zip(indices, outputs, strict=True):
                        results[i].append(_translation(hypotheses, lang, code, uses, route))
            return results

    def _run_route(
        self,
        docs: Sequence[str],
        language: str,
        route: Sequence[ModelSpec],
        options: TranslateOptions,
        memo: dict[LegKey, Hypotheses],
    ) -> tuple[Hypotheses, list[ModelUse]]:
        """Push documents through each leg of a route; legs already run for the same
        documents (kept in ``memo``) are reused. Only the last leg returns alternatives."""
        if not route:
            return [[doc] for doc in docs], []
        current, source, uses = list(docs), language, []
        hypotheses: Hypotheses = []
        for k, spec in enumerate(route):
            count = options.num_hypotheses if k == len(route) - 1 else 1
            key = (language, tuple(route[: k + 1]), count)
            loaded = self.load(spec)
            if key not in memo:
                leg_options = replace(options, num_hypotheses=count)
                with loaded.lock:
                    memo[key] = translate_leg(current, source, loaded.backend, spec, leg_options)
            hypotheses = memo[key]
            uses.append(loaded.use(spec))
            current = [row[0] for row in hypotheses]
            source = spec.key.split("-")[1]
        return hypotheses, uses

    def summarize(
        self,
        text: str,
        to: str = "en",
        *,
        source: str | None = None,
        options: SummarizeOptions | None = None,
    ) -> Summary:
        """Summarize one text into one language (see :meth:`summarize_many`)."""
        return self.summarize_many([text], [to], sources=[source], options=options)[0][0]

    def summarize_many(
        self,
        texts: Sequence[str],
        targets: Sequence[str],
        *,
        sources: Sequence[str | None] | None = None,
        options: SummarizeOptions | None = None,
    ) -> list[list[Summary]]:
        """Summarize documents, each summary computed once and translated into every target.

        Returns:
            For each document, one ``Summary`` per target, in the order of ``targets``.

        Raises:
            InputError: an empty text, or one whose language cannot be detected.
            ConfigError: no summarizer reads the text (even through English).
            UnsupportedLanguageError: no route from the source or to a target.
            ModelError: a model cannot be fetched or loaded.
        """
        options = options or SummarizeOptions()
        with self._call():
            codes = [check_target(code, self.registry) for code in targets]
            languages = self._languages(texts, sources)
            self.check_models(
                [
                    spec
                    for lang in set(languages)
                    for code in codes
                    for spec in self.registry.summary_legs(lang, code)
                ]
            )
            condensed = self._condense_all(texts, languages, options)
            results: list[list[Summary]] = [[] for _ in texts]
            for reader in sorted({done.reader for done in condensed}):
                indices = [i for i, done in enumerate(condensed) if done.reader == reader]
                memo: dict[LegKey, Hypotheses] = {}
                for code in codes:
                    route = self.registry.route(reader, code)
                    summaries = [condensed[i].condensed.text for i in indices]
                    outputs, uses = self._run_route(
                        summaries, reader, route, options.translation, memo
                    )
                    for i, hypotheses in zip(indices, outputs, strict=True):
                        legs = self.registry.summary_legs(languages[i], code)
                        done = condensed[i].summary(hypotheses[0], languages[i], code, uses)
                        warned = (*done.warnings, *route_warnings(legs))
                        results[i].append(replace(done, warnings=warned))
            return results

    def _condense_all(
        self, texts: Sequence[str], languages: Sequence[str], options: SummarizeOptions
    ) -> list[ReadSummary]:
        """Each document summarized in its summarizer's language (translated there first)."""
        done: list[ReadSummary | None] = [None] * len(texts)
        single = replace(options.translation, num_hypotheses=1)
        for language in sorted(set(languages)):
            reader = self.registry.reader(language)
            indices = [i for i, lang in enumerate(languages) if lang == language]
            docs = [texts[i] for i in indices]
            route = self.registry.route(language, reader)
            outputs, uses = self._run_route(docs, language, route, single, {})
            spec = self.registry.summarizer_for(language)
            loaded = self.load(spec)
            with loaded.lock:
                condensed = condense([row[0] for row in outputs], reader, loaded.backend, options)
            for i, result in zip(indices, condensed, strict=True):
                done[i] = ReadSummary(result, reader, (*uses, loaded.use(spec)))
        return [item for item in done if item is not None]


def _translation(
    hypotheses: Sequence[str],
    source: str,
    target: str,
    uses: Sequence[ModelUse],
    route: Sequence[ModelSpec],
) -> Translation:
    return Translation(
        hypotheses[0],
        source,
        target,
        tuple(uses),
        warnings=route_warnings(route),
        alternatives=tuple(hypotheses[1:]),
    )


_defaults: dict[tuple[Settings, str], Engine] = {}
_defaults_lock = threading.Lock()


def default_engine(settings: Settings | None = None) -> Engine:
    """The engine the module-level functions use: one per distinct ``Settings`` and
    ``$LINGOSUM_MODELS`` value, made on first use and kept until
    :func:`close_default_engines`."""
    settings = settings or Settings()
    key = (settings, os.environ.get(MODELS_ENV, ""))
    with _defaults_lock:
        engine = _defaults.get(key)
        if engine is None or engine.closed:
            engine = _defaults[key] = Engine(settings)
        return engine


def close_default_engines() -> None:
    """Close every default engine, freeing its models."""
    with _defaults_lock:
        engines = list(_defaults.values())
        _defaults.clear()
    for engine in engines:
        engine.close()
