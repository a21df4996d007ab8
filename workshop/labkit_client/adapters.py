"""Load a trained LoRA adapter onto its base model with PEFT, and ask it questions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from labkit_runner.model_setup import CausalLM


def load_adapter(
    adapter_dir: str | os.PathLike[str], base_model: str | None = None
) -> tuple[CausalLM, PreTrainedTokenizerBase]:
    """Load the base model (Hub id from the offline cache,
    or a local folder) plus the adapter; return (model, tokenizer)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter_dir = Path(adapter_dir)
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    base = base_model or config.get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{adapter_dir}/adapter_config.json names no base model: pass base_model=")
    on_gpu = torch.cuda.is_available()
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model: CausalLM = AutoModelForCausalLM.from_pretrained(
        base,
        dtype=torch.bfloat16 if on_gpu else torch.float32,
        device_map={"": "cuda:0" if on_gpu else "cpu"},
    )
    model = PeftModel.from_pretrained(model, adapter_dir)
    model.eval()
    return model, tokenizer


def ask(
    model: CausalLM,
    tokenizer: PreTrainedTokenizerBase,
    question: str,
    system: str | None = None,
    max_new_tokens: int = 200,
) -> str:
    """Greedy answer of a chat model (with or without an adapter) to one question."""
    import torch

    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    encoded = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").to(next(model.parameters()).device)
    with torch.no_grad():
        output = model.generate(
            **encoded, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    # A 1-D id sequence decodes to one string (transformers annotates decode for batches too).
    return cast(str, tokenizer.decode(output[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True)).strip()
