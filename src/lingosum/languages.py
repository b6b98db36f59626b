"""Language codes a user may name: the ones lingosum can detect or route, with their English
names, so that ``--from english`` is caught and answered with ``en``.
"""

from __future__ import annotations

import difflib

from lingosum.errors import UnsupportedLanguageError

# Every language the detector can return (langdetect's profiles, plus the languages
# lingosum's own scorer adds and the scripts it names), by ISO 639-1 code.
NAMES: dict[str, str] = {
    "af": "Afrikaans",
    "am": "Amharic",
    "ar": "Arabic",
    "az": "Azerbaijani",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "bo": "Tibetan",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "gu": "Gujarati",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "hy": "Armenian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ka": "Georgian",
    "kk": "Kazakh",
    "km": "Khmer",
    "kn": "Kannada",
    "ko": "Korean",
    "lo": "Lao",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "ml": "Malayalam",
    "mr": "Marathi",
    "my": "Burmese",
    "ne": "Nepali",
    "nl": "Dutch",
    "no": "Norwegian",
    "pa": "Punjabi",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "si": "Sinhala",
    "sk": "Slovak",
    "sl": "Slovenian",
    "so": "Somali",
    "sq": "Albanian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh-cn": "Chinese (simplified)",
    "zh-tw": "Chinese (traditional)",
}
# What people type instead of the code.
_ALIASES = {
    "azeri": "az",
    "azərbaycan": "az",
    "ქართული": "ka",
    "русский": "ru",
    "chinese": "zh-cn",
    "farsi": "fa",
    "zh": "zh-cn",
}


def suggest(name: str) -> str | None:
    """The code a user probably meant by ``name`` (``english`` -> ``en``), or None."""
    text = name.strip().lower()
    if text in NAMES:
        return text
    by_name = {language.lower(): code for code, language in NAMES.items()}
    if text in by_name or text in _ALIASES:
        return by_name.get(text) or _ALIASES[text]
    close = difflib.get_close_matches(text, list(by_name), n=1, cutoff=0.75)
    return by_name[close[0]] if close else None


def hint(name: str) -> str:
    """`` (did you mean 'en', English?)`` for a language given by name, else ''."""
    code = suggest(name)
    return f" (did you mean {code!r}, {NAMES[code]}?)" if code and code != name else ""


def check_source(language: str, known: frozenset[str] | set[str] = frozenset()) -> str:
    """Normalise a source language code (``EN`` -> ``en``), or raise naming the likely code.

    Args:
        language: what the user gave (``--from``).
        known: codes the model table routes besides :data:`NAMES` (from a models file).

    Raises:
        UnsupportedLanguageError: not a language code lingosum knows or can detect.
    """
    code = language.strip().lower().replace("_", "-")
    if code in NAMES or code in known:
        return code
    raise UnsupportedLanguageError(
        f"unknown source language {language!r}"
        + (hint(language) or "; give a code such as en, ru, az or ka, or leave it out to detect it")
    )
