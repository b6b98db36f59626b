"""Offline use: with ``--offline`` or HF_HUB_OFFLINE=1 and the socket layer blocked, every
route whose models are in a huggingface_hub cache works; a missing model fails before any
work with the command that fetches it; a broken cached model names the file and the fix."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import lingosum.backends
from lingosum import hub
from lingosum.cli import app
from lingosum.errors import ModelNotCachedError
from lingosum.registry import load_registry
from model_factory import DEFAULT_REVISION, make_hf_cache

# Short on purpose: the tiny models never stop early, so output length follows input length.
ENGLISH = "The ministers met in Baku.\n"
FAST = ["--backend", "transformers", "--device", "cpu"]
# Hub ids for the tiny models, as a models file names them; some pinned, some behind main.
HUB_IDS = {
    "marian": "tiny-org/marian",
    "marian_multi": "tiny-org/marian-multi",
    "bart": "tiny-org/bart",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every attempt to resolve a name or open a connection is recorded and fails."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], "a network call was made"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every model directory a backend is loaded from."""
    loaded: list[Path] = []
    real = lingosum.backends.load_backend

    def spy(path: Path, **kwargs: Any) -> Any:
        loaded.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(lingosum.backends, "load_backend", spy)
    return loaded


def cache_tiny(tiny_models: dict[str, Path], copy_to: Path | None = None) -> dict[str, Path]:
    """Lay the tiny models out in the HF cache under HUB_IDS; returns the snapshots.

    With ``copy_to`` the cache holds copies, so a test may damage them.
    """
    snapshots = {}
    for name, repo_id in HUB_IDS.items():
        source = tiny_models[name]
        if copy_to is not None:
            source = Path(shutil.copytree(source, copy_to / name))
        snapshots[name] = make_hf_cache(hub.cache_root(), repo_id, source, DEFAULT_REVISION)
    return snapshots


def write_hub_toml(path: Path, overrides: dict[str, str] | None = None) -> Path:
    """A models file naming every route by Hub id (not by local directory)."""
    marian, multi = HUB_IDS["marian"], HUB_IDS["marian_multi"]
    pinned = f'{{ model = "{marian}", revision = "{DEFAULT_REVISION}" }}'
    entries = {key: pinned for key in ("en-ru", "ru-en", "ka-en", "mul-en")}
    entries |= {"en-az": f'"{marian}"', "az-en": f'"{marian}"'}
    entries["en-ka"] = f'{{ model = "{multi}", target_token = ">>kat<<" }}'
    for key, model in (overrides or {}).items():
        entries[key] = f'"{model}"'
    lines = ["[translator]", *(f'"{k}" = {v}' for k, v in entries.items())]
    lines += ["", "[summarizer]", f'"en" = "{HUB_IDS["bart"]}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def offline_flag(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Offline through ``--offline`` (HF_HUB_OFFLINE unset), or through HF_HUB_OFFLINE=1."""
    if request.param == "flag":
        monkeypatch.delenv("HF_HUB_OFFLINE")
        return ["--offline"]
    return []


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), input=ENGLISH)


@pytest.mark.parametrize("offline_flag", ["flag", "env"], indirect=True)
@pytest.mark.parametrize(
    "command",
    [
        ["translate", "--from", "en", "--to", "ru"],
        ["translate", "--from", "en", "--to", "ka,az"],
        ["translate", "--from", "ru", "--to", "az"],
        ["summarize", "--from", "en", "--to", "ka", "--length", "short"],
    ],
    ids=["en-ru", "en-ka-az", "ru-az-pivot", "summarize-en-ka"],
)
def test_cached_routes_work_with_no_network(
    command: list[str],
    offline_flag: list[str],
    tiny_models: dict[str, Path],
    tmp_path: Path,
) -> None:
    cache_tiny(tiny_models)
    toml = write_hub_toml(tmp_path / "models.toml")
    (tmp_path / "in.txt").write_text(ENGLISH, encoding="utf-8")
    result = run(*command, str(tmp_path / "in.txt"), "--models", str(toml), *offline_flag, *FAST)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_the_default_backend_works_with_no_network(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``auto`` picks CTranslate2 when installed: converting must not reach out either."""
    pytest.importorskip("ctranslate2")
    monkeypatch.setenv("LINGOSUM_CACHE", str(tmp_path / "lingosum-cache"))
    cache_tiny(tiny_models)
    toml = write_hub_toml(tmp_path / "models.toml")
    result = run("translate", "-", "--from", "ru", "--to", "ka", "--models", str(toml),
                 "--json", "--device", "cpu")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {m["backend"] for m in json.loads(result.stdout)["models"]} == {"ctranslate2"}


def test_cached_routes_are_listed_ready(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    cache_tiny(tiny_models)
    toml = write_hub_toml(tmp_path / "models.toml")
    result = run("models", "list", "--json", "--models", str(toml))
    assert result.exit_code == 0, result.output
    routes = json.loads(result.stdout)["routes"]
    # The models file covers en, ru, az and ka; other sources keep their (uncached) defaults.
    covered = {"en", "ru", "az", "ka"}
    assert all(r["ready"] == (r["source"] in covered) for r in routes)


def test_a_missing_model_fails_at_once_with_the_fetch_command(
    tiny_models: dict[str, Path], tmp_path: Path, loads: list[Path]
) -> None:
    cache_tiny(tiny_models)
    toml = write_hub_toml(tmp_path / "models.toml", {"en-ru": "tiny-org/absent"})
    result = run("translate", "-", "--from", "en", "--to", "ru", "--models", str(toml), *FAST)
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "tiny-org/absent" in result.stderr
    assert f"lingosum models download --model tiny-org/absent --models {toml}" in result.stderr
    assert "Traceback" not in result.output
    assert loads == []


def test_a_missing_second_leg_fails_before_the_first_runs(
    tiny_models: dict[str, Path], tmp_path: Path, loads: list[Path]
) -> None:
    cache_tiny(tiny_models)
    toml = write_hub_toml(tmp_path / "models.toml", {"en-az": "tiny-org/absent"})
    (tmp_path / "in.txt").write_text("Министры встретились в Баку.\n", encoding="utf-8")
    result = run("translate", str(tmp_path / "in.txt"), "--from", "ru", "--to", "az",
                 "--models", str(toml), *FAST)  # fmt: skip
    assert result.exit_code == 3
    assert "lingosum models download --model tiny-org/absent" in result.stderr
    assert loads == [], "a model was loaded before the missing one was noticed"


def test_prepare_checks_every_leg_before_any_work(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    cache_tiny(tiny_models)
    registry = load_registry(write_hub_toml(tmp_path / "m.toml", {"en-az": "tiny-org/absent"}))
    route = registry.route("ru", "az")
    with pytest.raises(ModelNotCachedError, match="tiny-org/absent"):
        hub.prepare(route, offline=True)
    ready = hub.prepare(registry.route("ru", "ka"), offline=True)
    assert all(path.is_dir() for path in ready.values())


def _truncate(name: str) -> Callable[[Path], None]:
    def damage(snapshot: Path) -> None:
        target = (snapshot / name).resolve()
        with target.open("r+b") as handle:
            handle.truncate(target.stat().st_size // 2)

    return damage


def _delete(name: str) -> Callable[[Path], None]:
    return lambda snapshot: (snapshot / name).unlink()


def _delete_blob(name: str) -> Callable[[Path], None]:
    """An interrupted download: the snapshot link is there, its blob is not."""
    return lambda snapshot: (snapshot / name).resolve().unlink()


def _garble(name: str) -> Callable[[Path], None]:
    return lambda snapshot: (snapshot / name).resolve().write_text("{not json", "utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncate("model.safetensors"), "model.safetensors is truncated or broken"),
        (_delete("source.spm"), "source.spm is missing"),
        (_delete("vocab.json"), "vocab.json is missing"),
        (_delete_blob("vocab.json"), "vocab.json is missing"),
        (_delete("model.safetensors"), "no weights file"),
        (_garble("config.json"), "config.json is missing or broken"),
    ],
    ids=["truncated-weights", "no-source-spm", "no-vocab", "lost-blob", "no-weights", "bad-config"],
)
def test_a_broken_cached_model_names_the_file_and_the_fix(
    damage: Callable[[Path], None],
    message: str,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    loads: list[Path],
) -> None:
    snapshots = cache_tiny(tiny_models, copy_to=tmp_path / "copies")
    damage(snapshots["marian"])
    toml = write_hub_toml(tmp_path / "models.toml")
    result = run("translate", "-", "--from", "en", "--to", "ru", "--models", str(toml), *FAST)
    assert result.exit_code == 3
    assert message in result.stderr
    assert "lingosum models download --model tiny-org/marian" in result.stderr
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert loads == []
