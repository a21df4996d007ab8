"""Held-out evaluation: perplexity on the answers, and ROUGE-L and BLEU of generated answers.

Metrics are computed with rouge-score and sacrebleu directly: `evaluate.load` fetches metric
scripts from the Hub, which runner Jobs (HF_HUB_OFFLINE=1) cannot reach.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import torch

from .chat_format import answer_of, render_prompt, tokenize_for_training
from .model_setup import CausalLM

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

#: Most held-out prompts generated for ROUGE-L and BLEU, to bound evaluation time (prompts).
MAX_GENERATED_DEFAULT = 16


@torch.no_grad()
def perplexity(
    model: CausalLM,
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[list[dict[str, Any]]],
    max_length: int,
) -> float:
    """exp(mean cross-entropy) over the answer tokens of the conversations, truncated to max_length tokens."""
    model.eval()
    total_nll = 0.0
    total_tokens = 0
    device = next(model.parameters()).device
    for messages in conversations:
        example = tokenize_for_training(tokenizer, messages, max_length)
        ids = torch.tensor([example["input_ids"]], device=device)
        labels = torch.tensor(
            [[t if m else -100 for t, m in zip(example["input_ids"], example["completion_mask"], strict=True)]],
            device=device,
        )
        answer_tokens = int((labels[:, 1:] != -100).sum())
        if answer_tokens == 0:
            continue
        loss = model(input_ids=ids, labels=labels).loss
        total_nll += float(loss) * answer_tokens
        total_tokens += answer_tokens
    return math.exp(total_nll / total_tokens) if total_tokens else float("nan")


@torch.no_grad()
def generate_answers(
    model: CausalLM,
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[list[dict[str, Any]]],
    max_new_tokens: int,
) -> list[str]:
    """Greedy answers to each conversation's prompt, at most max_new_tokens tokens each."""
    model.eval()
    device = next(model.parameters()).device
    answers = []
    for messages in conversations:
        prompt = render_prompt(tokenizer, messages)
        encoded = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").to(device)
        output = model.generate(
            **encoded,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        # A 1-D id sequence decodes to one string (transformers annotates decode for batches too).
        answer = cast(str, tokenizer.decode(output[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True))
        answers.append(answer.strip())
    return answers


def rouge_l(predictions: list[str], references: list[str]) -> float:
    """Mean ROUGE-L F-measure (0..1) of predictions against references."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    scores = [scorer.score(ref, pred)["rougeL"].fmeasure for pred, ref in zip(predictions, references, strict=True)]
    return sum(scores) / len(scores) if scores else 0.0


def bleu(predictions: list[str], references: list[str]) -> float:
    """Corpus BLEU (0..100, sacrebleu) of predictions against one reference each."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(predictions, [references]).score) if predictions else 0.0


def evaluate_model(
    model: CausalLM,
    tokenizer: PreTrainedTokenizerBase,
    test: list[list[dict[str, Any]]],
    spec: dict[str, Any],
    max_generated: int = MAX_GENERATED_DEFAULT,
) -> tuple[dict[str, Any], list[str]]:
    """Compute the RunSpec's metrics on the held-out conversations; return them and the generated answers."""
    metrics_wanted = spec["evaluation"]["metrics"]
    values: dict[str, Any] = {}
    if "perplexity" in metrics_wanted:
        value = perplexity(model, tokenizer, test, spec["training"]["maxSeqLength"])
        if math.isfinite(value):  # an untrained model can overflow exp(); JSON has no infinity
            values["perplexity"] = value
    generated: list[str] = []
    needs_generation = "rougeL" in metrics_wanted or "bleu" in metrics_wanted or spec["evaluation"]["samples"] > 0
    if needs_generation:
        count = min(len(test), max(max_generated, spec["evaluation"]["samples"]))
        generated = generate_answers(model, tokenizer, test[:count], spec["evaluation"]["maxNewTokens"])
        references = [answer_of(messages) for messages in test[:count]]
        if "rougeL" in metrics_wanted:
            values["rougeL"] = rouge_l(generated, references)
        if "bleu" in metrics_wanted:
            values["bleu"] = bleu(generated, references)
    return values, generated
