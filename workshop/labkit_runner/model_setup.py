"""Load the base model (16-bit for LoRA, 4-bit NF4 for QLoRA) and build its LoRA configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import torch

if TYPE_CHECKING:
    from peft import LoraConfig
    from transformers import BitsAndBytesConfig, PreTrainedTokenizerBase

#: A causal LM as transformers (AutoModelForCausalLM) or PEFT (PeftModel) returns it. Any, because their
#: annotations disagree: PreTrainedModel types `generate` as a submodule, PeftModel reaches it via __getattr__.
CausalLM: TypeAlias = Any

#: LoRA targets per architecture (`config.model_type`): every linear layer of the attention and
#: MLP blocks, as the QLoRA paper recommends, named explicitly so the run reports what it wrapped.
TARGET_MODULES_BY_ARCHITECTURE: dict[str, list[str]] = {
    **{
        model_type: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        for model_type in (
            "llama",
            "mistral",
            "mixtral",
            "qwen2",
            "qwen3",
            "gemma",
            "gemma2",
            "gemma3_text",
            "smollm3",
            "olmo2",
        )
    },
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
    "gpt2": ["c_attn", "c_proj", "c_fc"],
    "gpt_neox": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    "falcon": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
}

TORCH_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


class ModelSetupError(ValueError):
    """The RunSpec asks for something this model cannot do (e.g. a target module it lacks)."""


def compute_dtype(spec: dict[str, Any]) -> torch.dtype:
    """The torch dtype named by quantization.computeDtype (default bfloat16)."""
    return TORCH_DTYPES[spec["quantization"]["computeDtype"]]


def build_quantization_config(spec: dict[str, Any]) -> BitsAndBytesConfig | None:
    """A BitsAndBytesConfig for 4-bit (NF4/FP4, double quantization, compute dtype) or 8-bit bases; None for 16-bit."""
    from transformers import BitsAndBytesConfig

    quantization = spec["quantization"]
    if quantization["bits"] == 4:
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=quantization["quantType"],
            bnb_4bit_use_double_quant=quantization["doubleQuant"],
            bnb_4bit_compute_dtype=compute_dtype(spec),
        )
    if quantization["bits"] == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    return None


def linear_module_names(model: torch.nn.Module) -> list[str]:
    """Short names of the model's linear layers (also 4-bit and 8-bit ones), without the output head."""
    names = set()
    for full_name, module in model.named_modules():
        kind = type(module).__name__
        if kind in ("Linear", "Linear4bit", "Linear8bitLt", "Conv1D") and not full_name.endswith("lm_head"):
            names.add(full_name.rsplit(".", 1)[-1])
    return sorted(names)


def resolve_target_modules(model: CausalLM, requested: str | list[str]) -> list[str] | str:
    """The LoRA targets: the architecture's list for `all-linear` (PEFT's `all-linear` when unknown),
    or the names given, checked."""
    available = linear_module_names(model)
    if requested == "all-linear":
        known = TARGET_MODULES_BY_ARCHITECTURE.get(model.config.model_type)
        if known and set(known) <= set(available):
            return list(known)
        return "all-linear"
    missing = [name for name in requested if name not in available]
    if missing:
        raise ModelSetupError(
            f"lora.targetModules: {', '.join(missing)} match(es) no "
            f"linear layer of this {model.config.model_type} model; "
            f"its linear layers are {', '.join(available)} (or use all-linear)"
        )
    return list(requested)


def build_lora_config(spec: dict[str, Any], target_modules: list[str] | str) -> LoraConfig:
    """PEFT LoraConfig for a causal LM from the RunSpec's lora section (r, alpha, dropout)."""
    from peft import LoraConfig

    lora = spec["lora"]
    return LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )


def load_base_model(model_path: str, spec: dict[str, Any], device: str) -> CausalLM:
    """Load the frozen base model on `device`; quantized bases are prepared for k-bit training."""
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    quantization_config = build_quantization_config(spec)
    model = AutoModelForCausalLM.from_pretrained(
        model_path,
        dtype=compute_dtype(spec),
        quantization_config=quantization_config,
        device_map={"": device},
    )
    model.config.use_cache = False  # the KV cache is useless in training and conflicts with checkpointing
    if quantization_config is not None:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=spec["training"]["gradientCheckpointing"]
        )
    return model


def load_tokenizer(model_path: str) -> PreTrainedTokenizerBase:
    """The base model's tokenizer, padded on the right for training."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    tokenizer.padding_side = "right"
    return tokenizer
