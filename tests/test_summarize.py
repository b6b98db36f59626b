"""Summarization with tiny local models: chunking of long input, rounds, routing through
English, several targets from one summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingosum.backends import load_backend
from lingosum.engine import Engine
from lingosum.errors import ConfigError
from lingosum.settings import Settings
from lingosum.summarize import SummarizeOptions, summarize
from lingosum.summarize.chunking import chunk_documents, plan_chunks
from lingosum.translate import TranslateOptions

FAST = SummarizeOptions(
    length="short", num_beams=1, translation=TranslateOptions(num_beams=1, max_new_tokens=8)
)
SENTENCES = [
    f"Sentence number {i} talks about the railway and the border crossing." for i in range(30)
]
LONG = " ".join(SENTENCES[:15]) + "\n\n" + " ".join(SENTENCES[15:])


@pytest.fixture
def settings(models_toml: Path) -> Settings:
    return Settings(models_file=models_toml, backend="transformers", device="cpu")


def test_short_english_text_is_summarized_in_one_pass(settings: Settings) -> None:
    result = summarize(
        "The ministers met in Baku. They discussed trade.", "en", options=FAST, settings=settings
    )
    assert (result.chunks, result.rounds) == (1, 1)
    assert result.text
    assert [use.role for use in result.models] == ["summarizer en"]


@pytest.mark.parametrize(
    ("lengths", "limit", "expected"),
    [
        ([5, 5, 5], 12, [range(0, 2), range(2, 3)]),
        ([3, 3, 3, 3], 100, [range(0, 4)]),
        ([50, 3], 20, [range(0, 1), range(1, 2)]),
        ([], 20, []),
    ],
)
def test_plan_chunks(lengths: list[int], limit: int, expected: list[range]) -> None:
    assert plan_chunks(lengths, limit, overhead=2) == expected


def test_every_sentence_lands_in_exactly_one_chunk(tiny_models: dict) -> None:
    backend = load_backend(tiny_models["bart_small_limit"], backend="transformers", device="cpu")
    (chunks,) = chunk_documents([LONG], "en", backend.max_input_tokens, backend.count_tokens)
    assert backend.max_input_tokens == 48
    assert len(chunks) > 5
    assert max(backend.count_tokens(chunks)) <= backend.max_input_tokens
    joined = " ".join(chunks)
    positions = [joined.find(sentence) for sentence in SENTENCES]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert all(sum(chunk.count(s) for chunk in chunks) == 1 for s in SENTENCES)


def test_long_input_is_chunked_and_summarized_again(tmp_path: Path, tiny_models: dict) -> None:
    from conftest import write_models_toml

    toml = write_models_toml(tmp_path / "m.toml", tiny_models, summarizer="bart_small_limit")
    settings = Settings(models_file=toml, backend="transformers", device="cpu")
    result = summarize(LONG, "en", options=FAST, settings=settings)
    assert result.chunks > 5
    assert result.rounds >= 2
    assert result.text


def test_non_english_input_goes_through_english(settings: Settings) -> None:
    result = summarize(
        "Министры встретились в Баку. Они обсудили торговлю.", "ru", options=FAST, settings=settings
    )
    assert result.source_language == "ru"
    assert [use.role for use in result.models] == [
        "translator ru-en",
        "summarizer en",
        "translator en-ru",
    ]


def _summarizer_calls(settings: Settings, targets: list[str]) -> tuple[list, int]:
    with Engine(settings) as engine:
        (results,) = engine.summarize_many([LONG], targets, options=FAST)
        calls = sum(m.backend.calls for m in engine.loaded() if m.path.name == "bart")
    return results, calls


def test_several_targets_share_one_summary(settings: Settings) -> None:
    results, calls = _summarizer_calls(settings, ["az", "ka", "ru", "en"])
    _, single = _summarizer_calls(settings, ["en"])
    assert [r.target_language for r in results] == ["az", "ka", "ru", "en"]
    assert calls == single  # the summarizer ran as often as for one target
    assert results[1].models[-1].target_token == ">>kat<<"
    assert results[3].models[-1].role == "summarizer en"


def test_unknown_length_preset(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="unknown length"):
        summarize(
            "The ministers met in Baku.",
            "en",
            options=SummarizeOptions(length="huge"),
            settings=settings,
        )
