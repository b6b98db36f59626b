"""Spans no model may touch (URLs, e-mail addresses, @handles, #hashtags), and the one
batched translation call every markup format goes through.

Protected spans are never replaced by placeholders: a model can drop, reorder or
"translate" a placeholder. Instead the text is cut around each span, only the pieces in
between are translated, and the spans are put back byte for byte. The cost is that a
sentence with a URL in the middle is translated as two fragments; :func:`fit_fragment`
keeps fragments from gaining a full stop or a capital letter they did not have.

Markup modules mark atoms (inline code, images, comments...) with one private-use
character each (see :mod:`lingosum.markup.tree`); such characters cut the text the same
way and come back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lingosum.errors import ModelError

__all__ = ["Translate", "find_protected", "fit_fragment", "split_protected", "translate_marked"]

Translate = Callable[[Sequence[str]], list[str]]
"""Maps plain-text blocks (each may hold several sentences) to their translations, in order."""

# Markup markers (private-use plane 16, see tree.py) never belong to a URL.
_URL = r"(?:(?:https?|ftp)://|www\.)[^\s<>\"'`\U00100000-\U0010ffff]+"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"
# A Mastodon handle may carry its server: @user@example.social.
_HANDLE = r"(?<![\w@/.])@\w{1,64}(?:@[\w-]+(?:\.[\w-]+)+)?"
# A hashtag needs a letter, so "#1" and "C#" stay ordinary text.
_HASHTAG = r"(?<![\w#&/])#\w*[^\W\d_]\w*"
_PROTECTED = re.compile(f"{_URL}|{_EMAIL}|{_HANDLE}|{_HASHTAG}")
# Characters a URL usually does not end with when it stands at the end of a sentence.
_URL_TRAILERS = ".,;:!?'\"»”’"
_TERMINAL = ".!?…。"
# Collapsible whitespace as HTML defines it: not U+00A0, which the author chose on purpose.
_HTML_SPACE = " \t\n\r\f"
_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")


def _trim_url(text: str, start: int, end: int) -> int:
    """Drop sentence punctuation and unbalanced closing brackets from a URL's end."""
    while end > start:
        last = text[end - 1]
        if (
            last in _URL_TRAILERS
            or last == ")"
            and text.count("(", start, end) < text.count(")", start, end)
        ):
            end -= 1
        else:
            break
    return end


def find_protected(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` offsets of every URL, e-mail, @handle and #hashtag.

    Args:
        text: plain text.

    Returns:
        Non-overlapping spans in order.
    """
    spans = []
    for match in _PROTECTED.finditer(text):
        start, end = match.span()
        if text[start] in "hfw" and "@" not in match.group():
            end = _trim_url(text, start, end)
        if end > start:
            spans.append((start, end))
    return spans


@dataclass(frozen=True)
class Piece:
    """A stretch of text; ``translate`` is False for protected spans and markers."""

    text: str
    translate: bool


def split_protected(text: str, is_marker: Callable[[str], bool] | None = None) -> list[Piece]:
    """Cut ``text`` into translatable pieces and protected spans (and marker characters).

    A piece without any letter (numbers, punctuation, whitespace) is not worth a model
    call and is marked not to translate.

    Args:
        text: plain text, possibly holding marker characters.
        is_marker: tells marker characters (atoms of a markup tree) apart.

    Returns:
        Pieces whose texts concatenate to ``text``.
    """
    cuts: list[tuple[int, int]] = list(find_protected(text))
    if is_marker is not None:
        cuts += [(i, i + 1) for i, char in enumerate(text) if is_marker(char)]
        cuts.sort()
    pieces: list[Piece] = []
    position = 0
    for start, end in cuts:
        if start < position:  # a marker inside a URL: the URL already covers it
            continue
        if start > position:
            pieces.append(_free_piece(text[position:start]))
        pieces.append(Piece(text[start:end], False))
        position = end
    if position < len(text):
        pieces.append(_free_piece(text[position:]))
    return pieces


def _free_piece(text: str) -> Piece:
    return Piece(text, any(char.isalpha() for char in text))


def fit_fragment(source: str, translation: str) -> str:
    """Make a fragment's translation fit back into its sentence.

    Models treat every input as a sentence: they add a final full stop and capitalise the
    first letter. Both are undone when the source fragment had neither.

    Args:
        source: the stripped source fragment.
        translation: the model's translation of it.

    Returns:
        The adjusted translation.
    """
    text = translation.strip(_HTML_SPACE)
    if source and source[-1] not in _TERMINAL:
        text = text.rstrip(_TERMINAL).rstrip() or text
    first_source = next((char for char in source if char.isalpha()), "")
    # Only a capital that starts a lower-case word ("Here", not "NATO" or "I") is undone.
    if first_source.islower() and text[:1].isupper() and text[1:2].islower():
        text = text[:1].lower() + text[1:]
    return text


def translate_marked(
    texts: Sequence[str],
    translate: Translate,
    *,
    is_marker: Callable[[str], bool] | None = None,
    escapes: Sequence[Callable[[str], str] | None] | None = None,
) -> list[str]:
    """Translate many texts with one call, leaving protected spans and markers untouched.

    Each text is cut with :func:`split_protected`; every distinct translatable piece is
    sent once, with its whitespace runs collapsed to single spaces and its outer
    whitespace stripped (and put back afterwards).

    Args:
        texts: the texts (blocks, inline elements, attribute values) of one document.
        translate: the translation callable, called at most once.
        is_marker: tells marker characters apart (see :func:`split_protected`).
        escapes: one function (or None) per text, applied to the model's outputs placed
            into that text, never to its protected spans (Markdown escaping).

    Returns:
        The translations, in order.

    Raises:
        ModelError: the callable returned a different number of translations.
    """
    split = [split_protected(text, is_marker) for text in texts]
    wanted = list(dict.fromkeys(_core(p.text) for ps in split for p in ps if p.translate))
    done: dict[str, str] = {}
    if wanted:
        results = translate(wanted)
        if len(results) != len(wanted):
            raise ModelError(
                f"the translator returned {len(results)} texts for {len(wanted)} inputs"
            )
        done = {
            source: fit_fragment(source, result)
            for source, result in zip(wanted, results, strict=False)
        }
    escapes = escapes if escapes is not None else [None] * len(texts)
    return [
        "".join(_put_back(piece, done, escape) for piece in pieces)
        for pieces, escape in zip(split, escapes, strict=False)
    ]


def _put_back(piece: Piece, done: dict[str, str], escape: Callable[[str], str] | None) -> str:
    if not piece.translate:
        return piece.text
    stripped = piece.text.strip(_HTML_SPACE)
    start = piece.text.index(stripped)
    translation = done[_core(piece.text)]
    translated = escape(translation) if escape is not None else translation
    return piece.text[:start] + translated + piece.text[start + len(stripped) :]


def _core(text: str) -> str:
    """What the model sees of a piece: no outer whitespace, inner whitespace runs (HTML
    source indentation, joined lines) as single spaces; no-break spaces stay."""
    return _SPACE_RUN.sub(" ", text).strip(_HTML_SPACE)
