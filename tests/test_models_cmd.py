"""``lingosum models`` and ``lingosum doctor``: routes and their models, cache status,
downloading (against a fake Hub that writes a real huggingface_hub cache layout), path,
remove, and doctor. No test touches the network."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lingosum import hub, modelstore, network
from lingosum.cli import app
from lingosum.errors import ModelNotCachedError
from lingosum.registry import DEFAULT_SUMMARIZERS, DEFAULT_TRANSLATORS, Registry, load_registry
from model_factory import DEFAULT_REVISION, make_hf_cache

EN_RU = DEFAULT_TRANSLATORS["en-ru"]
EN_KA = DEFAULT_TRANSLATORS["en-ka"]
SUMMARIZER = DEFAULT_SUMMARIZERS["en"]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def cache_default(key: str, model: Path) -> Path:
    """Put ``model`` in the HF cache under the default model id and revision for ``key``."""
    spec = DEFAULT_TRANSLATORS.get(key) or DEFAULT_SUMMARIZERS[key]
    return make_hf_cache(hub.cache_root(), spec.model, model, revision_of(spec.revision))


def revision_of(revision: str | None) -> str:
    """The commit a fake cache entry gets: the pinned one, else a made-up one behind main."""
    pinned = revision is not None and len(revision) == 40
    return revision if pinned and revision is not None else DEFAULT_REVISION


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to open a connection is recorded and fails."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


class FakeHub:
    """Stands in for ``huggingface_hub.snapshot_download`` when it would download: it lays
    the repository's files matching ``allow_patterns`` out in the real cache layout, and
    records every call. Lookups with ``local_files_only`` go to the real function."""

    def __init__(self, repos: dict[str, Path], staging: Path, real: Any) -> None:
        self.repos = repos
        self.staging = staging
        self.real = real
        self.calls: list[dict[str, Any]] = []

    def __call__(self, repo_id: str, **kwargs: Any) -> str:
        if kwargs.get("local_files_only"):
            return str(self.real(repo_id, **kwargs))
        self.calls.append({"repo_id": repo_id, **kwargs})
        if repo_id not in self.repos:
            raise OSError(f"cannot reach the Hub for {repo_id}")
        staged = self.staging / f"{repo_id.replace('/', '--')}-{len(self.calls)}"
        staged.mkdir(parents=True)
        for file in self.repos[repo_id].iterdir():
            if any(fnmatch.fnmatch(file.name, p) for p in kwargs["allow_patterns"]):
                shutil.copy2(file, staged / file.name)
        revision = revision_of(kwargs.get("revision"))
        return str(make_hf_cache(Path(kwargs["cache_dir"]), repo_id, staged, revision))

    def fetched(self) -> list[str]:
        return sorted({call["repo_id"] for call in self.calls})


@pytest.fixture
def fake_hub(
    monkeypatch: pytest.MonkeyPatch,
    tiny_models: dict[str, Path],
    tiny_release: Path,
    tmp_path: Path,
    no_network: list[str],
) -> Iterator[FakeHub]:
    """Online mode, a mirror endpoint, and a Hub that serves a tiny model for every id
    (and a release store that serves the tiny release for every release URL)."""
    import huggingface_hub

    from lingosum import releases

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.invalid")
    specs = [*DEFAULT_TRANSLATORS.values(), *DEFAULT_SUMMARIZERS.values()]
    repos = {spec.model: tiny_models["marian"] for spec in specs}
    repos[EN_KA.model] = tiny_models["marian_multi"]
    repos[SUMMARIZER.model] = tiny_models["bart"]
    fake = FakeHub(repos, tmp_path / "staging", huggingface_hub.snapshot_download)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    # The mirror "answers" the probe made before downloads (tests/test_network.py covers
    # servers that do not).
    monkeypatch.setattr(network, "probe", lambda url, timeout: network.Probe(url, "", 0, timeout))

    def fake_release(url: str, target: Path, expected: str | None, *, quiet: bool) -> None:
        fake.calls.append({"repo_id": next(s.model for s in specs if s.url == url), "url": url})
        shutil.copyfile(tiny_release, target)

    monkeypatch.setattr(releases, "_pooch_download", fake_release)
    yield fake
    assert no_network == []


@pytest.fixture
def pytorch_marian(tiny_models: dict[str, Path], tmp_path: Path) -> Path:
    """The tiny Marian model with PyTorch-pickle weights instead of safetensors."""
    import torch
    from safetensors.torch import load_file

    path = tmp_path / "marian-bin"
    shutil.copytree(tiny_models["marian"], path)
    weights = path / "model.safetensors"
    torch.save(load_file(weights), path / "pytorch_model.bin")
    weights.unlink()
    return path


# Routes and the models they need


def test_sources_are_languages_with_a_model_into_english() -> None:
    assert modelstore.sources(Registry()) == ["az", "de", "en", "fr", "hy", "ka", "ru", "tr", "uk"]


@pytest.mark.parametrize(
    ("task", "source", "target", "legs"),
    [
        ("translate", "en", "ru", ["en-ru"]),
        ("translate", "az", "ka", ["az-en", "en-ka"]),
        ("translate", "ru", "en", ["ru-en"]),
        ("summarize", "en", "en", ["summarizer:en"]),
        ("summarize", "ru", "ka", ["ru-en", "summarizer:en", "en-ka"]),
    ],
)
def test_route_legs(task: Any, source: str, target: str, legs: list[str]) -> None:
    (route,) = modelstore.plan_routes(Registry(), [task], [source], [target])
    assert [modelstore.leg_name(spec) for spec in route.legs] == legs


def test_every_task_and_pair_is_listed() -> None:
    routes = modelstore.all_routes(Registry())
    pairs = {(r.task, r.source, r.target) for r in routes}
    assert ("translate", "hy", "ka") in pairs
    assert ("summarize", "uk", "az") in pairs
    assert ("translate", "en", "en") not in pairs
    assert len(routes) == (9 * 4 - 4) + 9 * 4  # translating into the same language is no route


@pytest.mark.parametrize(
    ("request_", "models"),
    [
        (
            modelstore.DownloadRequest(tasks=("translate",)),
            [
                "Helsinki-NLP/opus-mt-en-az",
                EN_KA.model,
                "Helsinki-NLP/opus-mt-en-ru",
            ],
        ),
        (
            modelstore.DownloadRequest(tasks=("summarize",), sources=("ru",), targets=("az",)),
            ["Helsinki-NLP/opus-mt-en-az", "Helsinki-NLP/opus-mt-ru-en", SUMMARIZER.model],
        ),
        (modelstore.DownloadRequest(models=("en-ru",)), [EN_RU.model]),
        (modelstore.DownloadRequest(models=("some-org/other",)), ["some-org/other"]),
    ],
)
def test_requested_models(request_: modelstore.DownloadRequest, models: list[str]) -> None:
    chosen = modelstore.requested_models(Registry(), request_)
    assert sorted(spec.model for spec in chosen) == sorted(models)


def test_all_requests_every_model_of_the_table_once() -> None:
    chosen = modelstore.requested_models(Registry(), modelstore.DownloadRequest(everything=True))
    table = {*DEFAULT_TRANSLATORS.values(), *DEFAULT_SUMMARIZERS.values()}
    assert {spec.model for spec in chosen} == {spec.model for spec in table}
    assert len(chosen) == len({spec.model for spec in chosen})


def test_model_by_id_keeps_the_pinned_revision() -> None:
    (spec,) = modelstore.find_model(Registry(), EN_RU.model)
    assert spec.revision == EN_RU.revision


# models list


def test_list_json_reports_cache_state_size_and_routes(tiny_models: dict[str, Path]) -> None:
    snapshot = cache_default("en-ru", tiny_models["marian"])
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    models = {m["name"]: m for m in data["models"]}
    assert models["en-ru"]["state"] == "ready"
    assert models["en-ru"]["path"] == str(snapshot)
    assert models["en-ru"]["size_bytes"] > 10_000
    assert models["en-ru"]["revision"] == EN_RU.revision
    assert models["en-ru"]["license"] == "Apache-2.0"
    assert models["en-ru"]["score"].startswith("BLEU")
    assert models["en-ka"]["target_token"] == ">>kat<<"
    assert models["en-az"]["state"] == "missing"
    routes = {(r["task"], r["source"], r["target"]): r for r in data["routes"]}
    assert routes["translate", "en", "ru"]["ready"] is True
    assert routes["translate", "ru", "az"]["models"] == ["ru-en", "en-az"]
    assert routes["translate", "en", "az"]["ready"] is False
    assert data["cache"] == str(hub.cache_root())


def test_list_text_marks_overrides(models_toml: Path) -> None:
    result = invoke("models", "list", "--models", str(models_toml))
    assert result.exit_code == 0, result.output
    assert f"overridden by {models_toml}" in result.stdout
    assert "en → ka *" in result.stdout
    # The override file routes every needed model to local tiny models; hy-en stays default.
    assert re.search(r"translate +en +ka +en-ka +ready", result.stdout)
    assert "Helsinki-NLP/opus-mt-hy-en" in result.stdout


def test_list_shows_a_broken_model_and_its_fix(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    copy = shutil.copytree(tiny_models["marian"], tmp_path / "copy")
    (cache_default("en-ru", copy) / "vocab.json").unlink()
    result = invoke("models", "list", "--json")
    (en_ru,) = [m for m in json.loads(result.stdout)["models"] if m["name"] == "en-ru"]
    assert en_ru["state"] == "broken"
    assert "vocab.json is missing" in en_ru["problem"]
    assert "lingosum models download --model Helsinki-NLP/opus-mt-en-ru --force" in en_ru["problem"]


def test_list_markdown_is_the_readme_table() -> None:
    result = invoke("models", "list", "--markdown")
    assert result.exit_code == 0
    assert result.stdout == modelstore.render_model_table()


# models download


def test_download_fetches_route_models_with_the_hub_patterns(fake_hub: FakeHub) -> None:
    result = invoke("models", "download", "--task", "translate", "--to", "az,ka", "--to", "ru")
    assert result.exit_code == 0, result.output
    assert fake_hub.fetched() == sorted(
        ["Helsinki-NLP/opus-mt-en-az", EN_KA.model, "Helsinki-NLP/opus-mt-en-ru"]
    )
    call = next(c for c in fake_hub.calls if c["repo_id"] == EN_RU.model)
    assert call["allow_patterns"] == hub.allow_patterns("model.safetensors")
    assert call["revision"] == EN_RU.revision
    assert call["endpoint"] == "https://mirror.invalid"
    assert Path(call["cache_dir"]) == Path(os.environ["HF_HOME"]) / "hub"
    assert call["force_download"] is False
    assert re.search(r"translate +en +ka +en-ka +ready", result.stdout)


def test_download_includes_pivot_legs_and_the_summarizer(fake_hub: FakeHub) -> None:
    result = invoke("models", "download", "--from", "az", "--to", "ka", "--quiet")
    assert result.exit_code == 0, result.output
    assert fake_hub.fetched() == sorted(
        ["Helsinki-NLP/opus-mt-az-en", EN_KA.model, SUMMARIZER.model]
    )
    offline = json.loads(invoke("models", "list", "--json").stdout)
    ready = {(r["task"], r["source"], r["target"]) for r in offline["routes"] if r["ready"]}
    assert {
        ("translate", "az", "ka"),
        ("summarize", "az", "ka"),
        ("summarize", "en", "en"),
    } <= ready


def test_download_force_downloads_again(fake_hub: FakeHub) -> None:
    result = invoke("models", "download", "--model", "en-ru", "--force", "--json")
    assert result.exit_code == 0, result.output
    assert [c["force_download"] for c in fake_hub.calls] == [True]
    (fetched,) = json.loads(result.stdout)["fetched"]
    assert fetched["state"] == "ready"


def test_download_falls_back_to_pytorch_weights(fake_hub: FakeHub, pytorch_marian: Path) -> None:
    fake_hub.repos[EN_RU.model] = pytorch_marian
    result = invoke("models", "download", "--model", EN_RU.model, "--quiet")
    assert result.exit_code == 0, result.output
    assert [c["allow_patterns"][-1] for c in fake_hub.calls] == list(hub.WEIGHT_FILES)
    assert (Path(invoke("models", "path", "en-ru").stdout.strip()) / "pytorch_model.bin").exists()


def test_download_failure_names_the_model_and_exits_non_zero(fake_hub: FakeHub) -> None:
    result = invoke("models", "download", "--model", "nobody/nothing", "--quiet")
    assert result.exit_code == 3
    assert "cannot download model nobody/nothing" in result.stderr


def test_download_refuses_in_offline_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = invoke("models", "download", "--all")
    assert result.exit_code == 3
    assert "offline mode is on" in result.stderr


def test_download_rejects_an_unknown_target_or_task() -> None:
    assert invoke("models", "download", "--to", "xx").exit_code == 2
    assert invoke("models", "download", "--task", "paraphrase").exit_code == 2


def test_the_hint_in_an_offline_error_fetches_the_model(
    fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.toml").write_text('[translator]\n"en-ru" = "tiny-org/marian"\n', "utf-8")
    registry = load_registry(tmp_path / "m.toml")
    fake_hub.repos["tiny-org/marian"] = fake_hub.repos[EN_RU.model]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotCachedError, match="lingosum models download") as error:
        hub.model_dir(registry.translators["en-ru"])
    command = str(error.value).split("fetch it first with: ")[1]
    monkeypatch.delenv("HF_HUB_OFFLINE")
    result = invoke(*shlex.split(command)[1:], "--quiet")
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.model_dir(registry.translators["en-ru"]).is_dir()


# models path and remove


def test_path_prints_the_snapshot(tiny_models: dict[str, Path]) -> None:
    snapshot = cache_default("en-ru", tiny_models["marian"])
    for name in ("en-ru", EN_RU.model):
        result = invoke("models", "path", name)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == str(snapshot)


def test_path_of_a_missing_model_says_how_to_fetch_it() -> None:
    result = invoke("models", "path", "en-ru")
    assert result.exit_code == 3
    assert f"lingosum models download --model {EN_RU.model}" in result.stderr


def test_path_of_truncated_pytorch_weights_names_the_file(
    pytorch_marian: Path,
) -> None:
    weights = cache_default("en-ru", pytorch_marian) / "pytorch_model.bin"
    with weights.open("r+b") as handle:
        handle.truncate(weights.stat().st_size // 2)
    result = invoke("models", "path", "en-ru")
    assert result.exit_code == 3
    assert f"{weights} is truncated or broken" in result.stderr
    assert "--force" in result.stderr


def test_remove_deletes_every_revision(tiny_models: dict[str, Path]) -> None:
    cache_default("en-ru", tiny_models["marian"])
    make_hf_cache(hub.cache_root(), EN_RU.model, tiny_models["marian"], DEFAULT_REVISION)
    result = invoke("models", "remove", EN_RU.model)
    assert result.exit_code == 0, result.output
    assert "2 revision(s)" in result.stdout
    assert not (hub.cache_root() / "models--Helsinki-NLP--opus-mt-en-ru").exists()
    assert invoke("models", "path", "en-ru").exit_code == 3
    assert tiny_models["marian"].joinpath("model.safetensors").exists()


def test_remove_an_uncached_model_fails(tiny_models: dict[str, Path]) -> None:
    assert invoke("models", "remove", EN_RU.model).exit_code == 3
    cache_default("en-az", tiny_models["marian"])
    result = invoke("models", "remove", EN_RU.model)
    assert result.exit_code == 3
    assert "is not in the cache" in result.stderr


# doctor


def test_doctor_reports_versions_cache_and_ready_routes(tiny_models: dict[str, Path]) -> None:
    cache_default("en-ru", tiny_models["marian"])
    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    assert f"cache      {hub.cache_root()}" in result.stdout
    assert "transformers " in result.stdout
    assert "translate  en>ru" in result.stdout
    assert "models     1 of 13 ready offline" in result.stdout
    assert len(result.stdout.splitlines()) < 40


def test_doctor_without_torch_or_ctranslate2(monkeypatch: pytest.MonkeyPatch) -> None:
    from lingosum import doctor

    real = doctor._version
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    monkeypatch.setattr(
        doctor, "_version", lambda name: None if name in {"torch", "ctranslate2"} else real(name)
    )
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    versions = {p["name"]: p["version"] for p in data["packages"]}
    assert versions["torch"] is None
    assert versions["ctranslate2"] is None
    assert data["devices"]["gpus"] == []
    assert data["devices"]["cuda_note"].startswith("torch not usable")
    assert "torch not installed" in invoke("doctor").stdout


def test_doctor_lists_cuda_devices_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    props = SimpleNamespace(name="NVIDIA H200", total_memory=143_771_000_000)
    cuda = SimpleNamespace(
        is_available=lambda: True, device_count=lambda: 1, get_device_properties=lambda i: props
    )
    fake = SimpleNamespace(cuda=cuda, version=SimpleNamespace(cuda="12.8"), __version__="2.13")
    monkeypatch.setitem(sys.modules, "torch", fake)
    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    assert "cuda       CUDA 12.8" in result.stdout
    assert "gpu 0    NVIDIA H200, 143.8 GB" in result.stdout


def test_help_imports_neither_torch_nor_huggingface_hub() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from lingosum.cli import app\n"
        "for args in (['doctor', '--help'], ['models', 'download', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = {'torch', 'transformers', 'huggingface_hub'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
