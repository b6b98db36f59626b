"""Shared fixtures: tiny local models instead of the Hub, and an isolated environment.

No test touches the network: HF_HOME points into a temporary directory, HF_HUB_OFFLINE is
set, and every route of the registry is overridden with tiny random-weight models built
here (see model_factory.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from model_factory import make_bart, make_marian, make_marian_release

# Every route the defaults know, pointed at three tiny models: single-target Marian models
# for X->en and en->ru/az, a multi-target Marian for en->ka (like opus-mt-en-mul).
TRANSLATOR_KEYS = ("en-ru", "en-az", "ru-en", "az-en", "ka-en", "mul-en")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the tiny models once per test session."""
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "marian": make_marian(root / "marian"),
        "marian_multi": make_marian(root / "marian-multi", target_tokens=(">>kat<<", ">>rus<<")),
        "bart": make_bart(root / "bart", max_position_embeddings=128),
        "bart_small_limit": make_bart(root / "bart-small", max_position_embeddings=48),
    }


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny native OPUS-MT release archive (.zip) with >>kat<< and >>eng<< tokens."""
    return make_marian_release(tmp_path_factory.mktemp("tiny-release") / "release")


def write_models_toml(path: Path, models: dict[str, Path], summarizer: str = "bart") -> Path:
    """A models override file routing every default to the tiny models."""
    lines = ["[translator]"]
    lines += [f'"{key}" = "{models["marian"]}"' for key in TRANSLATOR_KEYS]
    lines.append(f'"en-ka" = {{ model = "{models["marian_multi"]}", target_token = ">>kat<<" }}')
    lines += ["", "[summarizer]", f'"en" = "{models[summarizer]}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def models_toml(tmp_path: Path, tiny_models: dict[str, Path]) -> Path:
    return write_models_toml(tmp_path / "models.toml", tiny_models)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every test away from the user's cache, config and the network."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("LINGOSUM_MODELS", raising=False)
    yield
    from lingosum.engine import close_default_engines

    close_default_engines()


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread: tiny models gain nothing from more, and a shared CI box loses."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
