"""``lingosum serve`` over HTTP: a real uvicorn server on 127.0.0.1 with tiny models.

The LibreTranslate client package (libretranslatepy), httpx and a headless Chromium talk
to it exactly as they would to LibreTranslate.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import write_models_toml
from lingosum.engine import Engine
from lingosum.serve.app import create_app
from lingosum.serve.config import ServeConfig
from lingosum.serve.server import listen
from lingosum.settings import Settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ENGLISH = "The ministers met in Baku on Tuesday to discuss the new pipeline project."
CONFIG = ServeConfig(char_limit=300, batch_limit=5, req_limit=0, batch_window_ms=50, timeout_s=30)


class LiveServer:
    """uvicorn serving an app on a free 127.0.0.1 port, on a thread of this process."""

    def __init__(self, engine: Engine, config: ServeConfig) -> None:
        import uvicorn

        sock = listen("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(engine, config), log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, timeout=30, **kwargs)

    def stats(self) -> dict[str, int]:
        body: dict[str, int] = httpx.get(self.url + "/health", timeout=10).json()["batching"]
        return body


@pytest.fixture(scope="module")
def engine(
    tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("serve")
    toml = write_models_toml(root / "models.toml", tiny_models)
    with Engine(Settings(models_file=toml, offline=True)) as held:
        yield held


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[LiveServer]:
    live = LiveServer(engine, CONFIG)
    yield live
    live.stop()


@pytest.fixture
def make_server(engine: Engine) -> Iterator[Any]:
    started: list[LiveServer] = []

    def make(**changes: Any) -> LiveServer:
        started.append(LiveServer(engine, replace(CONFIG, **changes)))
        return started[-1]

    yield make
    for live in started:
        live.stop()


# --- the LibreTranslate client, unmodified ---------------------------------------------


def test_libretranslate_client_translates_detects_and_lists(server: LiveServer) -> None:
    from libretranslatepy import LibreTranslateAPI

    client = LibreTranslateAPI(server.url)
    translated = client.translate(ENGLISH, "en", "ru", timeout=30)
    assert isinstance(translated, str) and translated.strip()
    detected = client.detect(ENGLISH, timeout=30)
    assert detected[0]["language"] == "en" and 0 < detected[0]["confidence"] <= 100
    languages = {entry["code"]: entry for entry in client.languages(timeout=30)}
    assert set(languages["en"]["targets"]) == {"az", "ka", "ru"}
    assert languages["ka"]["name"] == "Georgian" and "en" in languages["ka"]["targets"]


# --- the API as LibreTranslate's clients use it -----------------------------------------


def test_json_list_with_auto_source_gets_lists_back(server: LiveServer) -> None:
    texts = [ENGLISH, "Министры встретились в Баку во вторник, чтобы обсудить новый проект."]
    response = server.post("/translate", json={"q": texts, "source": "auto", "target": "ka"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["translatedText"]) == 2 and all(t.strip() for t in body["translatedText"])
    assert [d["language"] for d in body["detectedLanguage"]] == ["en", "ru"]
    assert all(0 < d["confidence"] <= 100 for d in body["detectedLanguage"])


def test_same_source_and_target_come_back_unchanged_in_order(server: LiveServer) -> None:
    texts = [f"Sentence number {i} stays as it is." for i in range(4)]
    body = server.post("/translate", json={"q": texts, "source": "en", "target": "en"}).json()
    assert body == {"translatedText": texts}


def test_blank_texts_of_a_list_come_back_blank(server: LiveServer) -> None:
    texts = ["Hello there, friends.", "  ", "The second one."]
    body = server.post("/translate", json={"q": texts, "source": "auto", "target": "ru"}).json()
    out = body["translatedText"]
    assert out[1] == "  " and out[0].strip() and out[2].strip()
    assert body["detectedLanguage"][1] == {"confidence": 0.0, "language": "und"}
    blank = server.post("/translate", json={"q": ["", " "], "source": "en", "target": "ru"})
    assert blank.status_code == 400 and "missing q" in blank.json()["error"]


def test_alternatives_come_from_the_n_best(server: LiveServer) -> None:
    form = {"q": ENGLISH, "source": "en", "target": "ru", "alternatives": "2"}
    body = server.post("/translate", data=form).json()
    assert isinstance(body["translatedText"], str)
    assert len(body["alternatives"]) == 2 and all(isinstance(a, str) for a in body["alternatives"])


def test_html_keeps_the_markup_and_batches_documents(server: LiveServer, engine: Engine) -> None:
    html = '<p>The ministers met in <a href="https://example.org/baku">Baku</a> today.</p>'
    second = "<ul><li>First <b>point</b> of the talks.</li><li>Second point.</li></ul>"
    before = _model_calls(engine)
    body = server.post(
        "/translate",
        json={"q": [html, second], "source": "auto", "target": "ru", "format": "html"},
    ).json()
    first, other = body["translatedText"]
    assert first.startswith("<p>") and first.endswith("</p>")
    assert '<a href="https://example.org/baku">' in first
    assert other.startswith("<ul><li>") and other.count("<li>") == 2 and "<b>" in other
    assert [d["language"] for d in body["detectedLanguage"]] == ["en", "en"]
    assert _model_calls(engine) - before == 1  # both documents' blocks in one model call


def test_summarize_into_several_languages(server: LiveServer) -> None:
    text = " ".join([ENGLISH] * 4)
    one = server.post("/summarize", json={"q": text, "target": "ru", "length": "short"})
    assert one.status_code == 200, one.text
    assert isinstance(one.json()["summary"], str) and one.json()["summary"].strip()
    many = server.post("/summarize", data={"q": text, "source": "en", "target": "az,ka"}).json()
    assert set(many["summary"]) == {"az", "ka"}


def test_frontend_settings_health_and_cors(server: LiveServer) -> None:
    response = httpx.get(server.url + "/frontend/settings", timeout=10)
    settings = response.json()
    assert settings["charLimit"] == 300 and settings["language"]["source"]["code"] == "auto"
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(server.url + "/translate", timeout=10)
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert httpx.get(server.url + "/health", timeout=10).json()["status"] == "ok"


def test_languages_is_a_get_even_with_a_body(server: LiveServer) -> None:
    request = urllib.request.Request(server.url + "/languages", data=b"", method="GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert {entry["code"] for entry in json.load(response)} >= {"en", "ru", "az", "ka"}


# --- bad requests get LibreTranslate's errors -------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"json": {"source": "en", "target": "ru"}}, 400, "missing q parameter"),
        ({"data": {"q": "Hello there.", "source": "en"}}, 400, "missing target parameter"),
        ({"json": {"q": "Hello there.", "source": "en", "target": "xx"}}, 400, "not supported"),
        ({"json": {"q": "x" * 301, "source": "en", "target": "ru"}}, 400, "exceeds text limit"),
        ({"json": {"q": ["a."] * 6, "source": "en", "target": "ru"}}, 400, "exceeds text limit"),
        (
            {"content": b'{"q": "Hello", ', "headers": {"Content-Type": "application/json"}},
            400,
            "Invalid JSON",
        ),
        ({"json": {"q": "Hi there.", "target": "ru", "format": "pdf"}}, 400, "not supported"),
        ({"json": {"q": "Hi there.", "target": "ru", "alternatives": 99}}, 400, "between 0"),
        ({"content": b"q=" + b"a" * 200_000, "headers": {}}, 413, "larger than"),
    ],
)
def test_bad_requests(
    server: LiveServer, kwargs: dict[str, Any], status: int, message: str
) -> None:
    response = server.post("/translate", **kwargs)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_keys_and_rate_limit(make_server: Any, tmp_path: Path) -> None:
    live = make_server(api_keys=frozenset({"good-key"}), req_limit=3)
    base = {"q": "Hello there.", "source": "en", "target": "ru"}
    assert live.post("/translate", data=base).status_code == 400  # no key
    wrong = live.post("/translate", data={**base, "api_key": "bad-key"})
    assert wrong.status_code == 403 and wrong.json() == {"error": "Invalid API key"}
    statuses = [live.post("/translate", data={**base, "api_key": "good-key"}) for _ in range(5)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    assert statuses[3].status_code == 429 and "Slowdown" in statuses[3].json()["error"]
    assert int(statuses[3].headers["Retry-After"]) >= 1


def test_full_queue_503_and_timeout_504(make_server: Any) -> None:
    # A long batching window holds the first request in the queue: the queue (one place)
    # is full for the second, and the first outlives the request timeout.
    live = make_server(max_queue=1, batch_window_ms=3000, timeout_s=1.0)
    body = {"q": "Hello there.", "source": "en", "target": "ru"}

    async def two() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
            first = asyncio.ensure_future(client.post("/translate", json=body))
            await asyncio.sleep(0.3)
            second = await client.post("/translate", json=body)
            return [await first, second]

    first, second = asyncio.run(two())
    assert second.status_code == 503 and int(second.headers["Retry-After"]) > 0
    assert "busy" in second.json()["error"]
    assert first.status_code == 504 and "timed out" in first.json()["error"]


# --- batching across requests, and a bounded load on loopback ---------------------------


def _model_calls(engine: Engine) -> int:
    return sum(model.backend.calls for model in engine.loaded())


def test_concurrent_requests_share_model_calls(server: LiveServer, engine: Engine) -> None:
    body = {"q": "Warm the model up.", "source": "en", "target": "ru"}
    assert server.post("/translate", json=body).status_code == 200
    calls_before, stats_before = _model_calls(engine), server.stats()

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post("/translate", json={**body, "q": f"Request {i} is here."})
                    for i in range(16)
                )
            )

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 16
    engine_calls = _model_calls(engine) - calls_before
    batcher_calls = server.stats()["calls"] - stats_before["calls"]
    assert 1 <= batcher_calls <= 4 and 1 <= engine_calls <= 4, (batcher_calls, engine_calls)


def test_bounded_load_on_loopback(server: LiveServer) -> None:
    clients, seconds, cap = 8, 3.0, 25

    async def client_loop(client: httpx.AsyncClient, n: int, stop: float) -> list[int]:
        codes = []
        while time.monotonic() < stop and len(codes) < cap:
            body = {"q": f"Client {n} sends sentence {len(codes)}.", "source": "en", "target": "az"}
            codes.append((await client.post("/translate", json=body)).status_code)
        return codes

    async def load() -> list[int]:
        stop = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            runs = await asyncio.gather(*(client_loop(client, n, stop) for n in range(clients)))
        return [code for codes in runs for code in codes]

    before = server.stats()
    codes = asyncio.run(asyncio.wait_for(load(), timeout=60))
    after = server.stats()
    assert codes and set(codes) == {200}
    assert after["jobs"] - before["jobs"] == len(codes)
    assert after["calls"] - before["calls"] < len(codes)


# --- the web page in a real browser -----------------------------------------------------


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        # CI installs the browser and sets LINGOSUM_REQUIRE_BROWSER, so there a missing
        # browser is a failure; on a developer's machine without it, the test is skipped.
        why = (
            "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("LINGOSUM_REQUIRE_BROWSER"):
            pytest.fail(why)
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1000,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait_for(driver: Any, condition: Any, seconds: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def test_web_page_translates_and_summarizes(
    server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server.url + "/")
    _wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#target option")) >= 3)
    Select(browser.find_element(By.ID, "target")).select_by_value("ru")
    browser.find_element(By.ID, "input").send_keys(ENGLISH)
    browser.find_element(By.ID, "translate").click()
    _wait_for(browser, lambda d: d.find_element(By.ID, "output").text.strip())
    assert "English" in browser.find_element(By.ID, "detected").text
    translated = browser.find_element(By.ID, "output").text
    assert not browser.find_element(By.ID, "copy").get_attribute("disabled")

    browser.find_element(By.ID, "summarize").click()
    _wait_for(
        browser, lambda d: d.find_element(By.ID, "output").text.strip() not in ("", translated)
    )
    assert browser.find_element(By.ID, "error").get_attribute("hidden") is not None
    browser.find_element(By.ID, "copy").click()
    _wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "Copied.")
    _screenshot(browser, tmp_path, "serve-page.png")

    browser.find_element(By.ID, "input").send_keys("x" * 300)  # over the 300-character limit
    browser.find_element(By.ID, "translate").click()
    _wait_for(browser, lambda d: d.find_element(By.ID, "error").text.strip())
    assert "exceeds text limit" in browser.find_element(By.ID, "error").text
    _screenshot(browser, tmp_path, "serve-page-error.png")


def _screenshot(browser: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 1000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)
