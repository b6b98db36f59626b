"""Tiny random-weight seq2seq models, built locally for offline tests and benchmarks.

Each factory writes a directory that ``AutoTokenizer.from_pretrained`` and
``AutoModelForSeq2SeqLM.from_pretrained`` load like a checkout from the Hub: a Marian model in
the Opus-MT layout and a BART model in the distilbart layout. The tokenizers are trained on
``fixtures/corpus.txt`` in well under a second. The weights are random but seeded, so a model
generates garbage, the same garbage every time; a large negative EOS logit bias
(``final_logits_bias``) keeps it from ever ending a sequence, so generation always runs to
``max_new_tokens``, which callers must set. :func:`make_hf_cache` lays such a directory out as
a huggingface_hub cache entry so that loading by repo id works with ``local_files_only=True``.

Heavy libraries are imported inside the factories so that importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import (
        BartForConditionalGeneration,
        GenerationConfig,
        MarianMTModel,
    )

CORPUS_PATH = Path(__file__).parent / "fixtures" / "corpus.txt"
DEFAULT_REVISION = "0123456789abcdef0123456789abcdef01234567"

# Byte-level BPE starts from 256 byte symbols; 1,000 leaves room for a few hundred merges.
_BPE_VOCAB_SIZE = 1000
# Real BART vocabularies start with these ids and end with <mask>.
_BART_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
# Mirrors the length limit of distilbart-cnn-12-6's generation config.
_BART_MAX_SUMMARY_LENGTH = 142
# Added to the EOS logit so that generation always runs to max_new_tokens: a random BART with
# tied embeddings otherwise echoes its decoder start token, EOS, and stops at once.
_EOS_LOGIT_BIAS = -1e4


def make_marian(
    path: Path,
    *,
    target_tokens: Sequence[str] = (),
    d_model: int = 32,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 64,
    vocab_size: int | None = None,
    max_length: int = 512,
    max_position_embeddings: int = 512,
    spm_vocab_size: int = 400,
    seed: int = 0,
) -> Path:
    """Build a MarianMTModel and MarianTokenizer laid out like an Opus-MT checkout.

    The directory holds ``source.spm``, ``target.spm`` (one unigram SentencePiece model trained
    on the fixture corpus), ``vocab.json``, ``tokenizer_config.json``, ``config.json``,
    ``generation_config.json`` and ``model.safetensors``. As in converted Opus-MT models, the
    vocabulary starts with ``</s>`` (0) and ``<unk>`` (1), ends with ``<pad>``, and the decoder
    starts from ``<pad>``. Target-language tokens are plain ``vocab.json`` entries, as in real
    multi-target models; MarianTokenizer keeps one as a single token when it opens the text.

    Args:
        path: Directory to create or overwrite.
        target_tokens: Language tokens such as ``">>kat<<"``, each of the form ``>>xxx<<``.
        d_model: Hidden size.
        layers: Number of encoder layers and of decoder layers.
        heads: Attention heads in each layer.
        ffn: Feed-forward size.
        vocab_size: Size of the embedding matrix. When larger than the SentencePiece
            vocabulary, ``vocab.json`` is padded with unreachable ``<dummy…>`` entries before
            ``<pad>`` (62518 gives an opus-mt-en-ru-sized model). None keeps the natural size.
        max_length: Tokenizer ``model_max_length`` and generation ``max_length``.
        max_position_embeddings: Length of the sinusoidal position table.
        spm_vocab_size: SentencePiece vocabulary size to train.
        seed: Seed for the random weights.

    Returns:
        ``path``.

    Raises:
        ValueError: If a target token is not of the form ``>>xxx<<``, or ``vocab_size`` is
            smaller than the tokenizer's vocabulary.
    """
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    malformed = [token for token in target_tokens if not _is_language_token(token)]
    if malformed:
        raise ValueError(f"target tokens must look like '>>xxx<<': {malformed}")
    path.mkdir(parents=True, exist_ok=True)
    spm_model = _sentencepiece_model(spm_vocab_size)
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(spm_model)
    head = ["</s>", "<unk>", *target_tokens, *_sentencepiece_pieces(spm_model)]
    vocab = _number_tokens(head, ["<pad>"], vocab_size)
    (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(path / "source.spm"),
        str(path / "target.spm"),
        str(path / "vocab.json"),
        model_max_length=max_length,
    )
    tokenizer.save_pretrained(path)

    eos, pad = vocab["</s>"], vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=max_position_embeddings,
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        forced_eos_token_id=None,
    )
    generation = GenerationConfig(
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        bad_words_ids=[[pad]],
        max_length=max_length,
        num_beams=1,
    )
    _save_random_model(lambda: MarianMTModel(config), generation, path, seed)
    return path


def make_bart(
    path: Path,
    *,
    d_model: int = 32,
    encoder_layers: int = 1,
    decoder_layers: int = 1,
    heads: int = 2,
    ffn: int = 64,
    vocab_size: int | None = None,
    max_position_embeddings: int = 128,
    seed: int = 0,
) -> Path:
    """Build a BartForConditionalGeneration and a byte-level BPE tokenizer.

    The directory holds ``vocab.json``, ``merges.txt``, ``tokenizer.json``,
    ``tokenizer_config.json``, ``config.json``, ``generation_config.json`` and
    ``model.safetensors``. Token ids follow BART: ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2,
    ``<unk>`` 3 and ``<mask>`` last; the decoder starts from ``</s>``. The tokenizer's
    ``model_max_length`` equals ``max_position_embeddings``, so code that reads the input limit
    from the tokenizer or the config sees the same, small, limit.

    Args:
        path: Directory to create or overwrite.
        d_model: Hidden size.
        encoder_layers: Number of encoder layers.
        decoder_layers: Number of decoder layers.
        heads: Attention heads in each layer.
        ffn: Feed-forward size.
        vocab_size: Size of the embedding matrix. When larger than the BPE vocabulary,
            ``vocab.json`` is padded with unreachable ``<dummy…>`` entries before ``<mask>``
            (50265 gives a distilbart-cnn-12-6-sized model). None keeps the natural size.
        max_position_embeddings: Longest input the model accepts, in tokens.
        seed: Seed for the random weights.

    Returns:
        ``path``.

    Raises:
        ValueError: If ``vocab_size`` is smaller than the tokenizer's vocabulary.
    """
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        BartTokenizer,
        GenerationConfig,
    )

    path.mkdir(parents=True, exist_ok=True)
    bpe_vocab, merges = _byte_level_bpe(_BPE_VOCAB_SIZE)
    vocab = _number_tokens(bpe_vocab, ["<mask>"], vocab_size)
    tokenizer = BartTokenizer(
        vocab=vocab,
        merges=list(merges),  # type: ignore[arg-type]  # tokenizers takes pairs; the hint says str
        model_max_length=max_position_embeddings,
    )
    tokenizer.save_pretrained(path)
    # save_pretrained writes only tokenizer.json; the classic files let any loader read it.
    tokenizer.backend_tokenizer.model.save(str(path))

    bos, pad, eos = vocab["<s>"], vocab["<pad>"], vocab["</s>"]
    config = BartConfig(
        vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=encoder_layers,
        decoder_layers=decoder_layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
        decoder_start_token_id=eos,
        forced_eos_token_id=None,
    )
    generation = GenerationConfig(
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
        decoder_start_token_id=eos,
        max_length=min(_BART_MAX_SUMMARY_LENGTH, max_position_embeddings),
        num_beams=1,
    )
    _save_random_model(lambda: BartForConditionalGeneration(config), generation, path, seed)
    return path


# What the Marian toolkit writes into a post-norm transformer's .npz (``special:model.yml``):
# the options CTranslate2's MarianConverter reads, with OPUS-MT's values.
_MARIAN_OPTIONS = {
    "type": "transformer",
    "tied-embeddings-all": True,
    "transformer-ffn-activation": "swish",
    "transformer-preprocess": "",
    "transformer-postprocess": "dan",
    "transformer-postprocess-emb": "d",
    "transformer-decoder-autoreg": "self-attention",
    "transformer-no-projection": False,
    "transformer-guided-alignment-layer": "last",
}
_MARIAN_DECODER_YML = """models:
  - {model}
vocabs:
  - {vocab}
  - {vocab}
beam-size: 6
normalize: 0.6
word-penalty: 0
mini-batch: 1
maxi-batch: 1
maxi-batch-sort: src
relative-paths: true
"""


def make_marian_release(
    path: Path,
    *,
    target_tokens: Sequence[str] = (">>kat<<", ">>eng<<"),
    d_model: int = 32,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 64,
    vocab_size: int | None = None,
    spm_vocab_size: int = 400,
    seed: int = 0,
) -> Path:
    """Build a native Marian release as OPUS-MT publishes them, and zip it.

    ``path`` receives the files of a Tatoeba-MT-models archive: the model
    (``opus.spm-spm.transformer.model1.npz.best-perplexity.npz``, Marian's parameter names and
    its options in ``special:model.yml``), ``decoder.yml``, the shared vocabulary
    (``opus.spm-spm.vocab.yml``: ``</s>`` 0, ``<unk>`` 1, the target tokens, then the
    SentencePiece pieces), ``source.spm``, ``target.spm``, ``README.md`` and ``LICENSE``;
    ``path`` + ``.zip`` holds them at the archive's root. As in :func:`make_marian`, the weights
    are seeded noise and a large negative EOS bias keeps generation running to its cap.

    Args:
        path: Directory to create or overwrite; the archive is written next to it.
        target_tokens: Language tokens such as ``">>kat<<"``, each of the form ``>>xxx<<``.
        d_model: Hidden size.
        layers: Number of encoder layers and of decoder layers.
        heads: Attention heads in each layer.
        ffn: Feed-forward size.
        vocab_size: Size of the vocabulary and embeddings; padded with ``<dummy…>`` entries
            (58101 or 62518 give Marian-base sizes). None keeps the natural size.
        spm_vocab_size: SentencePiece vocabulary size to train.
        seed: Seed for the random weights.

    Returns:
        The ``.zip`` archive.

    Raises:
        ValueError: a target token is not of the form ``>>xxx<<``, or ``vocab_size`` is too
            small.
    """
    import zipfile

    malformed = [token for token in target_tokens if not _is_language_token(token)]
    if malformed:
        raise ValueError(f"target tokens must look like '>>xxx<<': {malformed}")
    path.mkdir(parents=True, exist_ok=True)
    spm_model = _sentencepiece_model(spm_vocab_size)
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(spm_model)
    head = ["</s>", "<unk>", *target_tokens, *_sentencepiece_pieces(spm_model)]
    vocab = _number_tokens(head, [], vocab_size)
    model_name = "opus.spm-spm.transformer.model1.npz.best-perplexity.npz"
    vocab_name = "opus.spm-spm.vocab.yml"
    lines = (f"{json.dumps(token, ensure_ascii=False)}: {i}\n" for token, i in vocab.items())
    (path / vocab_name).write_text("".join(lines), encoding="utf-8")
    shape = {"d_model": d_model, "layers": layers, "heads": heads, "ffn": ffn}
    _save_marian_npz(path / model_name, len(vocab), vocab["</s>"], shape, seed)
    decoder = _MARIAN_DECODER_YML.format(model=model_name, vocab=vocab_name)
    (path / "decoder.yml").write_text(decoder, encoding="utf-8")
    (path / "README.md").write_text(
        "# tiny test release\n\n* source language(s): eng kat\n"
        f"* target language(s): {' '.join(t[2:-2] for t in target_tokens)}\n",
        encoding="utf-8",
    )
    (path / "LICENSE").write_text("CC-BY 4.0 (test fixture)\n", encoding="utf-8")
    archive = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in sorted(p for p in path.iterdir() if p.is_file()):
            bundle.write(file, file.name)
    return archive


def _save_marian_npz(
    file: Path, vocab_size: int, eos: int, shape: dict[str, int], seed: int
) -> None:
    """Random Marian weights under Marian's parameter names (``encoder_l1_self_Wq``...)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    dim, ffn = shape["d_model"], shape["ffn"]

    def noise(*size: int) -> np.ndarray:
        return (rng.standard_normal(size) * 0.1).astype(np.float32)

    def zeros(size: int) -> np.ndarray:
        return np.zeros((1, size), dtype=np.float32)

    params = {"Wemb": noise(vocab_size, dim)}
    for scope in ("encoder", "decoder"):
        for layer in range(1, shape["layers"] + 1):
            prefix = f"{scope}_l{layer}"
            for block in ("self", "context") if scope == "decoder" else ("self",):
                for part in "qkvo":
                    params[f"{prefix}_{block}_W{part}"] = noise(dim, dim)
                    params[f"{prefix}_{block}_b{part}"] = zeros(dim)
                params[f"{prefix}_{block}_Wo_ln_scale"] = zeros(dim) + 1
                params[f"{prefix}_{block}_Wo_ln_bias"] = zeros(dim)
            params[f"{prefix}_ffn_W1"], params[f"{prefix}_ffn_b1"] = noise(dim, ffn), zeros(ffn)
            params[f"{prefix}_ffn_W2"], params[f"{prefix}_ffn_b2"] = noise(ffn, dim), zeros(dim)
            params[f"{prefix}_ffn_ffn_ln_scale"] = zeros(dim) + 1
            params[f"{prefix}_ffn_ffn_ln_bias"] = zeros(dim)
    bias = zeros(vocab_size)
    bias[0, eos] = _EOS_LOGIT_BIAS
    params["decoder_ff_logit_out_b"] = bias
    options = {
        **_MARIAN_OPTIONS,
        "dim-emb": dim,
        "dim-vocabs": [vocab_size, vocab_size],
        "enc-depth": shape["layers"],
        "dec-depth": shape["layers"],
        "transformer-heads": shape["heads"],
        "transformer-dim-ffn": ffn,
    }
    text = "".join(f"{key}: {json.dumps(value)}\n" for key, value in options.items())
    params["special:model.yml"] = np.frombuffer((text + "\0").encode(), dtype=np.int8)
    with file.open("wb") as stream:
        np.savez(stream, **params)


def make_hf_cache(
    cache_dir: Path, repo_id: str, model_dir: Path, revision: str = DEFAULT_REVISION
) -> Path:
    """Lay out a model directory as a huggingface_hub cache entry for ``repo_id``.

    Files go to ``models--{org}--{name}/blobs/<sha256>``; ``snapshots/<revision>/<file>`` are
    relative symlinks to them, and ``refs/main`` names ``revision``, as huggingface_hub writes
    them. ``snapshot_download``, ``hf_hub_download``, ``try_to_load_from_cache`` and
    ``from_pretrained(repo_id, cache_dir=cache_dir)`` then find the files with
    ``local_files_only=True``. Blobs are copies, so later edits to ``model_dir`` cannot corrupt
    the content-addressed cache.

    Args:
        cache_dir: The hub cache directory (what ``HF_HUB_CACHE`` or ``cache_dir=`` points to).
        repo_id: Model repository id such as ``"Helsinki-NLP/opus-mt-en-ru"``.
        model_dir: Directory whose files become the snapshot, e.g. from :func:`make_marian`.
        revision: 40-character commit hash of the snapshot; ``refs/main`` points to it.

    Returns:
        The snapshot directory, ``.../snapshots/<revision>``.
    """
    repo_dir = cache_dir / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo_dir / "snapshots" / revision
    for source in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        blob = repo_dir / "blobs" / _sha256(source)
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, blob)
        link = snapshot / source.relative_to(model_dir)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision, encoding="utf-8")
    return snapshot


def corpus_lines() -> list[str]:
    """Return the non-empty lines of the fixture corpus."""
    return list(_corpus_lines())


@lru_cache(maxsize=1)
def _corpus_lines() -> tuple[str, ...]:
    text = CORPUS_PATH.read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line.strip())


def _is_language_token(token: str) -> bool:
    return token.startswith(">>") and token.endswith("<<") and len(token) > 4


def _number_tokens(
    head: Sequence[str], tail: Sequence[str], vocab_size: int | None
) -> dict[str, int]:
    """Number ``head``, then filler tokens up to ``vocab_size``, then ``tail``."""
    tokens = list(dict.fromkeys(head))
    fillers = 0 if vocab_size is None else vocab_size - len(tokens) - len(tail)
    if fillers < 0:
        raise ValueError(
            f"vocab_size {vocab_size} is smaller than the tokenizer's "
            f"{len(tokens) + len(tail)} tokens"
        )
    tokens += [f"<dummy{i}>" for i in range(fillers)]
    tokens += tail
    return {token: index for index, token in enumerate(tokens)}


@lru_cache(maxsize=4)
def _sentencepiece_model(vocab_size: int) -> bytes:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_corpus_lines()),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _sentencepiece_pieces(model: bytes) -> list[str]:
    """The model's ordinary pieces: those a Marian vocab.json lists after </s> and <unk>."""
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]


@lru_cache(maxsize=1)
def _byte_level_bpe(vocab_size: int) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Train byte-level BPE; return its tokens in id order and its merges."""
    from tokenizers import ByteLevelBPETokenizer

    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(
        _corpus_lines(),
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(_BART_SPECIAL_TOKENS),
        show_progress=False,
    )
    model = json.loads(trainer.to_str())["model"]
    tokens = tuple(sorted(model["vocab"], key=model["vocab"].__getitem__))
    return tokens, tuple((left, right) for left, right in model["merges"])


def _save_random_model(
    build: Callable[[], BartForConditionalGeneration | MarianMTModel],
    generation: GenerationConfig,
    path: Path,
    seed: int,
) -> None:
    """Build the model under ``seed`` without touching the caller's RNG state, and save it."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build()
    with torch.no_grad():
        model.final_logits_bias[..., generation.eos_token_id] = _EOS_LOGIT_BIAS
    model.generation_config = generation
    model.save_pretrained(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
