"""Web pages, HTML and Markdown through the installed ``lingosum`` command with tiny models:
a URL's article is summarized with its metadata; HTML and Markdown come back with their
structure intact; bad URLs are one line and exit status 2."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from cli_helpers import Outcome, run_lingosum
from lingosum.documents import markdown_text, read_source
from lingosum.markup.compare import html_structure, markdown_structure, preservation
from local_http import serving

PAGES = Path(__file__).parent / "fixtures" / "pages"
FAST = ["--backend", "transformers", "--device", "cpu", "--beams", "1", "-q"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serving(functools.partial(_Quiet, directory=str(PAGES))) as url:
        yield url


def lingosum(*args: str, models: Path | None = None) -> Outcome:
    extra = ["--models", str(models)] if models else []
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return run_lingosum([*args, *extra], env=env, timeout=300)


def test_summarize_url_reports_the_article(site: str, models_toml: Path) -> None:
    done = lingosum("summarize", f"{site}/baku-railway.html", "--json", *FAST, models=models_toml)
    assert done.code == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["document"]["title"]
    assert result["document"]["url"].endswith("/baku-railway.html")
    assert result["source_language"] == "en" and result["text"]


def test_article_of_a_page_drops_the_chrome() -> None:
    source = read_source(str(PAGES / "baku-railway.html"))
    assert source.format == "html" and source.article is not None
    raw = (PAGES / "baku-railway.html").read_text(encoding="utf-8")
    assert len(source.text) < len(raw) / 2
    assert "cookie" not in source.text.lower()


@pytest.mark.parametrize("page", ["baku-railway.html", "fragment-inline.html"])
def test_translated_html_keeps_its_tree(page: str, tmp_path: Path, models_toml: Path) -> None:
    out = tmp_path / "out.html"
    done = lingosum("translate", str(PAGES / page), "--to", "ru", "-o", str(out), *FAST,
                    models=models_toml)  # fmt: skip
    assert done.code == 0, done.stderr
    before = html_structure((PAGES / page).read_text(encoding="utf-8"))
    after = html_structure(out.read_text(encoding="utf-8"))
    kept = preservation(before, after)
    assert (kept.elements, kept.attributes, kept.links, kept.code) == (1.0, 1.0, 1.0, 1.0)


def test_translated_markdown_keeps_its_structure(tmp_path: Path, models_toml: Path) -> None:
    page = PAGES / "news-digest.md"
    done = lingosum("translate", str(page), "--to", "az", "--json", *FAST, models=models_toml)
    assert done.code == 0, done.stderr
    translated = json.loads(done.stdout)["text"]
    kept = preservation(
        markdown_structure(page.read_text(encoding="utf-8")), markdown_structure(translated)
    )
    assert (kept.elements, kept.links, kept.code) == (1.0, 1.0, 1.0)


def test_markdown_text_drops_markup() -> None:
    text = markdown_text("# Title\n\nSome *bold* [link](http://x.org).\n\n- one\n- two\n")
    assert text == "Title\n\nSome bold link.\n\none two"


@pytest.mark.parametrize(
    ("path", "extra", "message"),
    [
        ("/nothing-here.html", [], "404"),
        ("/baku-railway.html", ["--offline"], "offline"),
    ],
)
def test_bad_urls_are_one_line(
    site: str, path: str, extra: list[str], message: str, models_toml: Path
) -> None:
    done = lingosum("summarize", f"{site}{path}", *extra, *FAST, models=models_toml)
    assert done.code == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr.lower()


def test_batch_reads_urls_and_html_files_as_their_articles(
    site: str, tmp_path: Path, models_toml: Path
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "story.html").write_bytes((PAGES / "tbilisi-festival.html").read_bytes())
    out = tmp_path / "out.jsonl"
    url = f"{site}/baku-railway.html"
    missing = f"{site}/gone.html"
    done = lingosum(
        "batch", url, missing, str(folder), "--task", "translate", "--to", "ru",
        "-o", str(out), *FAST, models=models_toml,
    )  # fmt: skip
    assert done.code == 1, done.stderr  # the missing page is a failed record
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(records) == {url, missing, "story.html"}
    assert records[url]["status"] == "ok" and records["story.html"]["status"] == "ok"
    assert "404" in records[missing]["error"]
    again = lingosum(
        "batch", url, str(folder), "--task", "translate", "--to", "ru",
        "-o", str(out), "--resume", *FAST, models=models_toml,
    )  # fmt: skip
    assert again.code == 0, again.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3  # nothing redone
