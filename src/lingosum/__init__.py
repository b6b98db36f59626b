"""lingosum: detect the language of a text, summarize it, and translate it into
Azerbaijani, Georgian or Russian with MarianMT models.

Importing this package is cheap: it reads no files, and torch and transformers load only
when a model is actually needed.
"""

from __future__ import annotations

# The subpackages ``summarize`` and ``translate`` share their names with the functions the
# API exports. Importing the subpackages first and binding the functions afterwards makes
# ``from lingosum import summarize`` give the function, while ``lingosum.summarize.engine``
# and ``from lingosum.summarize import Summary`` keep working through ``sys.modules``.
import lingosum.summarize
import lingosum.translate  # noqa: F401
from lingosum.detect import Candidate, Detection, detect_language
from lingosum.engine import Engine
from lingosum.errors import LingosumError
from lingosum.settings import ModelUse, Settings
from lingosum.summarize.engine import SummarizeOptions, Summary, summarize, summarize_batch
from lingosum.translate.engine import TranslateOptions, Translation, translate, translate_batch

__version__ = "1.1.0"

__all__ = [
    "Candidate",
    "Detection",
    "Engine",
    "LingosumError",
    "ModelUse",
    "Settings",
    "SummarizeOptions",
    "Summary",
    "TranslateOptions",
    "Translation",
    "detect_language",
    "summarize",
    "summarize_batch",
    "translate",
    "translate_batch",
]
