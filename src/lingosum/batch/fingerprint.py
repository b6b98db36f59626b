"""Fingerprints that tie every batch record to what produced it.

A record's :class:`Fingerprint` has three parts, each a short SHA-256:

- ``input``: the document's text (after decoding), so a result is never attached to a
  different text;
- ``options``: every setting that shapes the output: task, target, the source language given
  (``--from``), the decoding options (beams, summary length, alternatives...) and the
  character limit; not the settings that only change speed (batch sizes, threads);
- ``models``: each model the (task, source language, target) route plans, as the Hub id and
  the commit its snapshot resolved to in the local cache (so a model that tracks a branch
  is fingerprinted by the commit actually used), a release by its archive hash, a local
  model by its path.

``--resume`` compares them with what the current job would do (see
:mod:`lingosum.batch.resume`). The functions here are pure apart from
:func:`model_identity`, which looks at the local cache, so any executor (the local runner,
Ray workers) computes the same fingerprints for the same work.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from lingosum.registry import ModelSpec

if TYPE_CHECKING:
    from lingosum.summarize.engine import SummarizeOptions
    from lingosum.translate.engine import TranslateOptions

DIGITS = 16
# Options that change how fast work is done, never what comes out.
SPEED_ONLY = frozenset({"batch_size"})
SNAPSHOT = re.compile(r"[\\/]snapshots[\\/]([0-9a-f]{40})(?:[\\/]|$)")


@dataclass(frozen=True)
class Fingerprint:
    """What a record was made from: its input text, the options, the models.

    ``input`` is ``None`` for a document that could not be read (it has no text).
    """

    input: str | None
    options: str
    models: str

    def to_dict(self) -> dict[str, str | None]:
        return {"input": self.input, "options": self.options, "models": self.models}

    @classmethod
    def from_dict(cls, data: Any) -> Fingerprint:
        """Raises ValueError: not a fingerprint object."""
        if not isinstance(data, dict):
            raise ValueError("field 'fingerprint' is not an object")
        parts = [data.get(name) for name in ("input", "options", "models")]
        if not all(isinstance(p, str) for p in parts[1:]) or not isinstance(
            parts[0], (str, type(None))
        ):
            raise ValueError("field 'fingerprint' lacks input, options or models")
        return cls(parts[0], str(parts[1]), str(parts[2]))


def digest(value: Any) -> str:
    """A short, stable hash of a JSON-able value (keys sorted)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGITS]


def text_fingerprint(text: str | None) -> str | None:
    """The fingerprint of a document's text; ``None`` for a document without text."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGITS]


def _shaping(options: Any) -> dict[str, Any]:
    """The fields of an options dataclass that shape the output (nested ones included)."""
    return _drop_speed(asdict(options))


def _drop_speed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_speed(v) for k, v in value.items() if k not in SPEED_ONLY}
    return value


def options_fingerprint(
    task: str,
    target: str,
    *,
    source: str | None,
    translate: TranslateOptions,
    summarize: SummarizeOptions,
    max_chars: int | None,
) -> str:
    """The fingerprint of the options that shape one (document, target) result.

    Args:
        task: ``translate`` or ``summarize``; only that task's options count.
        target: the target language.
        source: the source language given for every document (``None``: detected).
        translate, summarize: the decoding options.
        max_chars: the input limit (a document over it fails instead of producing text).
    """
    decoding = _shaping(translate if task == "translate" else summarize)
    return digest(
        {
            "task": task,
            "target": target,
            "source": source,
            "decoding": decoding,
            "max_chars": max_chars,
        }
    )


def model_identity(spec: ModelSpec, path: str | None) -> str:
    """What pins a model's bytes: the Hub id with the commit of its snapshot ``path``, a
    release's archive hash, or a local model's directory.

    Args:
        spec: the model as the registry names it.
        path: where its files are (a Hub snapshot path holds the commit), if known.
    """
    if getattr(spec, "url", None) is not None:
        return f"{spec.model}#sha256={getattr(spec, 'sha256', None) or spec.url}"
    if spec.is_local:
        return f"local:{path or spec.model}"
    found = SNAPSHOT.search(path or "")
    commit = found.group(1) if found else spec.revision
    token = f">>{spec.target_token}" if spec.target_token else ""
    return f"{spec.model}@{commit}{token}"


def models_fingerprint(identities: Iterable[str]) -> str:
    """The fingerprint of a set of model identities (order and repeats do not count)."""
    return digest(sorted(set(identities)))


class ModelIdentities:
    """Model identities resolved from the local cache, each model looked up once.

    ``locate`` gives a model's directory without touching the network (``None`` when it
    is not there); by default :func:`lingosum.hub.cached_dir`.
    """

    def __init__(self, locate: Callable[[ModelSpec], Any] | None = None) -> None:
        if locate is None:
            from lingosum.hub import cached_dir

            locate = cached_dir
        self._locate = locate
        self._known: dict[ModelSpec, str] = {}

    def __call__(self, specs: Sequence[ModelSpec]) -> str:
        """The models fingerprint of ``specs``."""
        return models_fingerprint(self._identity(spec) for spec in specs)

    def _identity(self, spec: ModelSpec) -> str:
        if spec in self._known:
            return self._known[spec]
        found = self._locate(spec)
        identity = model_identity(spec, None if found is None else str(found))
        if found is not None:  # not cached yet: it may be fetched later in this run
            self._known[spec] = identity
        return identity
