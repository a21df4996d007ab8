"""Turn conversations into training examples and prompts with the tokenizer's own chat template.

Three mistakes the workshop notebooks teach are guarded against here:
- training text rendered with `add_generation_prompt=True` ends with an empty assistant header,
  so the model learns to open a new turn after every answer; training uses `False`;
- a tokenizer without a pad token cannot batch examples; `ensure_pad_token` sets one;
- examples longer than the context are not cut; `max_length` truncates them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


class ChatTemplateError(ValueError):
    """The tokenizer cannot render conversations (it has no chat template)."""


def ensure_pad_token(tokenizer: PreTrainedTokenizerBase) -> str:
    """Give the tokenizer a pad token if it has none (its EOS token, else its UNK); return the pad token."""
    if tokenizer.pad_token is None:
        fallback = tokenizer.eos_token or tokenizer.unk_token
        if fallback is None:
            raise ChatTemplateError("the tokenizer has neither a pad, an EOS nor an UNK token: add a pad token to it")
        # Padding positions are masked out of the loss and the attention, so reusing EOS is safe.
        tokenizer.pad_token = fallback
    pad_token: str = tokenizer.pad_token
    return pad_token


def _require_template(tokenizer: PreTrainedTokenizerBase) -> None:
    if not getattr(tokenizer, "chat_template", None):
        raise ChatTemplateError(
            "the tokenizer has no chat template: use an instruction-tuned model (…-Instruct / …-Chat) "
            "or set tokenizer.chat_template before formatting conversations"
        )


def render_training_text(tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, Any]]) -> str:
    """The whole conversation as training text: the chat template with add_generation_prompt=False."""
    _require_template(tokenizer)
    # tokenize=False returns the text; transformers annotates every return type at once.
    return cast(str, tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False))


def render_prompt(tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, Any]]) -> str:
    """The conversation up to (not including) its last assistant answer, ending with the assistant header."""
    _require_template(tokenizer)
    context = messages[:-1] if messages and messages[-1]["role"] == "assistant" else messages
    return cast(str, tokenizer.apply_chat_template(context, tokenize=False, add_generation_prompt=True))


def tokenize_for_training(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, Any]], max_length: int
) -> dict[str, Any]:
    """Token ids of one conversation, truncated to max_length tokens, with a completion mask over the answer."""
    text = render_training_text(tokenizer, messages)
    prompt = render_prompt(tokenizer, messages)
    # The template already holds every special token it needs; adding BOS again would double it.
    input_ids = tokenizer(text, add_special_tokens=False, truncation=True, max_length=max_length)["input_ids"]
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    shared = 0
    # strict=False: truncation can leave input_ids shorter than the prompt.
    for a, b in zip(prompt_ids, input_ids, strict=False):
        if a != b:
            break
        shared += 1
    completion_mask = [0] * shared + [1] * (len(input_ids) - shared)
    return {"input_ids": input_ids, "completion_mask": completion_mask}


def answer_of(messages: list[dict[str, Any]]) -> str:
    """The reference answer of a conversation: its last assistant message."""
    return messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else ""
