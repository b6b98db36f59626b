"""Native OPUS-MT releases: download (file and HTTP on 127.0.0.1), checksums, trust on first
use, unpacking, conversion, the cache, the cross-process lock, offline mode, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import write_models_toml
from lingosum import modelstore, releases
from lingosum.errors import ConfigError, ModelCorruptError, ModelError
from lingosum.registry import DEFAULT_TRANSLATORS, ModelSpec, load_registry
from local_http import serving
from model_factory import make_marian_release

TEXT = "The ministers met in Baku. They talked about trade.\n"


@pytest.fixture(scope="session")
def release_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny releases with different weights (the second plays a tampered archive)."""
    root = tmp_path_factory.mktemp("releases")
    return {
        "good": make_marian_release(root / "good"),
        "other": make_marian_release(root / "other", seed=1),
    }


class Served:
    """A folder served over HTTP on 127.0.0.1 that records the paths it was asked for."""

    def __init__(self, folder: Path, url: str, gets: list[str]) -> None:
        self.folder = folder
        self.url = url
        self.gets = gets

    def put(self, source: Path, name: str = "tiny.zip") -> str:
        shutil.copyfile(source, self.folder / name)
        return f"{self.url}/{name}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    folder = tmp_path / "www"
    folder.mkdir()
    gets: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            gets.append(self.path)
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    with serving(partial(Handler, directory=folder)) as url:
        yield Served(folder, url, gets)


def spec_for(url: str, sha256: str | None = None) -> ModelSpec:
    return ModelSpec(
        "translator", "en-ka", "test/tiny", target_token=">>kat<<", url=url, sha256=sha256
    )


def release_toml(tmp_path: Path, models: dict[str, Path], url: str) -> Path:
    """The tiny-model override file with en-ka served by the release at ``url``."""
    path = write_models_toml(tmp_path / "models.toml", models)
    lines = [line for line in path.read_text().splitlines() if not line.startswith('"en-ka"')]
    lines.insert(1, f'"en-ka" = {{ url = "{url}", target_token = ">>kat<<" }}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str, online: bool = False, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if online:
        env.pop("HF_HUB_OFFLINE", None)
    return subprocess.run(
        [sys.executable, "-m", "lingosum", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def leftovers() -> list[Path]:
    return [p for p in releases.releases_root().glob(".fetching-*")]


def test_the_factory_builds_a_release_that_ctranslate2_accepts(release_zips: dict) -> None:
    import zipfile

    names = set(zipfile.ZipFile(release_zips["good"]).namelist())
    assert {"decoder.yml", "source.spm", "target.spm", "README.md", "LICENSE"} <= names
    assert any(n.endswith(".npz") for n in names) and any(n.endswith("vocab.yml") for n in names)


def test_http_download_checks_the_pinned_sha256_and_unpacks(
    served: Served, release_zips: dict
) -> None:
    url = served.put(release_zips["good"])
    digest = releases.file_sha256(release_zips["good"])
    path = releases.fetch(spec_for(url, digest), quiet=True)
    manifest = releases.Manifest.read(path)
    assert manifest.pinned and manifest.sha256 == digest and manifest.url == url
    assert (path / "decoder.yml").is_file() and (path / "source.spm").is_file()
    assert not leftovers() and releases.recorded_sha256(url) is None  # pinned: nothing recorded


def test_a_pinned_mismatch_is_one_line_and_keeps_nothing(
    served: Served, release_zips: dict
) -> None:
    url = served.put(release_zips["good"])
    with pytest.raises(ModelCorruptError) as caught:
        releases.fetch(spec_for(url, "0" * 64), quiet=True)
    message = str(caught.value)
    assert "\n" not in message and "nothing was kept" in message and "test/tiny" in message
    assert not releases.is_release_dir(releases.release_path("test/tiny")) and not leftovers()


def test_trust_on_first_use_records_the_hash_and_catches_a_changed_archive(
    served: Served, release_zips: dict
) -> None:
    url = served.put(release_zips["good"])
    spec = spec_for(url)
    path = releases.fetch(spec, quiet=True)
    assert releases.recorded_sha256(url) == releases.file_sha256(release_zips["good"])
    served.put(release_zips["other"])  # the server now hands out different bytes
    with pytest.raises(ModelCorruptError, match="recorded at its first download"):
        releases.fetch(spec, force=True, quiet=True)
    releases.check_release(path, spec, deep=True)  # the trusted copy is untouched
    assert not leftovers()


def test_a_local_file_release_and_damaged_files_are_reported_with_the_fix(
    release_zips: dict,
) -> None:
    spec = spec_for(str(release_zips["good"]))
    path = releases.fetch(spec, quiet=True)
    model = next(path.glob("*.npz"))
    data = bytearray(model.read_bytes())
    data[-100] ^= 0xFF
    model.write_bytes(bytes(data))  # same size, changed bytes: only the deep check sees it
    releases.check_release(path, spec)
    with pytest.raises(ModelCorruptError, match="has been changed.*--force"):
        releases.fetch(spec)
    model.write_bytes(bytes(data[:1000]))
    status = modelstore.model_status(spec)
    assert (
        status.state == "broken" and "truncated" in status.problem and str(model) in status.problem
    )
    releases.fetch(spec, force=True, quiet=True)
    assert modelstore.model_status(spec).state == "ready"


def test_an_archive_that_is_not_a_marian_release_is_refused(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("README.md", "hello")
    with pytest.raises(ModelError, match="not an OPUS-MT Marian release: decoder.yml"):
        releases.fetch(spec_for(str(archive)), quiet=True)
    assert not leftovers()


def test_models_file_release_entries(tmp_path: Path, release_zips: dict) -> None:
    shutil.copyfile(release_zips["good"], tmp_path / "tiny.zip")
    toml = tmp_path / "m.toml"
    toml.write_text(f'[translator]\n"en-ka" = {{ url = "tiny.zip", sha256 = "{"A" * 64}" }}\n')
    spec = load_registry(toml).translators["en-ka"]
    assert spec.is_release and spec.url == str(tmp_path / "tiny.zip") and spec.sha256 == "a" * 64
    assert spec.model == f"{tmp_path.name}/tiny" and spec.pin == "sha256 aaaaaaaaaa"
    for entry, error in (
        ('{ url = "x.tar.gz" }', "release archive"),
        ('{ url = "x.zip", sha256 = "abc" }', "64 hexadecimal"),
        ('{ url = "x.zip", colour = 1 }', "unknown field"),
    ):
        toml.write_text(f'[translator]\n"en-ka" = {entry}\n')
        with pytest.raises(ConfigError, match=error):
            load_registry(toml)


def test_the_default_english_to_georgian_model_is_the_ccs_ccs_release() -> None:
    spec = DEFAULT_TRANSLATORS["en-ka"]
    assert spec.url == (
        "https://object.pouta.csc.fi/Tatoeba-MT-models/ccs-ccs/opus4m+btTCv20210807-2021-09-30.zip"
    )
    assert spec.target_token == ">>kat<<" and spec.sha256 is None and spec.pin == "recorded"
    assert DEFAULT_TRANSLATORS["ka-en"].is_release and DEFAULT_TRANSLATORS["en-az"].kind == "hub"


def test_offline_a_missing_release_fails_before_work_with_one_line(
    tmp_path: Path, tiny_models: dict, release_zips: dict
) -> None:
    toml = release_toml(tmp_path, tiny_models, str(release_zips["good"]))
    result = run("translate", "-", "--to", "ka", "--from", "en", "--models", str(toml), input=TEXT)
    assert result.returncode == 3 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "lingosum models download --model" in lines[0], result.stderr


def test_the_release_route_end_to_end_over_http(
    tmp_path: Path, tiny_models: dict, release_zips: dict, served: Served
) -> None:
    toml = release_toml(tmp_path, tiny_models, served.put(release_zips["good"]))
    # Two processes download at once: the lock lets one fetch, the other finds it unpacked.
    download = [sys.executable, "-m", "lingosum", "models", "download", "--model", "en-ka"]
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    both = [
        subprocess.Popen(
            [*download, "--models", str(toml), "--quiet"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outcomes = [process.communicate(timeout=300) for process in both]
    assert [p.returncode for p in both] == [0, 0], outcomes
    assert served.gets == ["/tiny.zip"]

    result = run(
        "translate", "-", "--to", "ka", "--from", "en", "--json", "--models", str(toml), input=TEXT
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.splitlines()[0])
    model = record["models"][0]
    assert model["backend"] == "ctranslate2" and model["target_token"] == ">>kat<<"
    assert record["text"].strip()
    converted = sorted(releases.lingosum_cache().glob("ct2/*/*/model.bin"))
    assert len(converted) == 1
    stamp = converted[0].stat().st_mtime_ns

    # Later runs: no download, no new conversion, and torch is never imported.
    probe = (
        "import sys, lingosum\n"
        "from lingosum.settings import Settings\n"
        f"s = Settings(models_file={str(toml)!r}, offline=True)\n"
        "out = lingosum.translate('The ministers met in Baku.', to='ka', source='en', settings=s)\n"
        "print(out.models[0].backend, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    checked = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert checked.stdout.split() == ["ctranslate2", "False", "False"], checked.stderr
    assert converted[0].stat().st_mtime_ns == stamp and served.gets == ["/tiny.zip"]

    listing = json.loads(run("models", "list", "--json", "--models", str(toml)).stdout)
    entry = next(m for m in listing["models"] if m["name"] == "en-ka")
    assert entry["source"] == "release" and entry["state"] == "ready"
    assert entry["sha256"] == releases.file_sha256(release_zips["good"])
    path = run("models", "path", "en-ka", "--models", str(toml)).stdout.strip()
    assert Path(path) == releases.release_path(entry["model"])
    removed = run("models", "remove", entry["model"])
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert not Path(path).exists() and releases.recorded_sha256(entry["url"]) is None


def test_transformers_cannot_run_a_release_route(
    tmp_path: Path, tiny_models: dict, release_zips: dict
) -> None:
    toml = release_toml(tmp_path, tiny_models, str(release_zips["good"]))
    assert (
        run(
            "models", "download", "--model", "en-ka", "--models", str(toml), "--quiet", online=True
        ).returncode
        == 0
    )
    result = run(
        "translate",
        "-",
        "--to",
        "ka",
        "--from",
        "en",
        "--backend",
        "transformers",
        "--models",
        str(toml),
        input=TEXT,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "native OPUS-MT" in lines[0] and "--backend ctranslate2" in lines[0]
