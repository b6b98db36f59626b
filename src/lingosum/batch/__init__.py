"""Batch jobs: many documents into many languages, resumable, every result recorded once.

``run_batch`` is the entry point; ``lingosum batch`` is a thin command over it.
"""

from lingosum.batch.inputs import Document, InputOptions
from lingosum.batch.outputs import OutputMode
from lingosum.batch.records import FIELDS, Record
from lingosum.batch.runner import BatchOptions, BatchReport, Hooks, Progress, run_batch

__all__ = [
    "FIELDS",
    "BatchOptions",
    "BatchReport",
    "Document",
    "Hooks",
    "InputOptions",
    "OutputMode",
    "Progress",
    "Record",
    "run_batch",
]
