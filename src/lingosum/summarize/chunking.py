"""Packing sentences into chunks that fit a model's input limit. Pure functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lingosum.translate.document import segment_documents


def plan_chunks(lengths: Sequence[int], limit: int, overhead: int) -> list[range]:
    """Group consecutive units into chunks whose estimated length stays within ``limit``.

    Args:
        lengths: each unit's token count measured alone (special tokens included).
        limit: the model's input limit in tokens.
        overhead: tokens every encoded text carries (e.g. ``<s>`` and ``</s>``).

    Returns:
        Ranges of unit indices; together they cover every unit exactly once, in order.
        A unit longer than ``limit`` (callers split those first) gets a chunk of its own.
    """
    chunks: list[range] = []
    start, used = 0, overhead
    for index, length in enumerate(lengths):
        cost = max(length - overhead, 0) + 1
        if index > start and used + cost > limit:
            chunks.append(range(start, index))
            start, used = index, overhead
        used += cost
    if start < len(lengths):
        chunks.append(range(start, len(lengths)))
    return chunks


def chunk_documents(
    texts: Sequence[str],
    language: str,
    limit: int,
    count: Callable[[Sequence[str]], list[int]],
) -> list[list[str]]:
    """Cut each document into chunks of whole sentences that fit ``limit`` tokens.

    Sentences longer than the limit are split into pieces first, so nothing is cut off.
    """
    overhead = count([""])[0]
    segmented = segment_documents(texts, language, limit - overhead, count)
    lengths = count(segmented.units)
    documents: list[list[str]] = []
    position = 0
    for layout in segmented.layouts:
        size = sum(sum(shape) for shape in layout)
        units = segmented.units[position : position + size]
        unit_lengths = lengths[position : position + size]
        position += size
        chunks = [
            " ".join(units[i] for i in span) for span in plan_chunks(unit_lengths, limit, overhead)
        ]
        documents.append(_enforce(chunks, limit, count))
    return documents


def _enforce(
    chunks: list[str], limit: int, count: Callable[[Sequence[str]], list[int]]
) -> list[str]:
    """Re-split the rare chunk whose real token count beats the estimate."""
    result: list[str] = []
    for chunk, length in zip(chunks, count(chunks), strict=True):
        words = chunk.split(" ")
        if length <= limit or len(words) < 2:
            result.append(chunk)
            continue
        middle = len(words) // 2
        halves = [" ".join(words[:middle]), " ".join(words[middle:])]
        result.extend(_enforce(halves, limit, count))
    return result
