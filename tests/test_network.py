"""A missing network fails fast: one probe per server, no retries, every missing model named
in one message with the one command that fetches them all.

The unreachable servers are real sockets on 127.0.0.1 (a port that refuses, a server that
accepts and never answers) and a name that cannot resolve (``.invalid``, RFC 6761).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_helpers import assert_clean_failure, isolated_env_vars, run_lingosum
from lingosum import hub, network
from lingosum.errors import ModelError, ModelNotCachedError
from lingosum.registry import ModelSpec

MODELS = ("tiny-org/summarizer", "tiny-org/en-az", "tiny-org/en-ka", "tiny-org/en-ru")
UNRESOLVABLE = "http://nonexistent.invalid"


def specs() -> list[ModelSpec]:
    return [ModelSpec("translator", f"k{i}", model) for i, model in enumerate(MODELS)]


def models_toml(path: Path) -> Path:
    """Every model of a summarize --to az,ka,ru job on the Hub (none cached)."""
    path.write_text(
        '[summarizer]\n"en" = "tiny-org/summarizer"\n\n[translator]\n'
        '"en-az" = "tiny-org/en-az"\n"en-ka" = "tiny-org/en-ka"\n"en-ru" = "tiny-org/en-ru"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def refused() -> str:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts connections and never answers (for at most 30 s)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")


def test_probe_says_why_each_server_is_unreachable(refused: str, silent: str) -> None:
    for url, reason in (
        (refused, "refused the connection"),
        (silent, "no answer within 1 s"),
        (UNRESOLVABLE, "cannot resolve the name nonexistent.invalid"),
    ):
        start = time.monotonic()
        result = network.probe(url, timeout=1.0)
        assert time.monotonic() - start < 2.5, url
        assert not result.ok and reason in result.problem, result


@pytest.mark.usefixtures("online")
@pytest.mark.parametrize("server", ["refused", "silent", "unresolvable"])
def test_prepare_names_every_missing_model_at_once(
    server: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = UNRESOLVABLE if server == "unresolvable" else request.getfixturevalue(server)
    monkeypatch.setenv("HF_ENDPOINT", url)
    start = time.monotonic()
    with pytest.raises(ModelError) as error:
        hub.prepare(specs(), timeout=1.0)
    assert time.monotonic() - start < 3, "retried instead of failing fast"
    message = str(error.value)
    assert all(model in message for model in MODELS)
    assert message.count("lingosum models download") == 1
    assert "".join(f" --model {m}" for m in MODELS) in message
    assert "\n" not in message


def test_offline_is_a_setting_not_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", UNRESOLVABLE)
    with pytest.raises(ModelNotCachedError, match="offline mode is on") as error:
        hub.prepare(specs(), offline=True)
    assert all(model in str(error.value) for model in MODELS)
    assert "HF_HUB_OFFLINE" not in os.environ, "offline leaked into the environment"
    assert hub.is_offline(True) and not hub.is_offline()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the user's variable still counts
    assert hub.is_offline()


def test_no_environment_writes_in_the_package() -> None:
    """Settings travel as arguments: nothing in lingosum sets an environment variable."""
    source = Path(__file__).parents[1] / "src" / "lingosum"
    write = re.compile(r"os\.environ\[[^\]]+\]\s*=|os\.environ\.(setdefault|update)|os\.putenv")
    found = [
        f"{path.relative_to(source)}:{number}"
        for path in source.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if write.search(line)
    ]
    assert found == []


def test_an_unreachable_hub_fails_a_three_target_job_fast(refused: str, tmp_path: Path) -> None:
    env = isolated_env_vars(tmp_path, HF_ENDPOINT=refused)
    del env["HF_HUB_OFFLINE"]
    toml = models_toml(tmp_path / "models.toml")
    result = run_lingosum(
        ["summarize", "-", "--to", "az,ka,ru", "--from", "en", "--models", str(toml)],
        env=env,
        stdin="The ministers met in Baku. They discussed the railway.",
    )
    assert_clean_failure(result, "refused the connection", code=3)
    assert all(model in result.stderr for model in MODELS), result.stderr
    assert f"lingosum models download --model {MODELS[0]}" in result.stderr
    # Measured about 2 s on a loaded 2-core machine; huggingface_hub's retries took 47 s.
    assert result.seconds < 10, f"took {result.seconds:.1f} s"


def test_models_download_fails_fast_naming_every_model(tmp_path: Path) -> None:
    env = isolated_env_vars(tmp_path, HF_ENDPOINT=UNRESOLVABLE)
    del env["HF_HUB_OFFLINE"]
    toml = models_toml(tmp_path / "models.toml")
    args = ["models", "download", "--to", "az,ka,ru", "--timeout", "1", "--models", str(toml)]
    result = run_lingosum(args, env=env)
    assert_clean_failure(result, "cannot resolve the name nonexistent.invalid", code=3)
    assert all(model in result.stderr for model in MODELS), result.stderr
    assert result.seconds < 10, f"took {result.seconds:.1f} s"


def test_doctor_checks_the_hub_and_says_what_it_checked(silent: str, tmp_path: Path) -> None:
    env = isolated_env_vars(tmp_path, HF_ENDPOINT=silent)
    del env["HF_HUB_OFFLINE"]
    text = run_lingosum(["doctor", "--timeout", "1"], env=env)
    line = next(li for li in text.stdout.splitlines() if li.startswith("network"))
    assert f"{silent} unreachable: no answer within 1 s" in line
    assert "HEAD request, 1 s timeout" in line
    data = json.loads(run_lingosum(["doctor", "--json", "--offline"], env=env).stdout)
    assert data["offline"] is True and data["network"] is None
