"""Notices a user reads: the one-time CTranslate2 conversion is announced (not with -q)."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import isolated_env_vars, run_lingosum

TEXT = "The ministers met in Baku. They discussed the railway."
CT2 = ["--backend", "ctranslate2", "--device", "cpu", "--beams", "1", "--from", "en"]


def test_first_conversion_is_announced_once_and_quiet_silences_it(
    models_toml: Path, tmp_path: Path
) -> None:
    env = isolated_env_vars(tmp_path)
    args = ["translate", "-", "--to", "ru", "--models", str(models_toml), *CT2]
    quiet = run_lingosum([*args, "-q"], env=isolated_env_vars(tmp_path / "quiet"), stdin=TEXT)
    assert quiet.code == 0, quiet.stderr
    assert "converting" not in quiet.stderr
    first = run_lingosum(args, env=env, stdin=TEXT)
    assert first.code == 0, first.stderr
    assert "to CTranslate2 once, about" in first.stderr
    second = run_lingosum(args, env=env, stdin=TEXT)
    assert second.code == 0 and "converting" not in second.stderr, second.stderr
