"""The CTranslate2 backend against the transformers reference, on the tiny models.

With float32 and greedy decoding both backends must produce the same tokens; everything
else here is about the conversion cache, falling back, and not importing torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2")

from lingosum.backends import ct2, load_backend  # noqa: E402
from lingosum.backends.base import GenerationOptions  # noqa: E402
from lingosum.backends.ct2 import CTranslate2Backend  # noqa: E402
from lingosum.backends.hf import TransformersBackend  # noqa: E402
from lingosum.errors import ConfigError, ModelError  # noqa: E402

GREEDY = GenerationOptions(num_beams=1, max_new_tokens=8, batch_size=4)
ENGLISH = [
    "The ministers met in Baku on Tuesday.",
    "They discussed the new railway, and trade on the corridor grew last year!",
    "x",
    "  Leading spaces,\nand a line break.  ",
    "Unknown pieces: 数字 🎉 ß.",
    "A literal </s> and <unk> inside the text.",
]
GEORGIAN = [f">>kat<< {text}" for text in ENGLISH] + [">>rus<< Both ways.", ">>xyz<< Unknown."]


def fast(path: Path, compute_type: str = "float32") -> CTranslate2Backend:
    return CTranslate2Backend(path, device="cpu", compute_type=compute_type)


def reference_tokens(backend: TransformersBackend, texts: Sequence[str]) -> list[list[str]]:
    """Greedy output tokens of transformers, without the decoder start token."""
    encoded = backend.tokenizer(list(texts), return_tensors="pt", padding=True)
    output = backend.model.generate(
        **encoded, num_beams=1, do_sample=False, max_new_tokens=GREEDY.max_new_tokens
    )
    return [backend.tokenizer.convert_ids_to_tokens(row[1:].tolist()) for row in output]


def reference_pieces(backend: TransformersBackend, texts: Sequence[str]) -> list[list[str]]:
    ids = backend.tokenizer(list(texts))["input_ids"]
    return [backend.tokenizer.convert_ids_to_tokens(row) for row in ids]


@pytest.mark.parametrize(
    ("model", "texts"),
    [("marian", ENGLISH), ("marian_multi", ENGLISH), ("marian_multi", GEORGIAN), ("bart", ENGLISH)],
)
def test_float32_greedy_gives_the_reference_tokens(
    tiny_models: dict[str, Path], model: str, texts: list[str]
) -> None:
    reference = TransformersBackend(tiny_models[model])
    backend = fast(tiny_models[model])

    assert [backend.tokenizer.encode(t) for t in texts] == reference_pieces(reference, texts)
    assert backend.count_tokens(texts) == reference.count_tokens(texts)
    assert backend.max_input_tokens == reference.max_input_tokens
    assert backend.language_tokens == reference.language_tokens
    produced = backend.generate_tokens(texts, GREEDY)
    assert produced == reference_tokens(reference, texts)
    assert all(len(tokens) == GREEDY.max_new_tokens for tokens in produced)
    assert backend.generate(texts, GREEDY) == reference.generate(texts, GREEDY)


def test_forced_bos_and_eos_follow_the_generation_config(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    """distilbart-cnn forces <s> first and </s> last; the converted model must too."""
    model = shutil.copytree(tiny_models["bart"], tmp_path / "bart")
    config_file = model / "generation_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.update(forced_bos_token_id=0, forced_eos_token_id=2)
    config_file.write_text(json.dumps(config), encoding="utf-8")

    reference, backend = TransformersBackend(model), fast(model)

    assert backend.info.target_prefix == ("<s>",) and backend.info.forced_eos
    for options in (GREEDY, GenerationOptions(num_beams=4, max_new_tokens=9, min_new_tokens=3)):
        assert backend.generate(ENGLISH, options) == reference.generate(ENGLISH, options)


def test_conversion_is_cached_per_model_and_compute_type(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    model = shutil.copytree(tiny_models["marian"], tmp_path / "marian")
    first = fast(model)
    assert first.directory.is_relative_to(Path(os.environ["HF_HOME"]) / "lingosum" / "ct2")
    converted = (first.directory / "model.bin").stat()
    again = fast(model)
    assert again.directory == first.directory
    assert (again.directory / "model.bin").stat().st_ino == converted.st_ino  # not redone

    assert fast(model, "int8").directory != first.directory

    os.utime(model / "model.safetensors", ns=(1, 1))  # as if the model had been rebuilt
    assert fast(model).directory != first.directory


def test_cache_root_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert ct2.cache_root() == tmp_path / "hf" / "lingosum"
    monkeypatch.setenv("LINGOSUM_CACHE", str(tmp_path / "mine"))
    assert ct2.cache_root() == tmp_path / "mine"
    key = "Helsinki-NLP/opus-mt-en-ru@0123abc"
    assert ct2.converted_dir(tmp_path, "int8", key).parent.name.startswith(
        "Helsinki-NLP--opus-mt-en-ru@0123abc-"
    )


def test_translating_a_converted_model_imports_neither_torch_nor_transformers(
    models_toml: Path, tiny_models: dict[str, Path]
) -> None:
    fast(tiny_models["marian_multi"], "int8")  # converts, in this process
    script = f"""
import sys
from lingosum.settings import Settings
from lingosum.translate import TranslateOptions, translate

settings = Settings(models_file={str(models_toml)!r}, backend="ctranslate2", device="cpu")
result = translate("The ministers met in Baku.", "ka", source="en",
                   options=TranslateOptions(num_beams=1, max_new_tokens=8), settings=settings)
assert result.text and result.models[0].backend == "ctranslate2", result
print(sorted(m for m in ("torch", "transformers") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_explicit_ctranslate2_on_a_broken_model_is_a_model_error(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    model = shutil.copytree(tiny_models["marian"], tmp_path / "marian")
    (model / "model.safetensors").write_bytes(b"truncated")
    with pytest.raises(ModelError, match="CTranslate2 cannot convert") as caught:
        load_backend(model, backend="ctranslate2", device="cpu")
    assert "\n" not in str(caught.value)
    assert not list((Path(os.environ["HF_HOME"]) / "lingosum" / "ct2").glob("*/*/model.bin"))


def test_auto_falls_back_to_transformers_with_a_notice(
    tmp_path: Path, tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("LINGOSUM_CACHE", str(blocker / "cache"))  # conversion cannot be written
    notices: list[str] = []
    backend = load_backend(
        tiny_models["marian"], backend="auto", device="cpu", notify=notices.append
    )
    assert backend.name == "transformers"
    assert "using transformers instead" in notices[-1]
    with pytest.raises(ModelError, match="conversion cache"):
        load_backend(tiny_models["marian"], backend="ctranslate2", device="cpu")


def test_auto_uses_ctranslate2_when_the_model_converts(tiny_models: dict[str, Path]) -> None:
    assert load_backend(tiny_models["bart"], backend="auto", device="cpu").name == "ctranslate2"


def test_a_compute_type_the_device_lacks_is_a_config_error(
    tiny_models: dict[str, Path],
) -> None:
    with pytest.raises(ConfigError, match="float16"):
        fast(tiny_models["marian"], "float16")


def test_default_compute_types() -> None:
    assert ct2.default_compute_type("cpu") == "int8"
    assert ct2.default_compute_type("cuda") == "float16"
