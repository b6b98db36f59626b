"""Reading evaluation data: aligned source and reference files, FLORES-200 and NTREX-128
folders, and JSON Lines of texts with reference summaries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lingosum.errors import InputError, UnsupportedLanguageError

# ISO 639-1 -> (FLORES-200 code, NTREX-128 code). FLORES-101 files use the FLORES-200 code
# without its script (``kat.devtest``), so that name is derived, not listed.
BENCHMARK_CODES: dict[str, tuple[str, str]] = {
    "en": ("eng_Latn", "eng"),
    "az": ("azj_Latn", "aze-Latn"),
    "ka": ("kat_Geor", "kat"),
    "ru": ("rus_Cyrl", "rus"),
    "tr": ("tur_Latn", "tur"),
    "hy": ("hye_Armn", "hye"),
    "uk": ("ukr_Cyrl", "ukr"),
    "kk": ("kaz_Cyrl", "kaz"),
    "de": ("deu_Latn", "deu"),
    "fr": ("fra_Latn", "fra"),
}
FLORES_SPLITS = ("devtest", "dev")
FIELDS = ("text", "summary")


@dataclass(frozen=True)
class EvalData:
    """Inputs and references, aligned one to one."""

    inputs: tuple[str, ...]
    references: tuple[str, ...]
    origin: str


def read_lines(path: Path) -> list[str]:
    """One segment a line; only ``\\n`` ends a line, as in sacrebleu (``str.splitlines``
    would also split at U+2028 and similar, shifting every later segment).

    Raises:
        InputError: missing, unreadable, not UTF-8, or empty.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror})") from None
    if not text.strip():
        raise InputError(f"{path} is empty")
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


def load_parallel(source: Path, reference: Path, limit: int | None = None) -> EvalData:
    """Read a source file and its reference translation (one segment a line).

    Raises:
        InputError: a file is missing, empty or unreadable, or the line counts differ.
    """
    inputs, references = read_lines(source), read_lines(reference)
    if len(inputs) != len(references):
        raise InputError(
            f"{source} has {len(inputs)} lines but {reference} has {len(references)}; "
            "they must be aligned one segment a line"
        )
    return EvalData(tuple(inputs[:limit]), tuple(references[:limit]), f"{source} -> {reference}")


def benchmark_codes(language: str) -> tuple[str, str]:
    """The FLORES-200 and NTREX-128 codes of an ISO 639-1 code.

    Raises:
        UnsupportedLanguageError: a language the table does not know.
    """
    codes = BENCHMARK_CODES.get(language.strip().lower())
    if codes is None:
        raise UnsupportedLanguageError(
            f"no FLORES-200/NTREX-128 code known for {language!r}; "
            f"choose from {', '.join(BENCHMARK_CODES)}"
        )
    return codes


def _flores_file(folder: Path, code: str) -> Path | None:
    """FLORES-200 (``eng_Latn.devtest``), FLORES+ (``devtest.eng_Latn``) or FLORES-101
    (``eng.devtest``), in ``folder`` or its ``devtest``/``dev`` subfolder; devtest first."""
    for split in FLORES_SPLITS:
        for where in (folder, folder / split):
            for name in (code, code.split("_")[0]):
                for candidate in (where / f"{name}.{split}", where / f"{split}.{name}"):
                    if candidate.is_file():
                        return candidate
    return None


def _ntrex_file(folder: Path, code: str) -> Path | None:
    """NTREX-128: English is ``newstest2019-src.eng.txt``, every other language
    ``newstest2019-ref.<code>.txt``, in ``folder`` or its ``NTREX-128`` subfolder."""
    for where in (folder, folder / "NTREX-128"):
        for kind in ("src", "ref"):
            found = sorted(where.glob(f"*-{kind}.{code}.txt"))
            if found:
                return found[0]
    return None


def load_benchmark(folder: Path, source: str, target: str, limit: int | None = None) -> EvalData:
    """Read the source and target sides of a FLORES-200 or NTREX-128 folder.

    Raises:
        InputError: the folder is missing, or holds no file for one of the languages.
        UnsupportedLanguageError: a language without a FLORES-200/NTREX-128 code.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    (flores_src, ntrex_src), (flores_ref, ntrex_ref) = map(benchmark_codes, (source, target))
    pairs = (
        ("FLORES", _flores_file(folder, flores_src), _flores_file(folder, flores_ref)),
        ("NTREX-128", _ntrex_file(folder, ntrex_src), _ntrex_file(folder, ntrex_ref)),
    )
    for _, src, ref in pairs:
        if src is not None and ref is not None:
            return load_parallel(src, ref, limit)
    raise InputError(
        f"{folder} has no FLORES-200 ({flores_src}.devtest, {flores_ref}.devtest) nor "
        f"NTREX-128 (newstest2019-*.{ntrex_src}.txt, newstest2019-*.{ntrex_ref}.txt) pair "
        f"for {source} -> {target}"
    )


def load_summaries(path: Path, limit: int | None = None) -> EvalData:
    """Read JSON Lines of ``{"text": ..., "summary": ...}`` (other keys are ignored).

    Raises:
        InputError: a missing or empty file, or a line that is not such an object.
    """
    texts: list[str] = []
    summaries: list[str] = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: not JSON ({error.msg})") from None
        text, summary = (record.get(k) if isinstance(record, dict) else None for k in FIELDS)
        if not (isinstance(text, str) and isinstance(summary, str) and text.strip()):
            raise InputError(f'{path}:{number}: expected {{"text": "...", "summary": "..."}}')
        texts.append(text)
        summaries.append(summary)
    return EvalData(tuple(texts[:limit]), tuple(summaries[:limit]), str(path))
