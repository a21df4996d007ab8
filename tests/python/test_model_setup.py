"""Model loading and LoRA configuration, including the 4-bit QLoRA path on the CPU.

bitsandbytes 0.50 quantizes and runs NF4 layers on the CPU, so the real 4-bit path is loaded
and trained here, not only its configuration.
"""

import pytest
import torch

from conftest import tiny_spec
from labkit_runner.model_setup import (
    ModelSetupError,
    build_lora_config,
    build_quantization_config,
    load_base_model,
    resolve_target_modules,
)


def test_qlora_builds_an_nf4_double_quantized_config_computing_in_bf16():
    config = build_quantization_config(tiny_spec("qlora"))
    assert config is not None and config.load_in_4bit
    assert config.bnb_4bit_quant_type == "nf4"
    assert config.bnb_4bit_use_double_quant
    assert config.bnb_4bit_compute_dtype == torch.bfloat16


def test_lora_on_a_16_bit_base_loads_without_quantization():
    assert build_quantization_config(tiny_spec("lora")) is None


def test_lora_config_targets_a_causal_lm_with_the_specs_rank_alpha_and_dropout():
    config = build_lora_config(tiny_spec("lora", lora={"r": 8, "alpha": 16, "dropout": 0.1}), ["q_proj", "v_proj"])
    assert (config.r, config.lora_alpha, config.lora_dropout) == (8, 16, 0.1)
    assert config.task_type == "CAUSAL_LM"
    assert config.target_modules is not None and not isinstance(config.target_modules, str)
    assert set(config.target_modules) == {"q_proj", "v_proj"}


def test_all_linear_resolves_to_the_architectures_attention_and_mlp_projections(tiny_model_dir):
    model = load_base_model(str(tiny_model_dir), tiny_spec("lora"), "cpu")
    assert resolve_target_modules(model, "all-linear") == [
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    ]


def test_a_target_module_the_model_lacks_is_refused_with_the_names_it_has(tiny_model_dir):
    model = load_base_model(str(tiny_model_dir), tiny_spec("lora"), "cpu")
    with pytest.raises(
        ModelSetupError,
        match=r"c_attn match\(es\) no linear layer of this llama model; its linear layers are down_proj, gate_proj",
    ):
        resolve_target_modules(model, ["q_proj", "c_attn"])


def test_the_4_bit_path_loads_nf4_layers_prepares_them_and_trains_the_adapter_only(tiny_model_dir):
    from peft import get_peft_model

    spec = tiny_spec("qlora")
    model = load_base_model(str(tiny_model_dir), spec, "cpu")
    attention = model.model.layers[0].self_attn.q_proj
    assert type(attention).__name__ == "Linear4bit"
    assert attention.weight.quant_type == "nf4"
    # prepare_model_for_kbit_training: checkpointing on, inputs require grads, frozen base.
    assert model.is_activation_checkpointing
    assert all(not p.requires_grad for p in model.parameters())
    peft_model = get_peft_model(model, build_lora_config(spec, resolve_target_modules(model, "all-linear")))
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    ids = torch.randint(0, model.config.vocab_size, (2, 24))
    loss = peft_model(input_ids=ids, labels=ids).loss
    loss.backward()
    assert torch.isfinite(loss)
    assert any(
        p.grad is not None and p.grad.abs().sum() > 0 for n, p in peft_model.named_parameters() if "lora_B" in n
    )  # B starts at zero, so it moves first
