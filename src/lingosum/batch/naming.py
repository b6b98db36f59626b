"""Unique document ids and safe output paths.

Ids come from file paths and from id fields in data, so they can repeat and can contain
anything: ``../../etc/passwd``, ``C:\\x``, control characters. Output paths in directory mode
are derived from them by :func:`safe_relpath`, which keeps every path inside the output
directory; :class:`Namer` then makes ids and paths unique within a job. Both depend only on
the order documents arrive in, which is deterministic, so a resumed job names every
document the same way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingosum.batch.inputs import Document

SAFE_PUNCTUATION = frozenset("._-+,=@#%~ ()[]")
# Bytes: common file systems allow 255 per name; leave room for a "-2" and a hash.
MAX_NAME_BYTES = 150


def safe_relpath(name: str) -> str:
    """A relative POSIX path derived from ``name`` that cannot leave its directory.

    Separators (``/`` and ``\\``) make subdirectories; ``.`` and empty parts are dropped;
    every other character outside letters, digits and ``SAFE_PUNCTUATION`` becomes ``_``; a
    part may not start with a dot (no ``..``, no hidden files). When anything had to change,
    a short hash of ``name`` is added so that different names stay different.
    """
    parts = [part for part in re.split(r"[\\/]+", name) if part not in ("", ".")]
    cleaned = [_clean_part(part) for part in parts] or ["_"]
    path = "/".join(cleaned)
    if path != name:
        digest = hashlib.sha1(name.encode("utf-8", "replace")).hexdigest()[:8]
        path = with_suffix_tag(path, digest)
    return path


def _clean_part(part: str) -> str:
    chars = "".join(c if c.isalnum() or c in SAFE_PUNCTUATION else "_" for c in part)
    if chars.startswith("."):
        chars = "_" + chars[1:]
    chars = chars.rstrip(" .") or "_"
    while len(chars.encode("utf-8")) > MAX_NAME_BYTES:
        chars = chars[:-1]
    return chars


def with_suffix_tag(path: str, tag: str) -> str:
    """``a/b.txt`` + ``2`` -> ``a/b-2.txt``: the tag goes before the file's suffix."""
    folder, _, name = path.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    tagged = f"{stem}-{tag}.{suffix}" if dot and stem else f"{name}-{tag}"
    return f"{folder}/{tagged}" if folder else tagged


class Namer:
    """Hands out job-unique ids and output paths, in arrival order.

    A repeated id gets ``~2``, ``~3``... A path that repeats another (ignoring case, for
    case-insensitive file systems), or that clashes with another's folder, gets ``-2``...
    """

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._files: set[str] = set()
        self._folders: set[str] = set()

    def claim(self, document: Document) -> Document:
        """``document`` with a unique id and a safe, unique ``path``."""
        doc_id = document.id
        count = 1
        while doc_id in self._ids:
            count += 1
            doc_id = f"{document.id}~{count}"
        self._ids.add(doc_id)
        wanted = safe_relpath(document.path)
        path, count = wanted, 1
        while (clash := self._clash(path)) is not None:
            count += 1
            parts = wanted.split("/")
            parts[clash] = with_suffix_tag(parts[clash], str(count))
            path = "/".join(parts)
        self._take(path)
        return replace(document, id=doc_id, path=path)

    def _clash(self, path: str) -> int | None:
        """Index of the part of ``path`` that clashes with a claimed file or folder."""
        parts = path.casefold().split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in self._files:
                return i - 1
        key = "/".join(parts)
        if key in self._files or key in self._folders:
            return len(parts) - 1
        return None

    def _take(self, path: str) -> None:
        parts = path.casefold().split("/")
        self._files.add("/".join(parts))
        self._folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
