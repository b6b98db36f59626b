"""A/B of CTranslate2's per-call source-token budget (``ct2.BEAM_TOKEN_BUDGET``): speed of
beam 4 and greedy on 32 sentences with the budget and without it, taking turns in one
process, on the Marian-base-size random-weight model of ``bench/make_models.py``.

Usage: python bench/make_models.py && python bench/token_budget.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

HERE = Path(__file__).parent
TEXT = "The ministers met in Baku on Tuesday to discuss the new railway and trade"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=HERE / "models" / "opus-mt-en-ru-size")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from lingosum.backends import ct2
    from lingosum.backends.base import GenerationOptions

    backend = ct2.CTranslate2Backend(args.model, device="cpu", compute_type="int8")
    texts = [f"{TEXT} ({i})." for i in range(32)]
    for beams in (1, 4):
        options = GenerationOptions(num_beams=beams, max_new_tokens=48, batch_size=32)
        backend.generate(texts[:2], options)
        best = {"budget": float("inf"), "none": float("inf")}
        for _ in range(args.repeat):
            for name, budget in (("budget", ct2.BEAM_TOKEN_BUDGET), ("none", 10**9)):
                saved, ct2.BEAM_TOKEN_BUDGET = ct2.BEAM_TOKEN_BUDGET, budget
                started = time.perf_counter()
                backend.generate(texts, options)
                best[name] = min(best[name], time.perf_counter() - started)
                ct2.BEAM_TOKEN_BUDGET = saved
        ratio = best["none"] / best["budget"]
        print(f"beam {beams}, 32 sentences: with budget / without = {ratio:.2f}x speed")


if __name__ == "__main__":
    main()
