"""HTML translation keeps the document: structure, links, code, protected spans.

A deterministic ``translate`` callable stands in for the engine: uppercase (every inline
element's text is found again, so the exact result is known) and word reversal (multi-word
inline elements are not found, so the fallback placement runs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from lingosum.errors import InputError, ModelError
from lingosum.markup import find_protected, translate_html
from lingosum.markup.compare import html_structure
from markup_helpers import Recorder, assert_structure_kept, reverse_words, upper

PAGES = Path(__file__).parent / "fixtures" / "pages"
HTML_PAGES = sorted(PAGES.glob("*.html"))


def mapping(table: dict[str, str]) -> Callable[[Sequence[str]], list[str]]:
    return lambda texts: [table[text] for text in texts]


@pytest.mark.parametrize("transform", [upper, reverse_words], ids=["upper", "reverse"])
@pytest.mark.parametrize("page", HTML_PAGES, ids=lambda p: p.name)
def test_pages_keep_structure_links_and_code(page: Path, transform: Callable) -> None:
    source = page.read_text(encoding="utf-8")
    recorder = Recorder(transform)
    out = translate_html(source, recorder)
    before, after = html_structure(source), html_structure(out)
    assert_structure_kept(before, after)
    assert len(recorder.calls) == 1  # one batched call per document
    assert out != source


@pytest.mark.parametrize("page", HTML_PAGES, ids=lambda p: p.name)
def test_protected_spans_survive_and_never_reach_the_model(page: Path) -> None:
    import lxml.html

    source = page.read_text(encoding="utf-8")
    recorder = Recorder(reverse_words)
    out = translate_html(source, recorder)
    text = lxml.html.document_fromstring(source).text_content()
    spans = [text[start:end] for start, end in find_protected(text)]
    out_text = lxml.html.document_fromstring(out).text_content()
    sent = " ".join(recorder.calls[0])
    for span in spans:
        assert span in out_text
        assert span not in sent


def test_fragment_stays_fragment_and_inline_elements_land_on_their_words() -> None:
    source = (
        '<p>The <b>prime minister</b> met <a href="/press?a=1&amp;b=2">the press</a> '
        "in Baku.</p>\n<p>Second</p>"
    )
    out = translate_html(source, Recorder(upper))
    assert out == (
        '<p>THE <b>PRIME MINISTER</b> MET <a href="/press?a=1&amp;b=2">THE PRESS</a> '
        "IN BAKU.</p>\n<p>SECOND</p>"
    )


def test_document_keeps_doctype_head_and_trailing_newline() -> None:
    source = (
        "<!DOCTYPE html>\n<html lang='en'><head><title>Big news</title>"
        "<script>var title = 'x';</script></head><body><p>Hello</p></body></html>\n"
    )
    out = translate_html(source, Recorder(upper))
    assert out.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>BIG NEWS</title>" in out
    assert "<script>var title = 'x';</script>" in out
    assert out.endswith("</html>\n")


# (source fragment, the model's answers, expected output): the placement rule.
PLACEMENT = [
    pytest.param(
        "<p>The <b>prime minister</b> met the press.</p>",
        {
            "The prime minister met the press.": "Der Premierminister traf die Presse.",
            "prime minister": "Premierminister",
        },
        "<p>Der <b>Premierminister</b> traf die Presse.</p>",
        id="exact",
    ),
    pytest.param(
        "<p><i>Officials</i> said so.</p>",
        {"Officials said so.": "Beamte sagten das.", "Officials": "beamte"},
        "<p><i>Beamte</i> sagten das.</p>",
        id="case-insensitive-keeps-sentence-casing",
    ),
    pytest.param(
        "<p>He met <em>the press</em> today.</p>",
        {"He met the press today.": "Heute traf er die Journalisten.", "the press": "die Presse"},
        "<p>Heute traf <em>die Presse</em> er die Journalisten.</p>",
        id="not-found-kept-with-own-translation",
    ),
    pytest.param(
        "<p>A cat and <b>a</b> dog.</p>",
        {"A cat and a dog.": "A cat and a dog.", "a": "a"},
        "<p>A cat and <b>a</b> dog.</p>",
        id="nearest-word-boundary-match",
    ),
    pytest.param(
        "<p>Run <code>ls -l</code> now.</p>",
        {"Run": "Starte", "now.": "jetzt."},
        "<p>Starte <code>ls -l</code> jetzt.</p>",
        id="atom-cuts-text",
    ),
    pytest.param(
        '<p>Go <a href="/x"><b>fast</b> now</a>!</p>',
        {"Go fast now!": "Geh jetzt schnell!", "fast now": "jetzt schnell", "fast": "schnell"},
        '<p>Geh <a href="/x">jetzt <b>schnell</b></a>!</p>',
        id="nested-inline",
    ),
]


@pytest.mark.parametrize(("source", "answers", "expected"), PLACEMENT)
def test_placement_rule(source: str, answers: dict[str, str], expected: str) -> None:
    assert translate_html(source, mapping(answers)) == expected


def test_untouched_elements_and_attributes() -> None:
    source = (PAGES / "fragment-inline.html").read_text(encoding="utf-8")
    recorder = Recorder(upper)
    out = translate_html(source, recorder)
    sent = "\n".join(recorder.calls[0])
    for kept in [
        "<kbd>Ctrl</kbd>",
        "<code>rate --history</code>",
        "Default text stays",
        '<p translate="no">Brand Name Stays</p>',
        "<!-- editor: check link -->",
        'href="/rates?year=2024&amp;month=5"',
        'name="feedback"',
    ]:
        assert kept in out
    for hidden in ["Ctrl", "rate --history", "Default text", "Brand Name", "editor"]:
        assert hidden not in sent
    assert 'title="SHORT SUMMARY OF THE DAY"' in out
    assert 'placeholder="TELL US WHAT YOU THINK"' in out
    assert 'title="FREQUENTLY ASKED QUESTIONS"' in out


def test_entities_and_significant_whitespace() -> None:
    source = "<p>Temperature: 21&nbsp;°C &lt; 25 &amp; rising</p><pre>  a\n    b  </pre>"
    out = translate_html(source, Recorder(upper))
    assert out == "<p>TEMPERATURE: 21&nbsp;°C &lt; 25 &amp; RISING</p><pre>  a\n    b  </pre>"


def test_line_breaks_end_runs() -> None:
    recorder = Recorder(upper)
    out = translate_html("<p>Rustaveli Avenue 17<br>Tbilisi 0108</p>", recorder)
    assert out == "<p>RUSTAVELI AVENUE 17<br>TBILISI 0108</p>"
    assert recorder.calls == [["Rustaveli Avenue 17", "Tbilisi 0108"]]


def test_model_sees_collapsed_whitespace_not_indentation() -> None:
    recorder = Recorder(upper)
    translate_html("<p>\n   One line\n   and the next\n</p>", recorder)
    assert recorder.calls == [["One line and the next"]]


def test_fragments_lose_no_final_stop_or_capital() -> None:
    out = translate_html(
        "<p>see https://x.test/a for more</p>", mapping({"see": "Siehe.", "for more": "Mehr."})
    )
    assert out == "<p>siehe https://x.test/a mehr</p>"


def test_nothing_to_translate_makes_no_call() -> None:
    recorder = Recorder(upper)
    source = "<p>2024 &mdash; 17:00</p><pre>code</pre>"
    assert translate_html(source, recorder) == "<p>2024 — 17:00</p><pre>code</pre>"
    assert recorder.calls == []
    assert translate_html("  \n", recorder) == "  \n"


def test_wrong_number_of_translations_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="returned 0 texts for 1 inputs"):
        translate_html("<p>Hello</p>", lambda texts: [])


def test_private_use_markers_in_input_are_refused() -> None:
    with pytest.raises(InputError, match="private-use"):
        translate_html("<p>odd \U00100001 char</p>", Recorder(upper))


def test_with_the_engine_and_tiny_models(models_toml: Path) -> None:
    """The real engine (tiny random models, so the words are noise) behind the callable:
    whatever the model writes, the document keeps its structure."""
    from lingosum.engine import Engine
    from lingosum.settings import Settings

    source = (PAGES / "baku-railway.html").read_text(encoding="utf-8")
    calls = []
    with Engine(Settings(models_file=models_toml, offline=True)) as engine:

        def translate(texts: Sequence[str]) -> list[str]:
            calls.append(len(texts))
            done = engine.translate_many(texts, ["ru"], sources=["en"] * len(texts))
            return [targets[0].text for targets in done]

        out = translate_html(source, translate)
    before, after = html_structure(source), html_structure(out)
    assert (after.elements, after.attributes, after.links, after.code) == (
        before.elements,
        before.attributes,
        before.links,
        before.code,
    )
    assert len(calls) == 1 and calls[0] > 20
    for span in [
        "https://mfa.example.gov/statements/2024-05-02",
        "press@mfa.example.gov",
        "@CaucasusDaily",
        "#railways",
    ]:
        assert span in out
