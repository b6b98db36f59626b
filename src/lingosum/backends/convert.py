"""Converting a model for CTranslate2, once per model and compute type.

Transformers checkpoints go through CTranslate2's own converter (which imports torch and
transformers); native OPUS-MT releases through :func:`lingosum.releases.convert_release`.
The conversion is written to a staging folder next to its target and renamed into place
under a cross-process file lock, so concurrent processes (or Ray workers) never see half a
model and never convert the same model twice; staging folders left by a crash are removed
by the next process that holds the lock.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lingosum.errors import ModelError, first_line
from lingosum.releases import is_release_dir

# Bump when the layout of a converted directory changes: older conversions are then ignored.
LAYOUT_VERSION = 1
META_FILE = "lingosum.json"


@dataclass(frozen=True)
class ConvertedInfo:
    """What transformers takes from a model's configuration at run time, saved at conversion.

    Attributes:
        tokenizer: ``sentencepiece`` (Marian: source.spm, target.spm, vocab.json) or
            ``tokenizers`` (tokenizer.json).
        max_input_tokens: as the transformers backend computes it.
        special_tokens: tokens never split and dropped from outputs.
        unk_token: what a piece missing from the vocabulary becomes.
        eos_token: appended to every Marian input.
        target_prefix: tokens transformers forces at the start of the output (BART's
            ``forced_bos_token_id``).
        forced_eos: transformers forces EOS as the last allowed token.
    """

    tokenizer: str
    max_input_tokens: int
    special_tokens: tuple[str, ...]
    unk_token: str
    eos_token: str
    target_prefix: tuple[str, ...] = ()
    forced_eos: bool = False

    @classmethod
    def read(cls, directory: Path) -> ConvertedInfo:
        data = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        data.pop("layout", None)
        for name in ("special_tokens", "target_prefix"):
            data[name] = tuple(data.get(name, ()))
        return cls(**data)

    def write(self, directory: Path) -> None:
        data = {"layout": LAYOUT_VERSION, **asdict(self)}
        (directory / META_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")


def conversion_notice(path: Path, cache_key: str | None) -> str:
    """``converting <model> to CTranslate2 once, about N s``: N scales README's measured
    4.9 s for a Marian-size model (about 300 MB of weights) by this model's weights."""
    weights = sum(
        f.stat().st_size for f in path.glob("*") if f.suffix in {".safetensors", ".bin", ".npz"}
    )
    seconds = max(1, round(5 * weights / 300e6))
    name = cache_key or path.name
    return f"converting {name} to CTranslate2 once, about {seconds} s (later runs reuse it)"


def convert(path: Path, target: Path, compute_type: str) -> None:
    """Convert the transformers model in ``path`` into ``target`` (imports torch).

    The conversion is written to a temporary directory next to ``target`` and renamed into
    place, so concurrent processes never see half a model; a file lock makes a second
    process wait for the first one's conversion instead of repeating it.

    Raises:
        ModelError: CTranslate2 cannot convert this model, or the cache is not writable.
    """
    from filelock import FileLock

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target) + ".lock"):
            _remove_staging(target)
            if not (target / META_FILE).exists():
                _convert_staged(path, target, compute_type)
    except OSError as error:
        raise ModelError(f"cannot write the conversion cache: {first_line(error)}") from None


def _staging_prefix(target: Path) -> str:
    return f".converting-{target.name}-"


def staging_dirs(target: Path) -> list[Path]:
    """Staging directories of conversions into ``target`` (live or left by a killed run)."""
    return sorted(target.parent.glob(_staging_prefix(target) + "*"))


def _remove_staging(target: Path) -> None:
    """Remove staging directories a killed conversion left. Call only while holding the
    target's lock: every live conversion into ``target`` holds it, so any found are stale."""
    for staging in staging_dirs(target):
        shutil.rmtree(staging, ignore_errors=True)


def clean_staging_if_idle(target: Path) -> None:
    """Remove stale staging directories unless a conversion into ``target`` is running."""
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(target) + ".lock", timeout=0):
            _remove_staging(target)
    except (Timeout, OSError):
        return  # converting right now, or the cache is read-only: nothing to clean


def _convert_staged(path: Path, target: Path, compute_type: str) -> None:
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target), dir=target.parent))
    try:
        _convert_into(path, staging / "model", compute_type)
        _publish(staging / "model", target)
    # CTranslate2's converter runs arbitrary model-loading code that fails in many ways
    # (missing attributes, unsupported architectures, unreadable weights); each is one reason
    # the model cannot be converted, which the caller reports or falls back from.
    except Exception as error:
        raise ModelError(
            f"CTranslate2 cannot convert the model in {path}: {first_line(error)}"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _convert_into(path: Path, output: Path, compute_type: str) -> None:
    if is_release_dir(path):
        from lingosum.releases import convert_release

        convert_release(path, output, compute_type)
        return
    converter = _converter_class()(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converter.convert(str(output), quantization=compute_type)
    _save_tokenizer(converter.tokenizer, converter.model, path, output)


def _publish(output: Path, target: Path) -> None:
    """Move a finished conversion into place, unless another process got there first."""
    try:
        output.rename(target)
    except OSError:
        if (target / META_FILE).exists():
            return
        # A directory without META_FILE is left over from an interrupted older layout.
        shutil.rmtree(target, ignore_errors=True)
        output.rename(target)


def _converter_class() -> Any:
    """CTranslate2's TransformersConverter, adapted to transformers 5 and keeping what it
    loaded (the tokenizer and the model) for :func:`_save_tokenizer`."""
    import transformers
    from ctranslate2.converters import TransformersConverter

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    class Converter(TransformersConverter):
        model: Any = None
        tokenizer: Any = None

        def load_model(self, model_class: Any, name: str, **kwargs: Any) -> Any:
            self.model = super().load_model(model_class, name, **kwargs)
            # CTranslate2 4.8's BART loader reads config.normalize_before, which transformers
            # 5 dropped from BartConfig; BART and its descendants are post-norm.
            if not hasattr(self.model.config, "normalize_before"):
                self.model.config.normalize_before = False
            return self.model

        def load_tokenizer(self, tokenizer_class: Any, name: str, **kwargs: Any) -> Any:
            self.tokenizer = super().load_tokenizer(tokenizer_class, name, **kwargs)
            return self.tokenizer

    return Converter


def _save_tokenizer(tokenizer: Any, model: Any, source: Path, output: Path) -> None:
    """Store the tokenizer and the decoding details in ``output`` (see ConvertedInfo)."""
    from lingosum.backends.hf import input_limit

    if hasattr(tokenizer, "spm_files"):
        kind = "sentencepiece"
        for name in ("source.spm", "target.spm"):
            shutil.copyfile(source / name, output / name)
        vocab = json.dumps(tokenizer.get_vocab(), ensure_ascii=False)
        (output / "vocab.json").write_text(vocab, encoding="utf-8")
    elif hasattr(tokenizer, "backend_tokenizer"):
        kind = "tokenizers"
        tokenizer.backend_tokenizer.save(str(output / "tokenizer.json"))
    else:
        raise ValueError(f"no tokenizer without transformers for {type(tokenizer).__name__}")
    generation = model.generation_config
    forced_bos = getattr(generation, "forced_bos_token_id", None)
    info = ConvertedInfo(
        tokenizer=kind,
        max_input_tokens=input_limit(tokenizer, model.config),
        special_tokens=tuple(tokenizer.all_special_tokens),
        unk_token=str(tokenizer.unk_token),
        eos_token=str(tokenizer.eos_token),
        target_prefix=() if forced_bos is None else (tokenizer.convert_ids_to_tokens(forced_bos),),
        forced_eos=getattr(generation, "forced_eos_token_id", None) is not None,
    )
    info.write(output)
