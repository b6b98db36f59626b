"""What ``--resume`` trusts: an earlier record stands only if it was made from the same text
with the same options and models.

Every record carries a :class:`~lingosum.batch.fingerprint.Fingerprint`. When a job continues
an output:

- a record made with other options (task, ``--from``, ``--beams``, ``--length``,
  ``--max-chars``...) or other models (another model, or another commit of a model that
  tracks a branch) makes the job **refuse** the output before anything in it changes, with
  one line counting such records: mixing two settings in one output is never right, and
  which one to keep is the user's call (rerun with the original options, or ``--force``);
- a record whose document now has a different text (or whose id now names another text) is
  **redone**; the new record replaces it, and the job ends with a warning counting them;
- records whose documents are no longer among the inputs are kept and reported;
- records written before fingerprints existed cannot be checked: the output is refused
  (see :data:`lingosum.batch.outputs.LEGACY`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lingosum.batch.fingerprint import (
    Fingerprint,
    ModelIdentities,
    models_fingerprint,
    options_fingerprint,
    text_fingerprint,
)
from lingosum.batch.inputs import Document
from lingosum.batch.records import Record
from lingosum.errors import LingosumError, OutputError
from lingosum.registry import ModelSpec

if TYPE_CHECKING:
    from lingosum.summarize.engine import SummarizeOptions
    from lingosum.translate.engine import TranslateOptions

Key = tuple[str, str]
# (source language or None, target) -> the models the job's route uses.
Plan = Callable[[str | None, str], Sequence[ModelSpec]]
UNROUTABLE = "no-route"
EXAMPLES = 3


class Stamper:
    """Computes the fingerprint a record of this job has (or would have).

    Args:
        task, source, translate, summarize, max_chars: the job's settings (see
            :func:`~lingosum.batch.fingerprint.options_fingerprint`).
        plan: the models a (source language, target) pair goes through.
        identities: resolves models to their pinned identities (default: the local cache).
    """

    def __init__(
        self,
        task: str,
        *,
        source: str | None,
        translate: TranslateOptions,
        summarize: SummarizeOptions,
        max_chars: int | None,
        plan: Plan,
        identities: ModelIdentities | None = None,
    ) -> None:
        self._options = {
            "task": task,
            "source": source,
            "translate": translate,
            "summarize": summarize,
            "max_chars": max_chars,
        }
        self._plan = plan
        self._identities = identities or ModelIdentities()
        self._by_target: dict[str, str] = {}

    def options(self, target: str) -> str:
        if target not in self._by_target:
            self._by_target[target] = options_fingerprint(
                str(self._options["task"]),
                target,
                source=self._options["source"],  # type: ignore[arg-type]
                translate=self._options["translate"],  # type: ignore[arg-type]
                summarize=self._options["summarize"],  # type: ignore[arg-type]
                max_chars=self._options["max_chars"],  # type: ignore[arg-type]
            )
        return self._by_target[target]

    def models(self, record: Record) -> str:
        """The models part: what the route of a successful record plans (a failed record
        produced nothing, so no model shaped it)."""
        if not record.ok:
            return models_fingerprint(())
        try:
            specs = self._plan(record.source_language, record.target_language)
        except LingosumError:
            return UNROUTABLE
        return self._identities(specs)

    def stamp(self, record: Record, text: str | None) -> Record:
        """``record`` with the fingerprint of ``text`` and of this job's settings."""
        fingerprint = Fingerprint(
            text_fingerprint(text), self.options(record.target_language), self.models(record)
        )
        return replace(record, fingerprint=fingerprint)


class ResumeCheck:
    """Applies the rules above for one job on one output."""

    def __init__(self, stamper: Stamper, output: Path) -> None:
        self.stamper = stamper
        self.output = output
        self.redone = 0
        self._seen: set[str] = set()

    def vet(self, records: Mapping[Key, Record]) -> None:
        """Refuse an output holding records this job would not have made (called before
        anything in the output changes).

        Raises:
            OutputError: records without fingerprints, or made with other options or models.
        """
        legacy = sum(1 for r in records.values() if r.fingerprint is None)
        if legacy:
            from lingosum.batch.outputs import LEGACY

            raise OutputError(f"{self.output} {LEGACY}")
        options = [r for r in records.values() if not self._same_options(r)]
        if options:
            raise OutputError(
                self._refusal(
                    options, "other options (task, --from, --beams, --length, --max-chars...)"
                )
            )
        models = [r for r in records.values() if not self._same_models(r)]
        if models:
            raise OutputError(self._refusal(models, "other models or model revisions"))

    def _same_options(self, record: Record) -> bool:
        stamp = record.fingerprint
        return stamp is not None and stamp.options == self.stamper.options(record.target_language)

    def _same_models(self, record: Record) -> bool:
        stamp = record.fingerprint
        return stamp is not None and stamp.models == self.stamper.models(record)

    def _refusal(self, records: Sequence[Record], what: str) -> str:
        targets = ", ".join(sorted({r.target_language for r in records}))
        return (
            f"{self.output}: {len(records)} record(s) (target {targets}) were made with {what} "
            "than this run's; nothing was changed: rerun with the original options, use "
            "--force to start over, or write to another output"
        )

    def pending(
        self, document: Document, targets: Sequence[str], records: Mapping[Key, Record]
    ) -> tuple[str, ...]:
        """The targets of ``document`` still to do: never recorded, or recorded for another
        text (those are redone and counted)."""
        self._seen.add(document.id)
        text = text_fingerprint(document.text)
        todo = []
        for target in targets:
            earlier = records.get((document.id, target))
            if earlier is None:
                todo.append(target)
            elif earlier.fingerprint is None or earlier.fingerprint.input != text:
                todo.append(target)
                self.redone += 1
        return tuple(todo)

    def notes(self, records: Mapping[Key, Record]) -> list[str]:
        """Warnings for the end of the job: pairs redone, records of inputs now absent."""
        notes = []
        if self.redone:
            notes.append(
                f"redid {self.redone} (document, target) pair(s) whose input text changed "
                f"since {self.output} recorded them; their new records replace the old"
            )
        gone = sorted({key[0] for key in records} - self._seen)
        if gone:
            shown = ", ".join(gone[:EXAMPLES]) + (", ..." if len(gone) > EXAMPLES else "")
            notes.append(
                f"{self.output} holds records of {len(gone)} document(s) not among this "
                f"run's inputs ({shown}); they were kept"
            )
        return notes
