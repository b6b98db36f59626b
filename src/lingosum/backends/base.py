"""The one interface every inference backend implements, and what they share."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

# CTranslate2's compute types; the transformers backend always computes in float32.
COMPUTE_TYPES = (
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)


@dataclass(frozen=True)
class GenerationOptions:
    """Decoding settings for one ``generate`` call.

    ``max_new_tokens`` is a hard cap. When ``length_ratio`` is set, each batch is also capped
    at ``length_ratio`` times its longest input plus ``length_slack``: a translation is about
    as long as its source, and a runaway decode must not cost 512 steps.
    """

    num_beams: int = 4
    max_new_tokens: int = 256
    min_new_tokens: int = 0
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    length_ratio: float | None = None
    length_slack: int = 10
    batch_size: int = 16
    num_hypotheses: int = 1

    def cap_for(self, longest_input: int) -> int:
        """The max new tokens for a batch whose longest input has ``longest_input`` tokens."""
        if self.length_ratio is None:
            return self.max_new_tokens
        cap = math.ceil(self.length_ratio * longest_input) + self.length_slack
        return max(self.min_new_tokens + 1, min(self.max_new_tokens, cap))


class Backend(ABC):
    """A loaded seq2seq model (tokenizer included) that turns texts into texts.

    ``calls`` and ``inputs`` count model invocations and the texts they carried, so callers
    (tests, the server's statistics) can see how work was batched without patching code.
    """

    name: str
    max_input_tokens: int
    language_tokens: frozenset[str]
    calls: int = 0
    inputs: int = 0

    @abstractmethod
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input length of each text in model tokens, special tokens included."""

    @abstractmethod
    def _generate_batch(self, texts: Sequence[str], options: GenerationOptions) -> list[list[str]]:
        """Generate for one batch of similar-length texts: for each text its
        ``options.num_hypotheses`` best outputs, best first."""

    def generate(self, texts: Sequence[str], options: GenerationOptions) -> list[str]:
        """The best output for each text (see :meth:`generate_nbest`)."""
        return [hypotheses[0] for hypotheses in self.generate_nbest(texts, options)]

    def generate_nbest(self, texts: Sequence[str], options: GenerationOptions) -> list[list[str]]:
        """Generate for any number of texts: sorted by length, batched, order restored.

        Returns:
            For each text, ``options.num_hypotheses`` outputs, best first. Empty or
            whitespace-only texts give empty outputs without touching the model.
        """
        count = max(1, options.num_hypotheses)
        results = [[""] * count for _ in texts]
        todo = [i for i, text in enumerate(texts) if text.strip()]
        lengths = self.count_tokens([texts[i] for i in todo])
        order = [todo[j] for j in sorted(range(len(todo)), key=lambda j: -lengths[j])]
        for start in range(0, len(order), max(1, options.batch_size)):
            batch = order[start : start + options.batch_size]
            outputs = self._generate_batch([texts[i] for i in batch], options)
            self.calls += 1
            self.inputs += len(batch)
            for index, hypotheses in zip(batch, outputs, strict=True):
                padded = [*hypotheses, *[hypotheses[-1]] * (count - len(hypotheses))]
                results[index] = [text.strip() for text in padded[:count]]
        return results


def language_tokens_of(vocab: Sequence[str]) -> frozenset[str]:
    """The ``>>xxx<<`` target-language tokens in a Marian vocabulary."""
    return frozenset(t for t in vocab if t.startswith(">>") and t.endswith("<<") and len(t) > 4)
