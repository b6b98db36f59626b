"""The engine's lifetime and thread safety, with tiny local models: models load once even
when threads race for them, calls in flight finish on close(), new calls are refused, and
the module-level functions keep one engine per settings."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from lingosum.engine import Engine, close_default_engines, default_engine
from lingosum.errors import EngineClosedError
from lingosum.settings import Settings
from lingosum.translate import TranslateOptions

FAST = TranslateOptions(num_beams=1, max_new_tokens=4)
TEXT = "The ministers met in Baku on Tuesday. They discussed the new railway."


@pytest.fixture
def settings(models_toml: Path) -> Settings:
    return Settings(models_file=models_toml, backend="transformers", device="cpu")


def test_threads_share_one_load_of_each_model(settings: Settings) -> None:
    results: list[str] = []
    errors: list[BaseException] = []
    with Engine(settings) as engine:

        def work() -> None:
            try:
                results.append(engine.translate(TEXT, "ru", source="en", options=FAST).text)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        (model,) = engine.loaded()
    assert not errors and len(results) == 6
    assert model.backend.calls == 6  # six calls into one model object, loaded once


def test_close_lets_calls_in_flight_finish_and_refuses_new_ones(settings: Settings) -> None:
    engine = Engine(settings)
    engine.translate(TEXT, "ru", source="en", options=FAST)  # load the model first
    docs = [f"{TEXT} Number {i}." for i in range(200)]
    finished: list[int] = []

    def long_call() -> None:
        finished.append(len(engine.translate_many(docs, ["ru"], options=FAST)))

    (model,) = engine.loaded()
    before = model.backend.calls
    worker = threading.Thread(target=long_call)
    worker.start()
    deadline = time.monotonic() + 60
    while model.backend.calls == before and time.monotonic() < deadline:
        time.sleep(0.01)  # wait until the call is in flight, inside the model
    engine.close()  # returns only when the call in flight is done
    assert finished == [200]
    assert engine.closed and engine.loaded() == []
    with pytest.raises(EngineClosedError, match="closed"):
        engine.translate(TEXT, "ru", source="en", options=FAST)
    worker.join(timeout=5)


def test_default_engines_are_one_per_settings(settings: Settings) -> None:
    first = default_engine(settings)
    assert default_engine(settings) is first
    other = default_engine(Settings(models_file=settings.models_file, backend="ctranslate2"))
    assert other is not first
    close_default_engines()
    assert first.closed and other.closed
    assert default_engine(settings) is not first  # a closed default is replaced


def test_compute_type_without_effect_is_a_notice(models_toml: Path) -> None:
    notices: list[str] = []
    settings = Settings(models_file=models_toml, backend="transformers", compute_type="int8")
    Engine(settings, notify=notices.append).close()
    assert len(notices) == 1 and "no effect" in notices[0]
