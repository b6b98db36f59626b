"""``lingosum eval``: data layouts, the scores (chrF 100 for a perfect hypothesis, ROUGE on
non-Latin text), the command's output, and one line with exit 2 for every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lingosum.engine import Engine
from lingosum.errors import InputError, UnsupportedLanguageError
from lingosum.evaldata import EvalData, load_benchmark, load_parallel, load_summaries
from lingosum.evaluate import (
    UnicodeWordTokenizer,
    evaluate_translation,
    score_summaries,
    score_translations,
)
from lingosum.settings import Settings

EN = ["The ministers met in Baku.", "They discussed the railway.", "Trade grew last year."]
RU = ["Министры встретились в Баку.", "Они обсудили железную дорогу.", "Торговля выросла."]
KA = ["მინისტრები ბაქოში შეხვდნენ.", "მათ რკინიგზა განიხილეს.", "ვაჭრობა გაიზარდა."]
TIMEOUT = 120


@pytest.fixture(scope="module")
def conversions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ct2-conversions")


@pytest.fixture(autouse=True)
def shared_conversions(conversions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Convert each tiny model to CTranslate2 once for this module, not once per command:
    a conversion imports torch and transformers, which is most of a command's time."""
    monkeypatch.setenv("LINGOSUM_CACHE", str(conversions))


def lines(path: Path, segments: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(segments) + "\n", encoding="utf-8")
    return path


def lingosum(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lingosum", "eval", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
    )


def scores(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- data layouts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_name", "reference_name"),
    [
        ("eng_Latn.devtest", "rus_Cyrl.devtest"),  # FLORES-200
        ("devtest/eng_Latn.devtest", "devtest/rus_Cyrl.devtest"),  # FLORES-200 release
        ("devtest/devtest.eng_Latn", "devtest/devtest.rus_Cyrl"),  # FLORES+
        ("eng.dev", "rus.dev"),  # FLORES-101, dev split only
        ("newstest2019-src.eng.txt", "newstest2019-ref.rus.txt"),  # NTREX-128
        ("NTREX-128/newstest2019-src.eng.txt", "NTREX-128/newstest2019-ref.rus.txt"),
    ],
)
def test_benchmark_layouts(tmp_path: Path, source_name: str, reference_name: str) -> None:
    lines(tmp_path / source_name, EN)
    lines(tmp_path / reference_name, RU)
    data = load_benchmark(tmp_path, "en", "ru", limit=2)
    assert data.inputs == tuple(EN[:2])
    assert data.references == tuple(RU[:2])


def test_ntrex_english_reference_and_azerbaijani_code(tmp_path: Path) -> None:
    lines(tmp_path / "newstest2019-src.eng.txt", EN)
    lines(tmp_path / "newstest2019-ref.aze-Latn.txt", ["Nazirlər Bakıda görüşdülər."] * 3)
    data = load_benchmark(tmp_path, "az", "en")
    assert data.inputs[0] == "Nazirlər Bakıda görüşdülər."
    assert data.references == tuple(EN)


def test_devtest_is_preferred_to_dev(tmp_path: Path) -> None:
    lines(tmp_path / "eng_Latn.dev", ["dev"] * 3)
    lines(tmp_path / "eng_Latn.devtest", EN)
    lines(tmp_path / "kat_Geor.devtest", KA)
    assert load_benchmark(tmp_path, "en", "ka").inputs == tuple(EN)


def test_folder_errors(tmp_path: Path) -> None:
    lines(tmp_path / "eng_Latn.devtest", EN)
    with pytest.raises(UnsupportedLanguageError, match="'xx'"):
        load_benchmark(tmp_path, "en", "xx")
    with pytest.raises(InputError, match="kat_Geor"):
        load_benchmark(tmp_path, "en", "ka")
    with pytest.raises(InputError, match="no such folder"):
        load_benchmark(tmp_path / "missing", "en", "ka")


def test_lines_split_only_at_newline(tmp_path: Path) -> None:
    # U+2028 inside a segment must not shift the alignment (str.splitlines would split it).
    source = tmp_path / "src.txt"
    source.write_text("one\u2028still one\r\ntwo\n", encoding="utf-8")
    reference = lines(tmp_path / "ref.txt", ["a", "b"])
    assert load_parallel(source, reference).inputs == ("one\u2028still one", "two")


def test_summaries_skip_blank_lines_and_extra_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record = {"id": 1, "text": "Текст.", "summary": "Итог."}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n\n", encoding="utf-8")
    data = load_summaries(path)
    assert data.inputs == ("Текст.",) and data.references == ("Итог.",)


# --- scores ---------------------------------------------------------------------------------


def test_hypothesis_equal_to_reference_scores_100() -> None:
    results = score_translations(KA, KA)
    assert [s.metric for s in results] == ["chrF", "chrF++", "BLEU"]
    assert [s.score for s in results] == pytest.approx([100.0, 100.0, 100.0])
    assert all("version:" in s.signature for s in results)
    assert "nw:2" in results[1].signature  # chrF++ is chrF with word bigrams


def test_worse_hypothesis_scores_lower() -> None:
    perfect, partial = score_translations(RU, RU)[0], score_translations(RU[:2] + ["x"], RU)[0]
    assert 0 < partial.score < perfect.score


@pytest.mark.parametrize("text", [RU[0], KA[0]])
def test_rouge_keeps_non_latin_words(text: str) -> None:
    from rouge_score import rouge_scorer

    assert UnicodeWordTokenizer().tokenize(text.upper())[0] == text.split()[0].lower()
    hypothesis = " ".join(text.split()[:2])  # the reference's first two words
    ours = score_summaries([hypothesis], [text])
    assert [s.metric for s in ours] == ["ROUGE-1", "ROUGE-2", "ROUGE-L"]
    recall = 2 / len(text.split())  # precision is 1
    assert ours[0].score == pytest.approx(100 * 2 * recall / (1 + recall), abs=0.01)
    assert ours[1].score > 0
    default = rouge_scorer.RougeScorer(["rouge1"]).score(text, hypothesis)["rouge1"]
    assert default.fmeasure == 0.0  # what rouge-score's own tokenizer makes of it
    assert score_summaries([text], [text])[2].score == pytest.approx(100.0)


def test_progress_and_empty_lines_same_language() -> None:
    # Same source and target: no model runs, the text comes back as it is, chrF is 100.
    seen: list[tuple[int, int]] = []
    inputs = (*EN, "", "The end.")
    with Engine(Settings()) as engine:
        result = evaluate_translation(
            engine,
            EvalData(inputs, inputs, "test"),
            "en",
            "en",
            batch_size=2,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert result.hypotheses == inputs and result.models == ()
    assert [s.score for s in result.scores] == pytest.approx([100.0, 100.0, 100.0])


# --- the command ----------------------------------------------------------------------------


def test_translate_files_json(
    tmp_path: Path, models_toml: Path, tiny_models: dict[str, Path]
) -> None:
    source, reference = lines(tmp_path / "en.txt", EN), lines(tmp_path / "ru.txt", RU)
    options = ["--from", "en", "--to", "ru", "--limit", "2", "--json", "--beams", "1"]
    found = scores(lingosum("translate", source, reference, *options, "--models", models_toml))
    assert found["segments"] == 2
    assert (found["source_language"], found["target_language"]) == ("en", "ru")
    assert set(found["scores"]) == {"chrF", "chrF++", "BLEU"}
    assert all(0 <= s["score"] <= 100 for s in found["scores"].values())
    assert found["scores"]["BLEU"]["signature"].startswith("nrefs:1|")
    assert [m["model"] for m in found["models"]] == [str(tiny_models["marian"])]
    assert found["backend"] == found["models"][0]["backend"]
    assert found["compute_type"] in {"int8", "float32"}


def test_translate_flores_folder_table(tmp_path: Path, models_toml: Path) -> None:
    lines(tmp_path / "flores" / "devtest" / "eng_Latn.devtest", EN)
    lines(tmp_path / "flores" / "devtest" / "rus_Cyrl.devtest", RU)
    options = ["--from", "en", "--to", "ru", "--beams", "1"]
    result = lingosum("translate", "--data", tmp_path / "flores", *options, "--models", models_toml)
    assert result.returncode == 0, result.stderr
    assert "translate en -> ru: 3 items" in result.stdout
    assert "eng_Latn.devtest" in result.stdout
    first_words = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {"chrF", "chrF++", "BLEU"} <= first_words
    assert "nrefs:1|case:mixed|eff:yes|nc:6|nw:2" in result.stdout
    assert "translator en-ru" in result.stdout


def test_translate_ntrex_folder_into_english(tmp_path: Path, models_toml: Path) -> None:
    lines(tmp_path / "newstest2019-src.eng.txt", EN)
    lines(tmp_path / "newstest2019-ref.kat.txt", KA)
    options = ["--from", "ka", "--to", "en", "--json", "--beams", "1"]
    found = scores(lingosum("translate", "--data", tmp_path, *options, "--models", models_toml))
    source, reference = found["data"].split(" -> ")
    assert Path(source).name == "newstest2019-ref.kat.txt"
    assert Path(reference).name == "newstest2019-src.eng.txt"
    assert [m["role"] for m in found["models"]] == ["translator ka-en"]
    assert found["segments"] == 3


def test_translate_into_the_same_language_scores_100(tmp_path: Path) -> None:
    en = lines(tmp_path / "en.txt", EN)
    found = scores(lingosum("translate", str(en), str(en), "--from", "en", "--to", "en", "--json"))
    assert {name: s["score"] for name, s in found["scores"].items()} == {
        "chrF": 100.0,
        "chrF++": 100.0,
        "BLEU": 100.0,
    }
    assert found["models"] == []


def test_summarize_jsonl(tmp_path: Path, models_toml: Path) -> None:
    path = tmp_path / "s.jsonl"
    records = [{"text": f"{EN[0]} {EN[1]}", "summary": EN[0]}, {"text": EN[2], "summary": EN[2]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    options = ["--from", "en", "--limit", "1", "--json", "--beams", "1", "--length", "short"]
    found = scores(lingosum("summarize", path, *options, "--models", models_toml))
    assert found["task"] == "summarize" and found["segments"] == 1
    assert set(found["scores"]) == {"ROUGE-1", "ROUGE-2", "ROUGE-L"}
    assert "tok:unicode-words" in found["scores"]["ROUGE-1"]["signature"]
    assert [m["role"] for m in found["models"]] == ["summarizer en"]


# --- bad input ------------------------------------------------------------------------------


def bad_inputs(tmp_path: Path) -> dict[str, list[str]]:
    en, ru = lines(tmp_path / "en.txt", EN), lines(tmp_path / "ru.txt", RU[:2])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    flores = tmp_path / "flores"
    lines(flores / "eng_Latn.devtest", EN)
    folder = ["translate", "--data", str(flores), "--from", "en"]
    missing = str(tmp_path / "missing")
    (tmp_path / "bad.jsonl").write_text('{"text": "a", "summary": "b"}\n{"text": \n')
    (tmp_path / "field.jsonl").write_text('{"text": "a", "sum": "b"}\n')
    return {
        "lines": ["translate", str(en), str(ru), "--to", "ru", "--from", "en"],
        "no such folder": ["translate", "--data", missing, "--from", "en", "--to", "ru"],
        "'xx'": [*folder, "--to", "xx"],
        "rus_Cyrl": [*folder, "--to", "ru"],
        "is empty": ["translate", str(empty), str(en), "--to", "ru"],
        "no such file": ["translate", str(tmp_path / "nope.txt"), str(en), "--to", "ru"],
        "SOURCE and REFERENCE": ["translate", str(en), "--to", "ru"],
        "bad.jsonl:2: not JSON": ["summarize", str(tmp_path / "bad.jsonl")],
        "field.jsonl:1: expected": ["summarize", str(tmp_path / "field.jsonl")],
    }  # fmt: skip


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for expected, args in bad_inputs(tmp_path).items():
        result = lingosum(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("lingosum: error: ") and expected in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_missing_scorers_say_how_to_install(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked" / "sacrebleu"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text('raise ImportError("not installed")\n')
    env = {**os.environ, "PYTHONPATH": str(blocked.parent)}
    en = lines(tmp_path / "en.txt", EN)
    result = lingosum("translate", str(en), str(en), "--to", "en", "--from", "en", env=env)
    assert result.returncode == 2
    assert result.stderr == "lingosum: error: " + (
        "scoring needs sacrebleu and rouge-score: pip install 'lingosum[eval]'\n"
    )
