"""Translation end to end with tiny local models: routing, target tokens, pivoting,
segmentation, batching and paragraph structure. Model output is noise; structure is not."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from lingosum.backends import load_backend
from lingosum.backends.base import Backend, GenerationOptions
from lingosum.engine import Engine
from lingosum.errors import ConfigError, InputError, ModelError
from lingosum.registry import ModelSpec
from lingosum.settings import Settings
from lingosum.translate import TranslateOptions, translate
from lingosum.translate.document import reassemble, segment_documents
from lingosum.translate.engine import MAX_PIECE_TOKENS, target_prefix

FAST = TranslateOptions(num_beams=1, max_new_tokens=12)
ENGLISH = (
    "The ministers met in Baku on Tuesday. They discussed the new railway.\n\n"
    "Trade on the corridor grew last year. Both governments want shorter waits at the border.\n\n"
    "They will meet again in the autumn."
)


@pytest.fixture
def settings(models_toml: Path) -> Settings:
    return Settings(models_file=models_toml, backend="transformers", device="cpu")


def test_translation_keeps_paragraphs_and_reports_models(settings: Settings) -> None:
    result = translate(ENGLISH, "ru", options=FAST, settings=settings)
    assert result.source_language == "en"
    assert result.target_language == "ru"
    assert len(result.text.split("\n\n")) == 3
    (use,) = result.models
    assert use.role == "translator en-ru"
    assert Path(use.path).is_dir()
    assert use.backend == "transformers"


def test_multi_target_model_gets_its_token(settings: Settings, tiny_models: dict) -> None:
    result = translate(ENGLISH, "ka", options=FAST, settings=settings)
    assert result.models[0].target_token == ">>kat<<"
    assert result.models[0].path == str(tiny_models["marian_multi"])


def test_multi_target_model_without_token_is_an_error(tmp_path: Path, tiny_models: dict) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text(f'[translator]\n"en-ka" = "{tiny_models["marian_multi"]}"\n', encoding="utf-8")
    settings = Settings(models_file=toml, backend="transformers", device="cpu")
    with pytest.raises(ModelError, match="needs a target token"):
        translate(ENGLISH, "ka", options=FAST, settings=settings)


def test_unknown_target_token_is_an_error(tiny_models: dict) -> None:
    backend = load_backend(tiny_models["marian_multi"], backend="transformers", device="cpu")
    spec = ModelSpec("translator", "en-az", "x", target_token=">>aze<<")
    with pytest.raises(ModelError, match="no target token >>aze<<"):
        target_prefix(spec, backend)


def test_pivot_through_english(settings: Settings) -> None:
    result = translate(
        "Министры встретились в Баку.", "az", source="ru", options=FAST, settings=settings
    )
    assert [use.role for use in result.models] == ["translator ru-en", "translator en-az"]
    assert result.text


def test_same_language_returns_text_unchanged(settings: Settings) -> None:
    result = translate(ENGLISH, "en", settings=settings)
    assert result.text == ENGLISH
    assert result.models == ()


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_text_is_refused(settings: Settings, text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        translate(text, "ru", settings=settings)


def test_undetectable_language_asks_for_from(settings: Settings) -> None:
    with pytest.raises(InputError, match="--from"):
        translate("12345 67890 !!!", "ru", settings=settings)


def test_documents_are_batched_together(settings: Settings) -> None:
    docs = [f"Document number {i} is short. It has two sentences." for i in range(20)]
    options = TranslateOptions(num_beams=1, max_new_tokens=4, batch_size=16)
    with Engine(settings) as engine:
        results = engine.translate_many(docs, ["ru"], options=options)
        (model,) = engine.loaded()
    assert len(results) == 20
    # 40 sentences of 20 documents in batches of 16: 3 model calls, not 20.
    assert (model.backend.calls, model.backend.inputs) == (3, 40)


def test_several_targets_share_detection_and_the_pivot_leg(settings: Settings) -> None:
    russian = "Министры встретились в Баку во вторник. Они обсудили новую железную дорогу."
    options = TranslateOptions(num_beams=1, max_new_tokens=4)
    with Engine(settings) as engine:
        (row,) = engine.translate_many([russian], ["az", "ka", "en"], options=options)
        calls = {m.path.name: m.backend.calls for m in engine.loaded()}
    assert [t.target_language for t in row] == ["az", "ka", "en"]
    assert all(t.source_language == "ru" for t in row)
    assert [t.models[0].role for t in row] == ["translator ru-en"] * 3
    # ru->en ran once for three targets; en->az and en->ka once each. The tiny "marian"
    # model serves ru-en and en-az (2 calls), "marian-multi" serves en-ka (1 call).
    assert calls == {"marian": 2, "marian-multi": 1}


def test_alternatives_come_from_the_n_best_list(settings: Settings) -> None:
    options = TranslateOptions(num_beams=4, max_new_tokens=6, num_hypotheses=3)
    result = translate(ENGLISH, "ru", options=options, settings=settings)
    assert len(result.alternatives) == 2
    assert all(len(a.split("\n\n")) == 3 for a in result.alternatives)


def test_long_unpunctuated_sentence_is_split_never_cut(
    settings: Settings, tiny_models: dict
) -> None:
    backend = load_backend(tiny_models["marian"], backend="transformers", device="cpu")
    text = ("word" * 5 + " ") * 2000  # one 50,000-character "sentence"
    segmented = segment_documents([text], "en", MAX_PIECE_TOKENS, backend.count_tokens)
    assert len(segmented.units) > 10
    assert max(backend.count_tokens(segmented.units)) <= MAX_PIECE_TOKENS
    assert "".join(segmented.units).replace(" ", "") == text.replace(" ", "")
    options = TranslateOptions(num_beams=1, max_new_tokens=2, batch_size=64)
    assert translate(text, "ru", source="en", options=options, settings=settings).text


class Echo(Backend):
    """A backend whose 'model' upper-cases its input: exposes ordering bugs."""

    name = "echo"
    max_input_tokens = 100
    language_tokens = frozenset()

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def _generate_batch(self, texts: Sequence[str], options: GenerationOptions) -> list[list[str]]:
        self.batches.append(list(texts))
        return [[t.upper()] for t in texts]


def test_generate_sorts_batches_and_restores_order() -> None:
    backend = Echo()
    texts = ["a", "b b b", "", "c c", "d d d d", "e"]
    out = backend.generate(texts, GenerationOptions(batch_size=2))
    assert out == ["A", "B B B", "", "C C", "D D D D", "E"]
    assert backend.batches[0] == ["d d d d", "b b b"]  # longest first, similar lengths together
    assert all("" not in batch for batch in backend.batches)


@pytest.mark.parametrize(
    ("outputs", "layouts", "expected"),
    [
        (["A", "B", "C"], [[[1, 1], [1]]], ["A B\n\nC"]),
        (["A1", "A2", "B"], [[[2]], [[1]]], ["A1 A2", "B"]),
        ([], [[]], [""]),
    ],
)
def test_reassemble(outputs: list[str], layouts: list, expected: list[str]) -> None:
    assert reassemble(outputs, layouts) == expected


def test_reassemble_rejects_mismatched_layout() -> None:
    with pytest.raises(ValueError):
        reassemble(["A", "B"], [[[1]]])


def test_a_route_with_a_weak_published_score_warns(models_toml: Path) -> None:
    toml = models_toml
    text = toml.read_text(encoding="utf-8")
    weak = text.replace('">>kat<<" }', '">>kat<<", chrf = 0.216 }')
    toml.write_text(weak, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "lingosum", "translate", "--to", "ka,ru", "--from", "en",
         "--json", "--beams", "1", "--backend", "transformers", "--models", str(toml)],
        input="The ministers met in Baku.", capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ka, ru = (json.loads(line) for line in done.stdout.splitlines())
    assert any("0.22" in w and "gist" in w for w in ka["warnings"])
    assert ru["warnings"] == []
    assert "gist" in done.stderr  # and on the terminal


def test_chrf_in_a_models_file_must_be_a_fraction(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text('[translator]\n"en-ka" = { model = "a/b", chrf = 21.6 }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="chrf must be a number from 0 to 1"):
        Settings(models_file=toml).registry()
