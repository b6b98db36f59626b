"""The tiny-model factory builds models that load, tokenize and generate like Hub checkouts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import huggingface_hub
import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from model_factory import DEFAULT_REVISION, make_bart, make_hf_cache, make_marian

pytestmark = pytest.mark.filterwarnings("ignore:Recommended. pip install sacremoses")

TARGET_TOKENS = (">>kat<<", ">>rus<<", ">>aze<<")


@pytest.fixture(scope="module")
def marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_marian(tmp_path_factory.mktemp("factory") / "marian", target_tokens=TARGET_TOKENS)


@pytest.fixture(scope="module")
def bart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bart(tmp_path_factory.mktemp("factory") / "bart")


@pytest.mark.parametrize(
    ("model", "texts"),
    [
        ("marian", [">>kat<< The train was late.", ">>rus<< A longer sentence about rain."]),
        ("bart", ["The train was late.", "A longer sentence about rain in the valley."]),
    ],
)
def test_model_loads_and_generates_to_the_token_cap(
    model: str, texts: list[str], request: pytest.FixtureRequest
) -> None:
    path = request.getfixturevalue(f"{model}_dir")
    tokenizer = AutoTokenizer.from_pretrained(path)
    seq2seq = AutoModelForSeq2SeqLM.from_pretrained(path)
    inputs = tokenizer(texts, return_tensors="pt", padding=True)

    output = seq2seq.generate(**inputs, max_new_tokens=5)

    start = seq2seq.generation_config.decoder_start_token_id
    assert output.shape == (2, 6)
    assert output[:, 0].tolist() == [start, start]
    assert seq2seq.generation_config.eos_token_id not in output[:, 1:]
    assert all(isinstance(text, str) for text in tokenizer.batch_decode(output))


def test_marian_follows_the_opus_mt_layout(marian_dir: Path) -> None:
    config = json.loads((marian_dir / "config.json").read_text(encoding="utf-8"))
    generation = json.loads((marian_dir / "generation_config.json").read_text(encoding="utf-8"))
    vocab = json.loads((marian_dir / "vocab.json").read_text(encoding="utf-8"))
    pad = len(vocab) - 1

    assert {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"} <= {
        p.name for p in marian_dir.iterdir()
    }
    assert (vocab["</s>"], vocab["<unk>"], vocab["<pad>"]) == (0, 1, pad)
    assert config["share_encoder_decoder_embeddings"] is True
    assert config["max_position_embeddings"] == 512
    assert (config["pad_token_id"], config["decoder_start_token_id"]) == (pad, pad)
    assert generation["decoder_start_token_id"] == pad
    assert generation["eos_token_id"] == 0
    assert (generation["max_length"], generation["num_beams"]) == (512, 1)


@pytest.mark.parametrize("token", TARGET_TOKENS)
def test_marian_target_token_is_a_single_token(marian_dir: Path, token: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(marian_dir)

    ids = tokenizer(f"{token} Good morning.")["input_ids"]

    assert token in tokenizer.supported_language_codes
    assert ids[0] == tokenizer.convert_tokens_to_ids(token)
    assert tokenizer.convert_ids_to_tokens(ids[1:-1]) == tokenizer.tokenize("Good morning.")


def test_marian_rejects_a_malformed_target_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kat"):
        make_marian(tmp_path / "marian", target_tokens=("kat",))


def test_bart_input_limit_matches_position_embeddings(tmp_path: Path) -> None:
    path = make_bart(tmp_path / "bart", max_position_embeddings=48)

    tokenizer = AutoTokenizer.from_pretrained(path)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))

    assert tokenizer.model_max_length == config["max_position_embeddings"] == 48
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id) == (0, 1, 2)


def test_bart_loads_from_vocab_and_merges_alone(bart_dir: Path, tmp_path: Path) -> None:
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        shutil.copy(bart_dir / name, tmp_path / name)
    text = "Fresh snow makes the whole valley look clean."

    classic = AutoTokenizer.from_pretrained(tmp_path)

    assert classic(text)["input_ids"] == AutoTokenizer.from_pretrained(bart_dir)(text)["input_ids"]


@pytest.mark.parametrize(
    ("factory", "vocab_size", "last_token"),
    [(make_marian, 700, "<pad>"), (make_bart, 1500, "<mask>")],
)
def test_vocab_size_pads_the_vocabulary(
    factory: Callable[..., Path], vocab_size: int, last_token: str, tmp_path: Path
) -> None:
    path = factory(tmp_path / "model", vocab_size=vocab_size)

    tokenizer = AutoTokenizer.from_pretrained(path)
    seq2seq = AutoModelForSeq2SeqLM.from_pretrained(path)

    assert len(tokenizer) == vocab_size
    assert tokenizer.convert_tokens_to_ids(last_token) == vocab_size - 1
    assert seq2seq.get_input_embeddings().weight.shape[0] == vocab_size


@pytest.mark.parametrize("factory", [make_marian, make_bart])
def test_vocab_size_below_the_tokenizer_is_rejected(
    factory: Callable[..., Path], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        factory(tmp_path / "model", vocab_size=10)


def test_weights_depend_only_on_the_seed(tmp_path: Path) -> None:
    rng_state = torch.random.get_rng_state()

    first, again, other = (
        (make_bart(tmp_path / str(i), seed=seed) / "model.safetensors").read_bytes()
        for i, seed in enumerate((1, 1, 2))
    )

    assert first == again != other
    assert torch.equal(torch.random.get_rng_state(), rng_state)


def test_hf_cache_is_found_offline(marian_dir: Path, tmp_path: Path) -> None:
    cache, repo_id = tmp_path / "hub", "Helsinki-NLP/opus-mt-en-mul"

    snapshot = make_hf_cache(cache, repo_id, marian_dir)

    repo = cache / "models--Helsinki-NLP--opus-mt-en-mul"
    assert snapshot == repo / "snapshots" / DEFAULT_REVISION
    assert (repo / "refs" / "main").read_text(encoding="utf-8") == DEFAULT_REVISION
    for revision in (None, DEFAULT_REVISION):
        found = huggingface_hub.snapshot_download(
            repo_id, revision=revision, cache_dir=cache, local_files_only=True
        )
        assert Path(found) == snapshot
    config = huggingface_hub.try_to_load_from_cache(repo_id, "config.json", cache_dir=cache)
    assert config == str(snapshot / "config.json")
    link = snapshot / "model.safetensors"
    assert not os.path.isabs(os.readlink(link))
    digest = hashlib.sha256((marian_dir / "model.safetensors").read_bytes()).hexdigest()
    assert link.resolve() == (repo / "blobs" / digest).resolve()
    tokenizer = AutoTokenizer.from_pretrained(repo_id, cache_dir=cache, local_files_only=True)
    assert ">>kat<<" in tokenizer.supported_language_codes
