"""The installed ``lingosum serve`` command: bad options, and SIGTERM finishing requests."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

SERVING = "lingosum: serving on "


def _serve(models_toml: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lingosum", "serve", "--models", str(models_toml), "--offline"]
        + list(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _lines(stream: object) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _address(lines: queue.Queue[str], seen: list[str], seconds: float = 90) -> str:
    """The server's URL from its "serving on" line; the lines before it go to ``seen``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line.startswith(SERVING):
            return line[len(SERVING) :].split()[0].rstrip("/")
        seen.append(line)
    raise AssertionError(f"the server did not say where it listens: {seen}")


def _every_route_tiny(path: Path, models: dict[str, Path]) -> Path:
    """A models file sending every default route, not only the usual ones, to tiny models."""
    from lingosum.registry import DEFAULT_TRANSLATORS

    lines = ["[translator]"]
    lines += [f'"{key}" = "{models["marian"]}"' for key in DEFAULT_TRANSLATORS if key != "en-ka"]
    lines.append(f'"en-ka" = {{ model = "{models["marian_multi"]}", target_token = ">>kat<<" }}')
    lines += ["[summarizer]", f'"en" = "{models["bart"]}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_preload_then_sigterm_lets_the_request_in_flight_finish(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    # The batching window keeps the request in flight for 1.5 s: SIGTERM lands inside it.
    models = _every_route_tiny(tmp_path / "models.toml", tiny_models)
    process = _serve(models, "--port", "0", "--batch-window-ms", "1500", "--preload")
    try:
        before: list[str] = []
        url = _address(_lines(process.stderr), before)
        assert "lingosum: 3 models loaded\n" in before
        answers: list[httpx.Response] = []
        body = {"q": "The ministers met in Baku.", "source": "en", "target": "ru"}
        sender = threading.Thread(
            target=lambda: answers.append(httpx.post(url + "/translate", json=body, timeout=60))
        )
        sender.start()
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        sender.join(timeout=60)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["translatedText"].strip()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/health", timeout=5)


def _run(models_toml: Path, *args: str) -> subprocess.CompletedProcess[str]:
    process = _serve(models_toml, *args)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_taken_port_is_one_line_and_status_2(models_toml: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _run(models_toml, "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"lingosum: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_preload_stops_at_a_missing_model(models_toml: Path) -> None:
    # The tiny models file leaves tr-en and others on their Hub ids, which offline mode
    # cannot fetch: --preload must say so before loading anything, in one line, status 3.
    done = _run(models_toml, "--port", "0", "--preload")
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lingosum: error: ")
    assert "Helsinki-NLP/opus-mt-" in lines[0] and "lingosum models download" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "xx"], "unsupported target language 'xx'"),
        (["--api-keys", "{empty}"], "holds no key"),
        (["--api-keys", "{missing}"], "cannot read the API keys file"),
        (["--max-batch", "0"], "--max-batch must be 1 or more"),
    ],
)
def test_bad_options_are_one_line_and_status_2(
    models_toml: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    empty = tmp_path / "keys.txt"
    empty.write_text("# no keys yet\n", encoding="utf-8")
    paths = {"{empty}": str(empty), "{missing}": str(tmp_path / "absent.txt")}
    done = _run(models_toml, "--port", "0", *[paths.get(arg, arg) for arg in args])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lingosum: error: ") and message in lines[0]
