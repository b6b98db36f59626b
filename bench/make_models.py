"""Build random-weight models with the real architectures of lingosum's defaults.

    python bench/make_models.py [--out bench/models]

opus-mt-en-ru: d_model 512, 6+6 layers, 8 heads, FFN 2048, vocabulary 62518.
distilbart-cnn-12-6: d_model 1024, 12 encoder + 6 decoder layers, 16 heads, FFN 4096,
vocabulary 50265, 1024 positions.

The weights are noise, so the models never end a sequence by themselves (see
tests/model_factory.py): bench/run.py fixes every output length, which keeps the work equal
across backends. Only the tokenizers are small; the matrices have the real sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from model_factory import make_bart, make_marian  # noqa: E402

MARIAN = "opus-mt-en-ru-size"
BART = "distilbart-cnn-12-6-size"


def build(out: Path) -> dict[str, Path]:
    """Build both models under ``out``; return their directories by name."""
    models = {}
    started = time.perf_counter()
    models[MARIAN] = make_marian(
        out / MARIAN, d_model=512, layers=6, heads=8, ffn=2048, vocab_size=62518
    )
    print(f"{MARIAN}: {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    models[BART] = make_bart(
        out / BART,
        d_model=1024,
        encoder_layers=12,
        decoder_layers=6,
        heads=16,
        ffn=4096,
        vocab_size=50265,
        max_position_embeddings=1024,
    )
    print(f"{BART}: {time.perf_counter() - started:.1f} s", flush=True)
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "models")
    args = parser.parse_args()
    for name, path in build(args.out).items():
        size = sum(p.stat().st_size for p in path.iterdir()) / 2**20
        print(f"{name}: {path} ({size:.0f} MiB)")


if __name__ == "__main__":
    main()
