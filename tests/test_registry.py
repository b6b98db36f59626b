"""The model table, routes with the English pivot, and the TOML override."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingosum.errors import ConfigError, UnsupportedLanguageError
from lingosum.registry import (
    DEFAULT_SUMMARIZERS,
    DEFAULT_TRANSLATORS,
    Registry,
    load_registry,
    parse_targets,
)


@pytest.mark.parametrize(
    ("source", "target", "keys"),
    [
        ("en", "ru", ["en-ru"]),
        ("en", "ka", ["en-ka"]),
        ("ru", "en", ["ru-en"]),
        ("ru", "az", ["ru-en", "en-az"]),
        ("ka", "ru", ["ka-en", "en-ru"]),
        ("kk", "en", ["kk-en"]),  # many-to-English fallback
        ("kk", "ka", ["kk-en", "en-ka"]),
        ("ru", "ru", []),
    ],
)
def test_route_direct_pivot_and_fallback(source: str, target: str, keys: list[str]) -> None:
    assert [spec.key for spec in Registry().route(source, target)] == keys


def test_fallback_uses_the_many_to_english_model() -> None:
    (leg,) = Registry().route("kk", "en")
    assert leg.model == DEFAULT_TRANSLATORS["mul-en"].model


def test_route_without_any_model_is_a_clear_error() -> None:
    registry = Registry(translators={"en-ru": DEFAULT_TRANSLATORS["en-ru"]})
    with pytest.raises(UnsupportedLanguageError, match="no model translates de to ru"):
        registry.route("de", "ru")


def test_every_default_is_pinned_or_says_so_and_multi_target_has_token() -> None:
    for spec in [*DEFAULT_TRANSLATORS.values(), *DEFAULT_SUMMARIZERS.values()]:
        assert spec.revision or spec.is_release, spec  # a release is pinned by its sha256
        assert spec.license and spec.score, spec
    assert DEFAULT_TRANSLATORS["en-ka"].target_token == ">>kat<<"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("az", ["az"]), ("az,ka,ru", ["az", "ka", "ru"]), (" RU , ka,ru", ["ru", "ka"])],
)
def test_parse_targets(value: str, expected: list[str]) -> None:
    assert parse_targets(value, Registry()) == expected


@pytest.mark.parametrize("value", ["xx", "az,de", "", ","])
def test_parse_targets_rejects_unsupported(value: str) -> None:
    with pytest.raises(UnsupportedLanguageError):
        parse_targets(value, Registry())


def test_toml_override_string_table_and_relative_path(tmp_path: Path) -> None:
    (tmp_path / "local-model").mkdir()
    path = tmp_path / "models.toml"
    path.write_text(
        '[translator]\n"en-ka" = '
        '{ model = "org/other", revision = "abc", target_token = ">>kat<<" }\n'
        '"en-ru" = "./local-model"\n[summarizer]\n"en" = "org/summ"\n',
        encoding="utf-8",
    )
    registry = load_registry(path)
    assert registry.translators["en-ka"].model == "org/other"
    assert registry.translators["en-ka"].revision == "abc"
    assert registry.translators["en-ru"].model == str((tmp_path / "local-model").resolve())
    assert registry.translators["en-ru"].overridden_by == str(path)
    assert registry.summarizers["en"].model == "org/summ"
    assert registry.translators["en-az"] == DEFAULT_TRANSLATORS["en-az"]


def test_env_variable_names_the_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[summarizer]\n"en" = "org/summ"\n', encoding="utf-8")
    monkeypatch.setenv("LINGOSUM_MODELS", str(path))
    assert load_registry().summarizers["en"].model == "org/summ"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[translators]\n", "unknown table"),
        ('[translator]\n"en_ka" = "x/y"\n', "bad key"),
        ('[translator]\n"en-ka" = 3\n', "must be a model id"),
        ('[translator]\n"en-ka" = { model = "x/y", colour = 1 }\n', "unknown field"),
        ("[translator\n", "cannot read models file"),
    ],
)
def test_bad_models_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_registry(path)


def test_missing_models_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_registry(tmp_path / "nope.toml")
