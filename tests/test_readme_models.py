"""README's model table is generated from the registry's defaults, so the two cannot drift:
the text between the markers must be exactly ``render_model_table()``
(regenerate it with ``lingosum models list --markdown``)."""

from __future__ import annotations

from pathlib import Path

from lingosum.modelstore import render_model_table
from lingosum.registry import DEFAULT_SUMMARIZERS, DEFAULT_TRANSLATORS

README = Path(__file__).parents[1] / "README.md"
START, END = "<!-- models:start -->", "<!-- models:end -->"


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1, (
        f"README.md needs one {START} ... {END} block holding `lingosum models list --markdown`"
    )
    return text.split(START)[1].split(END)[0]


def test_readme_model_table_is_generated_from_the_registry() -> None:
    assert readme_table().strip("\n") == render_model_table().strip("\n"), (
        "README's model table is stale: paste the output of `lingosum models list --markdown`"
    )


def test_the_table_has_one_row_per_default_with_its_facts() -> None:
    rows = render_model_table().splitlines()[2:]
    specs = [*DEFAULT_SUMMARIZERS.values(), *DEFAULT_TRANSLATORS.values()]
    assert len(rows) == len(specs)
    for row, spec in zip(rows, specs, strict=True):
        assert f"`{spec.model}`" in row
        assert spec.license in row
        assert spec.score in row
        if spec.revision and spec.revision != "main":
            assert spec.revision[:10] in row
        if spec.target_token:
            assert spec.target_token in row
