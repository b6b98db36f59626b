"""The fast backend: CTranslate2, on a copy of the model converted once and cached on disk.

Converting needs torch and transformers (CTranslate2's own converter reads the model through
them). Everything needed later is stored in the converted directory: the weights, the
SentencePiece models or ``tokenizer.json``, and ``lingosum.json`` with the decoding details
transformers would have taken from the model's configuration. Loading a converted model
therefore imports neither torch nor transformers.

Tokens cross into CTranslate2 as strings, so ids never need to line up: the converter drops
Marian's trailing ``<pad>`` (the decoder starts from a zero embedding instead, and transformers
bans ``<pad>`` from the output) and every other token keeps its place.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from lingosum.backends.base import Backend, GenerationOptions, language_tokens_of
from lingosum.backends.convert import (
    LAYOUT_VERSION,
    META_FILE,
    ConvertedInfo,
    clean_staging_if_idle,
    conversion_notice,
    convert,
    staging_dirs,
)
from lingosum.errors import ConfigError, ModelError, first_line
from lingosum.hub import WEIGHT_FILES
from lingosum.paths import lingosum_cache
from lingosum.releases import MANIFEST as RELEASE_MANIFEST

SPIECE_UNDERLINE = "\u2581"


def cache_root() -> Path:
    """Where converted models live (see :func:`lingosum.paths.lingosum_cache`)."""
    return lingosum_cache()


def default_compute_type(device: str) -> str:
    """The compute type used when none is given.

    int8 on CPU: 3-4x the speed of transformers fp32 (see bench/) with a quarter of the weight
    memory; quantizing changes some outputs, so float32 remains for reproducing the reference.
    float16 on CUDA: these models are small, so int8's memory saving buys little on a GPU,
    while float16 runs on the tensor cores of any GPU CTranslate2 supports and stays closest
    to fp32.
    """
    return "float16" if device == "cuda" else "int8"


def converted_dir(path: Path, compute_type: str, cache_key: str | None = None) -> Path:
    """The directory holding ``path``'s model converted for ``compute_type``.

    The name is ``cache_key`` (model id and revision) or the directory's name, made safe for
    a file system, plus a fingerprint of the source directory and its weights' size and
    modification time: a rebuilt or moved local model is converted again.
    """
    resolved = path.expanduser().resolve()
    # A release's manifest is rewritten whenever the release is unpacked again.
    stamps = (*WEIGHT_FILES, RELEASE_MANIFEST)
    weights = next((resolved / n for n in stamps if (resolved / n).exists()), resolved)
    stat = weights.stat() if weights.exists() else None
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}" if stat else "missing"
    digest = hashlib.sha256(f"{LAYOUT_VERSION}|{resolved}|{stamp}".encode()).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._@-]+", "--", cache_key or resolved.name).strip("-.") or "model"
    return cache_root() / "ct2" / f"{name}-{digest}" / compute_type


class Tokenizer(Protocol):
    """Text to the token strings CTranslate2 reads, and its output tokens back to text."""

    vocab: frozenset[str]

    def encode(self, text: str) -> list[str]: ...

    def decode(self, tokens: Sequence[str]) -> str: ...


class MarianPieces:
    """MarianTokenizer without transformers: SentencePiece pieces, checked against vocab.json."""

    def __init__(self, directory: Path, info: ConvertedInfo) -> None:
        import sentencepiece

        self._source = sentencepiece.SentencePieceProcessor(
            model_file=str(directory / "source.spm")
        )
        self._target = sentencepiece.SentencePieceProcessor(
            model_file=str(directory / "target.spm")
        )
        vocab = json.loads((directory / "vocab.json").read_text(encoding="utf-8"))
        self.vocab = frozenset(vocab)
        self._info = info
        self._special = frozenset(info.special_tokens)
        by_length = sorted(info.special_tokens, key=len, reverse=True)
        self._split = re.compile("(" + "|".join(map(re.escape, by_length)) + ")")

    def encode(self, text: str) -> list[str]:
        """Pieces as MarianTokenizer makes them: special tokens kept whole, a leading
        ``>>xxx<<`` kept as one token, unknown pieces as ``<unk>``, ``</s>`` at the end."""
        tokens: list[str] = []
        for part in self._split.split(text) if self._special else [text]:
            if part in self._special:
                tokens.append(part)
            elif part:
                code, rest = _split_language_code(part)
                tokens += code + self._source.encode(rest, out_type=str)
        unk = self._info.unk_token
        return [t if t in self.vocab else unk for t in tokens] + [self._info.eos_token]

    def decode(self, tokens: Sequence[str]) -> str:
        # target.spm, as transformers 4 did. Transformers 5 decodes with source.spm, which
        # gives the same text except for byte-fallback pieces only target.spm can render.
        pieces = [t for t in tokens if t not in self._special]
        text: str = self._target.decode_pieces(pieces)
        return text.replace(SPIECE_UNDERLINE, " ").strip()


def _split_language_code(text: str) -> tuple[list[str], str]:
    """``">>kat<< text"`` -> ``([">>kat<<"], " text")``, as MarianTokenizer does."""
    end = text.find("<<") if text.startswith(">>") else -1
    if end == -1:
        return [], text
    return [text[: end + 2]], text[end + 2 :]


class HFTokenizer:
    """A saved ``tokenizer.json`` run by the tokenizers library (BART's byte-level BPE)."""

    def __init__(self, directory: Path) -> None:
        from tokenizers import Tokenizer as RustTokenizer

        self._tokenizer = RustTokenizer.from_file(str(directory / "tokenizer.json"))
        self.vocab = frozenset(self._tokenizer.get_vocab(with_added_tokens=True))

    def encode(self, text: str) -> list[str]:
        tokens: list[str] = self._tokenizer.encode(text, add_special_tokens=True).tokens
        return tokens

    def decode(self, tokens: Sequence[str]) -> str:
        # The converted vocabulary is this tokenizer's (maybe cut short): every token has an id.
        ids = [i for i in map(self._tokenizer.token_to_id, tokens) if i is not None]
        text: str = self._tokenizer.decode(ids, skip_special_tokens=True)
        return text


class CTranslate2Backend(Backend):
    """A seq2seq model run by CTranslate2, converted on first use."""

    name = "ctranslate2"

    def __init__(
        self,
        path: Path,
        *,
        device: str = "cpu",
        compute_type: str | None = None,
        cache_key: str | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        """Load ``path``'s model, converting it first if no converted copy is cached
        (``notify`` is told before a conversion starts, with an estimate of its length).

        Raises:
            ConfigError: the compute type is not supported on ``device``.
            ModelError: the model cannot be converted or loaded.
        """
        compute = _check_compute_type(compute_type or default_compute_type(device), device)
        self.directory = converted_dir(path, compute, cache_key)
        if not (self.directory / META_FILE).exists():
            if notify is not None:
                notify(conversion_notice(path, cache_key))
            convert(path, self.directory, compute)
        elif staging_dirs(self.directory):
            clean_staging_if_idle(self.directory)
        try:
            self.info = ConvertedInfo.read(self.directory)
        except (OSError, ValueError, TypeError) as error:
            raise ModelError(
                f"the converted model in {self.directory} is damaged ({first_line(error)}); "
                "delete that directory to convert again"
            ) from None
        self.translator = _open_translator(self.directory, device, compute)
        self.tokenizer: Tokenizer = (
            MarianPieces(self.directory, self.info)
            if self.info.tokenizer == "sentencepiece"
            else HFTokenizer(self.directory)
        )
        self.max_input_tokens = self.info.max_input_tokens
        self.language_tokens = language_tokens_of(list(self.tokenizer.vocab))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(self.tokenizer.encode(text)) for text in texts]

    def _generate_batch(self, texts: Sequence[str], options: GenerationOptions) -> list[list[str]]:
        return [
            [self.tokenizer.decode(tokens) for tokens in hypotheses]
            for hypotheses in self.generate_hypotheses(texts, options)
        ]

    def generate_tokens(self, texts: Sequence[str], options: GenerationOptions) -> list[list[str]]:
        """The best output's tokens for one batch, special tokens included, EOS excluded."""
        return [hypotheses[0] for hypotheses in self.generate_hypotheses(texts, options)]

    def generate_hypotheses(
        self, texts: Sequence[str], options: GenerationOptions
    ) -> list[list[list[str]]]:
        """For each text of one batch, the tokens of its ``num_hypotheses`` best outputs."""
        sources = [self.tokenizer.encode(text) for text in texts]
        cap = options.cap_for(max(len(tokens) for tokens in sources))
        prefix = list(self.info.target_prefix)
        count = max(1, options.num_hypotheses)
        # Lengths count the forced prefix in both libraries; a forced EOS takes the last slot.
        longest = max(1, cap - 1) if self.info.forced_eos else cap
        results = self.translator.translate_batch(
            sources,
            target_prefix=[prefix] * len(sources) if prefix else None,
            beam_size=max(options.num_beams, count),
            num_hypotheses=count,
            max_decoding_length=longest,
            min_decoding_length=min(options.min_new_tokens, cap - 1, longest),
            length_penalty=options.length_penalty,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            max_input_length=0,
            max_batch_size=token_budget(max(options.num_beams, count)),
            batch_type="tokens",
        )
        return [[list(tokens) for tokens in result.hypotheses] for result in results]


# Source tokens per CTranslate2 call, shared by the beams: the decoder's cache grows with
# batch x beams x output length, and without this bound a batch of long sentences at beam 4
# peaked at 731 MB on a Marian-base model (bench/releases.py); with it, see the README.
BEAM_TOKEN_BUDGET = 2048


def token_budget(beams: int) -> int:
    """The most source tokens one CTranslate2 call takes at ``beams`` (at least one
    sentence is always taken, however long)."""
    return max(64, BEAM_TOKEN_BUDGET // max(1, beams))


def _check_compute_type(compute: str, device: str) -> str:
    """``compute`` if CTranslate2 supports it on ``device``.

    Raises:
        ConfigError: it does not.
    """
    import ctranslate2

    supported = ctranslate2.get_supported_compute_types(device)
    if compute not in supported:
        raise ConfigError(
            f"compute type {compute!r} is not supported on {device}; "
            f"choose from {', '.join(sorted(supported))}"
        )
    return compute


def _open_translator(directory: Path, device: str, compute: str) -> Any:
    """A ``ctranslate2.Translator`` on a converted model.

    Raises:
        ModelError: CTranslate2 cannot load it.
    """
    import ctranslate2

    try:
        return ctranslate2.Translator(
            str(directory),
            device=device,
            compute_type=compute,
            inter_threads=1,
            intra_threads=_cpu_threads() if device == "cpu" else 0,
        )
    except (RuntimeError, ValueError, OSError) as error:
        raise ModelError(f"CTranslate2 cannot load {directory}: {first_line(error)}") from None


def _cpu_threads() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
