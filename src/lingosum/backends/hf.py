"""The reference backend: transformers ``AutoModelForSeq2SeqLM.generate`` on PyTorch."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lingosum.backends.base import Backend, GenerationOptions, language_tokens_of
from lingosum.errors import ModelCorruptError, first_line

NO_LIMIT = 100_000


class TransformersBackend(Backend):
    """A Hugging Face seq2seq model (Marian, BART, ...) run by transformers."""

    name = "transformers"

    def __init__(self, path: Path, device: str = "cpu") -> None:
        import torch
        import transformers
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        try:
            with warnings.catch_warnings():
                # MarianTokenizer asks for sacremoses; Opus-MT models work without it.
                warnings.filterwarnings("ignore", message=".*sacremoses")
                self.tokenizer: Any = AutoTokenizer.from_pretrained(path)
            model: Any = AutoModelForSeq2SeqLM.from_pretrained(path)
        except PermissionError as error:
            raise ModelCorruptError(
                f"cannot read the model in {path}: permission denied ({error.filename or path})"
            ) from None
        # transformers, tokenizers and torch fail on broken files in many ways (a config
        # that is a JSON list: AttributeError; junk tokenizer.json: a bare Exception; weights
        # torch will not unpickle: UnpicklingError); each means the files cannot be used.
        except Exception as error:
            raise ModelCorruptError(
                f"cannot load the model in {path}: {type(error).__name__}: {first_line(error)}"
            ) from None
        self.model = model.eval().to(device)
        self.device = device
        self._torch = torch
        self.max_input_tokens = input_limit(self.tokenizer, model.config)
        self.language_tokens = language_tokens_of(list(self.tokenizer.get_vocab()))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=True, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def _generate_batch(self, texts: Sequence[str], options: GenerationOptions) -> list[list[str]]:
        encoded = self.tokenizer(list(texts), return_tensors="pt", padding=True, verbose=False)
        encoded = {name: tensor.to(self.device) for name, tensor in encoded.items()}
        cap = options.cap_for(int(encoded["input_ids"].shape[1]))
        count = max(1, options.num_hypotheses)
        beams = max(options.num_beams, count)
        with self._torch.inference_mode():
            output = self.model.generate(
                **encoded,
                num_beams=beams,
                num_return_sequences=count,
                max_new_tokens=cap,
                min_new_tokens=min(options.min_new_tokens, cap - 1),
                min_length=0,  # the model config's own min_length must not override ours
                length_penalty=options.length_penalty,
                no_repeat_ngram_size=options.no_repeat_ngram_size,
                early_stopping=beams > 1,
                do_sample=False,
            )
        decoded = list(self.tokenizer.batch_decode(output, skip_special_tokens=True))
        return [decoded[i : i + count] for i in range(0, len(decoded), count)]


def input_limit(tokenizer: Any, config: Any) -> int:
    """The longest input the model accepts: the tokenizer's limit and the position table."""
    limits = [
        int(value)
        for value in (
            getattr(tokenizer, "model_max_length", None),
            getattr(config, "max_position_embeddings", None),
        )
        if isinstance(value, int) and 0 < value < NO_LIMIT
    ]
    return min(limits) if limits else 512
