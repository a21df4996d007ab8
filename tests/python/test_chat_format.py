"""Chat-template formatting through apply_chat_template, and the mistakes notebook 01 teaches."""

import pytest

from conftest import DATASET
from labkit_runner.chat_format import (
    ChatTemplateError,
    ensure_pad_token,
    render_prompt,
    render_training_text,
    tokenize_for_training,
)
from labkit_runner.dataset import load_conversations

CONVERSATION = [
    {"role": "system", "content": "You fix Kubernetes problems."},
    {"role": "user", "content": "My pod is Pending: Insufficient cpu."},
    {"role": "assistant", "content": "Lower the CPU request or add nodes."},
]


@pytest.fixture
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)  # fresh: some tests change it


def test_training_text_ends_with_the_answer_and_its_end_of_turn_token(tokenizer):
    text = render_training_text(tokenizer, CONVERSATION)
    assert text.endswith("Lower the CPU request or add nodes.<|im_end|>\n")
    assert text.count("<|im_start|>") == 3


def test_mistake_a_generation_prompt_in_training_data_leaves_an_empty_assistant_turn(tokenizer):
    wrong = tokenizer.apply_chat_template(CONVERSATION, tokenize=False, add_generation_prompt=True)
    right = render_training_text(tokenizer, CONVERSATION)
    assert wrong == right + "<|im_start|>assistant\n"
    # The model would learn to open a new assistant turn after every answer instead of stopping.


def test_the_prompt_stops_at_the_assistant_header_without_the_answer(tokenizer):
    prompt = render_prompt(tokenizer, CONVERSATION)
    assert prompt.endswith("<|im_start|>assistant\n")
    assert "Lower the CPU request" not in prompt


def test_mistake_a_missing_pad_token_makes_batching_fail_until_one_is_set(tokenizer):
    assert tokenizer.pad_token is None  # like Llama's tokenizer, the tiny one ships without one
    texts = [render_training_text(tokenizer, CONVERSATION), "short"]
    with pytest.raises(ValueError, match="pad"):
        tokenizer(texts, padding=True)
    assert ensure_pad_token(tokenizer) == "<|im_end|>"
    batch = tokenizer(texts, padding=True)
    assert len(batch["input_ids"][0]) == len(batch["input_ids"][1])


def test_mistake_no_truncation_lets_examples_grow_past_the_context(tokenizer):
    long_conversation = [
        {
            "role": "user",
            "content": "kubectl describe pod output: " + "Warning FailedScheduling 0/3 nodes are available. " * 80,
        },
        {"role": "assistant", "content": "Add capacity."},
    ]
    untruncated = tokenizer(render_training_text(tokenizer, long_conversation), add_special_tokens=False)["input_ids"]
    assert len(untruncated) > 256
    example = tokenize_for_training(tokenizer, long_conversation, max_length=256)
    assert len(example["input_ids"]) == 256
    assert len(example["completion_mask"]) == 256


def test_the_completion_mask_covers_exactly_the_answer_and_its_end_token(tokenizer):
    example = tokenize_for_training(tokenizer, CONVERSATION, max_length=512)
    answer_ids = [t for t, m in zip(example["input_ids"], example["completion_mask"], strict=True) if m]
    assert tokenizer.decode(answer_ids) == "Lower the CPU request or add nodes.<|im_end|>\n"
    assert example["completion_mask"][0] == 0


def test_no_bos_is_added_twice_because_the_template_owns_special_tokens(tokenizer):
    example = tokenize_for_training(tokenizer, CONVERSATION, max_length=512)
    direct = tokenizer.apply_chat_template(CONVERSATION, tokenize=True, add_generation_prompt=False, return_dict=True)[
        "input_ids"
    ]
    assert example["input_ids"] == direct


def test_every_workshop_example_keeps_some_answer_tokens_at_1024(tokenizer):
    for messages in load_conversations(DATASET):
        example = tokenize_for_training(tokenizer, messages, max_length=1024)
        assert sum(example["completion_mask"]) > 0


def test_a_tokenizer_without_a_chat_template_is_refused_with_the_fix(tokenizer):
    tokenizer.chat_template = None
    with pytest.raises(ChatTemplateError, match="no chat template: use an instruction-tuned model"):
        render_training_text(tokenizer, CONVERSATION)
