"""Build a tiny causal language model and a tokenizer trained on the workshop dataset.

No weights can be downloaded in the tests, so they use a 2-layer Llama (hidden size 64) built
from a config and a byte-level BPE tokenizer with a ChatML chat template. Like many real
tokenizers (Llama's among them), it ships without a pad token, so the runner's pad-token
handling is exercised for real. The same builder serves the notebooks' CI mode.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def build_tiny_model(dataset_path: Path, out_dir: Path, vocab_size: int = 1024, seed: int = 0) -> Path:
    """Write a tiny Llama model and its tokenizer to `out_dir` and return it; vocab_size in tokens (default 1024)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts: list[str] = []
    with dataset_path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                texts.extend(message["content"] for message in json.loads(line)["messages"])

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=None,
        eos_token="<|im_end|>",
        unk_token=None,
        model_max_length=512,
    )
    tokenizer.chat_template = CHATML_TEMPLATE

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        pad_token_id=None,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


if __name__ == "__main__":
    # python tests/python/tiny_model.py <dataset.jsonl> <out_dir>
    print(build_tiny_model(Path(sys.argv[1]), Path(sys.argv[2])))
