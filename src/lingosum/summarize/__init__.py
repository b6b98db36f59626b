"""Abstractive summaries of text in any supported language, in the language you read."""

from lingosum.summarize.engine import (
    LENGTHS,
    SummarizeOptions,
    Summary,
    summarize,
    summarize_batch,
)

__all__ = ["LENGTHS", "SummarizeOptions", "Summary", "summarize", "summarize_batch"]
