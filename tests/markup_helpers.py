"""Deterministic stand-ins for the model in the markup tests: ``translate`` callables that
transform each text and record every call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lingosum.markup.compare import Structure, preservation


class Recorder:
    """A translate callable that applies ``transform`` and records every call."""

    def __init__(self, transform: Callable[[str], str]) -> None:
        self.transform = transform
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> list[str]:
        self.calls.append(list(texts))
        return [self.transform(text) for text in texts]


def upper(text: str) -> str:
    return text.upper()


def reverse_words(text: str) -> str:
    return " ".join(reversed(text.split()))


def assert_structure_kept(before: Structure, after: Structure) -> None:
    """Every element, attribute, link target and code block of ``before`` is in ``after``."""
    assert after.elements == before.elements
    assert after.attributes == before.attributes
    assert after.links == before.links
    assert after.code == before.code
    score = preservation(before, after)
    assert (score.elements, score.attributes, score.links, score.code) == (1, 1, 1, 1)
