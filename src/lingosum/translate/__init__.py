"""Translate text into Azerbaijani, Georgian, Russian or English with MarianMT models."""

from lingosum.translate.engine import (
    TranslateOptions,
    Translation,
    translate,
    translate_batch,
)

__all__ = ["TranslateOptions", "Translation", "translate", "translate_batch"]
