"""Documents <-> model inputs: paragraphs, sentences and pieces, and back again.

Marian models are trained on single sentences, so a document is cut into paragraphs, then
sentences, and a sentence longer than the model's limit into pieces. ``Layout`` remembers the
shape so the outputs can be put back together with the paragraph structure intact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lingosum.segment import split_long, split_paragraphs, split_sentences

# A document's shape: for each paragraph, for each sentence, how many pieces it became.
Layout = list[list[int]]


@dataclass(frozen=True)
class Segmented:
    """Model inputs of many documents, in order, and each document's layout."""

    units: list[str]
    layouts: list[Layout]


def segment_documents(
    texts: Sequence[str],
    language: str,
    max_units: int,
    count: Callable[[Sequence[str]], list[int]],
) -> Segmented:
    """Cut documents into sentence-sized model inputs of at most ``max_units`` tokens.

    ``count`` measures many strings at once (a tokenizer call); it is called once for all
    sentences, then only for the rare sentence that must be split further.
    """
    sentences_per_doc = [
        [split_sentences(paragraph, language) for paragraph in split_paragraphs(text)]
        for text in texts
    ]
    flat = [s for doc in sentences_per_doc for paragraph in doc for s in paragraph]
    lengths = iter(count(flat))
    units: list[str] = []
    layouts: list[Layout] = []
    for doc in sentences_per_doc:
        layout: Layout = []
        for paragraph in doc:
            shape = []
            for sentence in paragraph:
                pieces = [sentence]
                if next(lengths) > max_units:
                    pieces = split_long(sentence, max_units, lambda s: count([s])[0])
                units.extend(pieces)
                shape.append(len(pieces))
            layout.append(shape)
        layouts.append(layout)
    return Segmented(units, layouts)


def reassemble(outputs: Sequence[str], layouts: Sequence[Layout]) -> list[str]:
    """Put translated units back into documents: pieces and sentences joined by a space,
    paragraphs by a blank line."""
    position = 0
    documents = []
    for layout in layouts:
        paragraphs = []
        for shape in layout:
            sentences = []
            for pieces in shape:
                sentences.append(" ".join(outputs[position : position + pieces]).strip())
                position += pieces
            paragraphs.append(" ".join(s for s in sentences if s))
        documents.append("\n\n".join(paragraphs))
    if position != len(outputs):
        raise ValueError(f"layout covers {position} units but {len(outputs)} were given")
    return documents
