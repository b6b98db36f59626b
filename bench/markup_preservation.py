"""How much of each HTML and Markdown document survives translation.

Runs every page of a folder (default: the test suite's tests/fixtures/pages) through
lingosum.markup with deterministic transforms standing in for a model, and prints the
share of elements, attributes, link targets and code blocks preserved, plus how often an
inline element was found in its run's translation (placed on its words) or fell back to its
relative position.

    python bench/markup_preservation.py [FOLDER]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from lingosum.markup import translate_html, translate_markdown
from lingosum.markup.compare import html_structure, markdown_structure, preservation
from lingosum.markup.tree import TreeJob

TRANSFORMS: dict[str, Callable[[str], str]] = {
    "identity": lambda text: text,
    "upper": str.upper,
    "reverse-words": lambda text: " ".join(reversed(text.split())),
}


def _batch(transform: Callable[[str], str]) -> Callable[[Sequence[str]], list[str]]:
    return lambda texts: [transform(text) for text in texts]


class _Counting(TreeJob):
    """A TreeJob that counts where inline elements were placed."""

    found = 0
    fallback = 0

    def _place(self, item, text, cursor):  # type: ignore[no-untyped-def]
        result = super()._place(item, text, cursor)
        if result[2] is None:
            _Counting.fallback += 1
        else:
            _Counting.found += 1
        return result


def main(folder: Path) -> None:
    import lingosum.markup.html as html_module
    import lingosum.markup.markdown as markdown_module

    html_module.TreeJob = _Counting  # type: ignore[misc]
    markdown_module.TreeJob = _Counting  # type: ignore[misc]
    pages = sorted(p for p in folder.iterdir() if p.suffix in (".html", ".htm", ".md"))
    print(f"{len(pages)} documents in {folder}")
    header = f"{'transform':<14} {'elements':>9} {'attributes':>11} {'links':>7} {'code':>7}"
    print(header + f" {'inline on words':>16} {'fallback':>9}")
    for name, transform in TRANSFORMS.items():
        totals = {"elements": [0, 0], "attributes": [0, 0], "links": [0, 0], "code": [0, 0]}
        _Counting.found = _Counting.fallback = 0
        for page in pages:
            source = page.read_text(encoding="utf-8")
            if page.suffix == ".md":
                out = translate_markdown(source, _batch(transform))
                before, after = markdown_structure(source), markdown_structure(out)
            else:
                out = translate_html(source, _batch(transform))
                before, after = html_structure(source), html_structure(out)
            score = preservation(before, after)
            for part, total in totals.items():
                count = len(getattr(before, part))
                total[0] += round(getattr(score, part) * count)
                total[1] += count
        cells = [
            f"{100 * kept / max(count, 1):6.1f}% of {count}" for kept, count in totals.values()
        ]
        placed = _Counting.found + _Counting.fallback
        print(
            f"{name:<14} " + "  ".join(cells) + f"  {_Counting.found}/{placed} on words"
            f", {_Counting.fallback} fallback"
        )


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
