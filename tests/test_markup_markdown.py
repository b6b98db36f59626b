"""Markdown translation keeps the document; the inline rebuilding code, table-tested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lingosum.errors import ModelError
from lingosum.markup import find_protected, translate_markdown
from lingosum.markup.compare import markdown_structure
from lingosum.markup.mdinline import Misaligned, build_inline, escape_markdown, write_inline
from markup_helpers import Recorder, assert_structure_kept, reverse_words, upper

PAGES = Path(__file__).parent / "fixtures" / "pages"
MD_PAGES = sorted(PAGES.glob("*.md"))


@pytest.mark.parametrize("transform", [upper, reverse_words], ids=["upper", "reverse"])
@pytest.mark.parametrize("page", MD_PAGES, ids=lambda p: p.name)
def test_documents_keep_structure_links_and_code(page: Path, transform: Callable) -> None:
    source = page.read_text(encoding="utf-8")
    recorder = Recorder(transform)
    out = translate_markdown(source, recorder)
    before, after = markdown_structure(source), markdown_structure(out)
    assert_structure_kept(before, after)
    assert len(recorder.calls) == 1
    assert out != source


@pytest.mark.parametrize("page", MD_PAGES, ids=lambda p: p.name)
def test_protected_spans_survive_and_never_reach_the_model(page: Path) -> None:
    source = page.read_text(encoding="utf-8")
    recorder = Recorder(reverse_words)
    out = translate_markdown(source, recorder)
    sent = " ".join(recorder.calls[0])
    spans = [source[start:end] for start, end in find_protected(source)]
    for span in spans:
        assert span in out
        assert span not in sent


def test_release_notes_exactly() -> None:
    source = (PAGES / "release-notes.md").read_text(encoding="utf-8")
    out = translate_markdown(source, Recorder(upper)).split("\n")
    lines = source.split("\n")
    assert out[:4] == lines[:4]  # front matter
    assert out[5] == "# RELEASE NOTES FOR *VERSION 2.0* ##"
    assert out[7] == (
        "THE NEW VERSION IS **FASTER** AND _EASIER_ TO USE. SEE THE [INSTALLATION GUIDE]"
        '(https://docs.example.com/install?os=linux&v=2 "Install guide") OR WRITE TO '
        "help@example.com. LINES WRAPPED BY THE EDITOR CONTINUE THE SAME PARAGRAPH."
    )
    assert "   | `--json` | MACHINE-READABLE **OUTPUT** |" in out
    assert "- A LIST ITEM WITH A HARD BREAK  " in out
    assert "  AND ITS CONTINUATION." in out
    assert '- AN ITEM WITH AN IMAGE: ![DIAGRAM OF THE PIPELINE](img/pipeline.png "Pipeline")' in out
    fence = lines.index("```bash")
    assert out[fence - 1 : fence + 5] == lines[fence : fence + 6] or lines[fence] in out
    for kept in [
        "```bash",
        "lingosum translate notes.md --to ka",
        "    indented code stays too",
        '[changelog]: https://example.com/changelog "Full changelog"',
        "  <p>BACK UP YOUR <b>CACHE</b> BEFORE UPGRADING.</p>",
        "--------------",
    ]:
        assert kept in out
    assert (
        "SEE [THE CHANGELOG][changelog] AND <https://example.com/changelog>, OR [changelog]. "
        "ESCAPED \\*STARS\\* AND ENTITIES &amp; &copy; STAY."
    ) in out


def test_unbalanced_html_block_is_left_alone() -> None:
    source = "<div>\n\n*inside* a div\n\n</div>\n"
    assert translate_markdown(source, Recorder(upper)) == "<div>\n\n*INSIDE* A DIV\n\n</div>\n"


def test_translations_are_escaped_but_protected_spans_are_not() -> None:
    out = translate_markdown(
        "Say hi to @snake_case_bot now.\n",
        lambda texts: (
            {"Say hi to": ["Sag *hallo* zu"], "now.": ["jetzt_."]}[texts[0]]
            + [{"now.": "jetzt_."}[text] for text in texts[1:]]
        ),
    )
    assert out == "Sag \\*hallo\\* zu @snake_case_bot jetzt\\_.\n"


def test_wrong_number_of_translations_is_a_model_error() -> None:
    with pytest.raises(ModelError):
        translate_markdown("Hello *world*.\n", lambda texts: ["x"])


def test_empty_and_code_only_documents_make_no_call() -> None:
    recorder = Recorder(upper)
    assert translate_markdown("", recorder) == ""
    source = "```\ncode only\n```\n\n    more code\n"
    assert translate_markdown(source, recorder) == source
    assert recorder.calls == []


# -- the inline rebuilding code ----------------------------------------------------------

# (inline source, what the model receives, the output with an uppercasing model)
INLINE = [
    ("plain words", ["plain words"], "PLAIN WORDS"),
    ("*em* and _em_", ["em and em", "em"], "*EM* AND _EM_"),
    ("**strong** __strong__", ["strong strong", "strong"], "**STRONG** __STRONG__"),
    ("~~gone~~ now", ["gone now", "gone"], "~~GONE~~ NOW"),
    (
        'a [link](http://x.test/a_b "T") b',
        ["a link b", "link"],
        'A [LINK](http://x.test/a_b "T") B',
    ),
    ("a [link](<x y> 'T') b", ["a link b", "link"], "A [LINK](<x y> 'T') B"),
    ("a [ref][r] b\n\n[r]: /u", ["a ref b", "ref"], "A [REF][r] B\n\n[r]: /u"),
    ("a [r] b and [r][]\n\n[r]: /u", ["a", "b and"], "A [r] B AND [r][]\n\n[r]: /u"),
    ("img ![alt *x*](i.png) end", ["img alt x end", "x", "alt x"], "IMG ![ALT *X*](i.png) END"),
    ("2024 was good.", ["2024 was good."], "2024 WAS GOOD."),
    ("use ``a `b` c`` here", ["use", "here"], "USE ``a `b` c`` HERE"),
    ("tag <span>in</span> html", ["tag", "in", "html"], "TAG <span>IN</span> HTML"),
    ("auto <https://x.test/q?a=1> link", ["auto", "link"], "AUTO <https://x.test/q?a=1> LINK"),
    ("esc \\* and &amp; ok", ["esc", "and", "ok"], "ESC \\* AND &amp; OK"),
    ("line one\nline two", ["line one line two"], "LINE ONE LINE TWO"),
    ("hard  \nbreak", ["hard", "break"], "HARD  \nBREAK"),
    ("back\\\nslash", ["back", "slash"], "BACK\\\nSLASH"),
    ("***both*** ok", ["both ok", "both"], "***BOTH*** OK"),
]


def _inline(source: str) -> tuple[str, str]:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    parser.disable("text_join")
    token = next(t for t in parser.parse(source + "\n") if t.type == "inline")
    assert token.map is not None
    return token.content, token


@pytest.mark.parametrize(
    ("model_output", "written"),
    [
        ("2017. since first", "2017\\. since first"),
        ("- a dash", "\\- a dash"),
        ("# not a heading", "\\# not a heading"),
        ("> not a quote", "\\> not a quote"),
        ("#hashtag-like start", "#hashtag-like start"),
        ("plain", "plain"),
    ],
)
def test_model_output_cannot_start_a_block(model_output: str, written: str) -> None:
    out = translate_markdown("* item text\n", lambda texts: [model_output])
    assert out == f"* {written}\n"


@pytest.mark.parametrize(("source", "sent", "expected"), INLINE, ids=[c[0] for c in INLINE])
def test_inline_markup_is_rebuilt(source: str, sent: list[str], expected: str) -> None:
    recorder = Recorder(upper)
    assert translate_markdown(source + "\n", recorder) == expected + "\n"
    assert recorder.calls[0] == sent


@pytest.mark.parametrize("source", [case[0] for case in INLINE])
def test_inline_tree_round_trips(source: str) -> None:
    content, token = _inline(source.split("\n\n")[0])
    root = build_inline(content, token.children, [""] * (content.count("\n") + 1))
    assert write_inline(root) == content.replace("line one\nline", "line one line")


def test_misaligned_tokens_are_reported() -> None:
    content, token = _inline("some *text*")
    with pytest.raises(Misaligned):
        build_inline("other *text*", token.children, [""])


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("a*b", "a\\*b"), ("x_y", "x\\_y"), ("[1]", "\\[1\\]"), ("a|b", "a\\|b"), ("ok", "ok")],
)
def test_escape_markdown(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped
