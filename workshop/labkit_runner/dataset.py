"""Instruction datasets: JSONL files with one `{"messages": [...]}` conversation per line.

The checks here are shared by the dataset validator CLI, the runner and the lab client, so a
learner sees the same `file:line: problem` message in the notebook that the runner would fail
with.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROLES = ("system", "user", "assistant")

#: Fewest examples a training run accepts: below this the held-out split is too small to mean anything.
MIN_EXAMPLES_DEFAULT = 10


@dataclass(frozen=True)
class DatasetProblem:
    """One problem in a dataset file; line is 1-based, 0 for the file as a whole."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class DatasetError(ValueError):
    """A dataset that cannot be trained on; `problems` lists every problem found."""

    def __init__(self, problems: list[DatasetProblem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"the dataset has {len(problems)} problem(s):\n{shown}{more}")


def check_messages(messages: object) -> list[str]:
    """Return what is wrong with one conversation (empty when it is fine)."""
    if not isinstance(messages, list):
        return [f'"messages" must be a list of {{"role", "content"}} objects, got {type(messages).__name__}']
    if len(messages) < 2:
        return ['"messages" needs at least a user turn followed by an assistant turn']
    problems: list[str] = []
    expected_role = None
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            problems.append(f"{where} must be an object with role and content")
            continue
        unknown = sorted(set(message) - {"role", "content"})
        if unknown:
            problems.append(f"{where} has unknown key(s) {', '.join(unknown)}: only role and content are allowed")
        role = message.get("role")
        content = message.get("content")
        if role not in ROLES:
            problems.append(f"{where}.role is {role!r}: expected one of {', '.join(ROLES)}")
            continue
        if not isinstance(content, str) or not content.strip():
            problems.append(f"{where}.content must be a non-empty string")
        if role == "system":
            if index != 0:
                problems.append(f"{where} is a system message: only the first message may be one")
            expected_role = "user"
            continue
        if expected_role is None:
            expected_role = "user"
        if role != expected_role:
            problems.append(
                f"{where}.role is {role!r} but a {expected_role} turn was expected: "
                "turns must alternate user, assistant"
            )
        expected_role = "assistant" if role == "user" else "user"
    if isinstance(messages[-1], dict) and messages[-1].get("role") != "assistant":
        problems.append("the last message must be the assistant's answer (that is what the model learns)")
    return problems


def validate_lines(
    lines: list[str], path: str, min_examples: int = MIN_EXAMPLES_DEFAULT
) -> tuple[list[list[dict[str, Any]]], list[DatasetProblem]]:
    """Parse JSONL lines into conversations; return them with every problem found (min_examples default 10)."""
    conversations: list[list[dict[str, Any]]] = []
    problems: list[DatasetProblem] = []
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            if number != len(lines):
                problems.append(DatasetProblem(path, number, "blank line: every line must hold one JSON object"))
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            problems.append(DatasetProblem(path, number, f"not valid JSON ({error.msg} at column {error.colno})"))
            continue
        if not isinstance(record, dict) or "messages" not in record:
            problems.append(
                DatasetProblem(
                    path,
                    number,
                    'expected an object with a "messages" list, e.g. {"messages": [{"role": '
                    '"user", "content": "..."}, {"role": "assistant", "content": "..."}]}',
                )
            )
            continue
        line_problems = check_messages(record["messages"])
        problems.extend(DatasetProblem(path, number, p) for p in line_problems)
        if line_problems:
            continue
        key = json.dumps(record["messages"], sort_keys=True)
        if key in first_seen:
            problems.append(
                DatasetProblem(
                    path, number, f"duplicate of line {first_seen[key]}: remove it, or it leaks into the held-out split"
                )
            )
            continue
        first_seen[key] = number
        conversations.append(record["messages"])
    if not problems and len(conversations) < min_examples:
        problems.append(
            DatasetProblem(path, 0, f"only {len(conversations)} example(s): a run needs at least {min_examples}")
        )
    return conversations, problems


def load_conversations(path: Path, min_examples: int = MIN_EXAMPLES_DEFAULT) -> list[list[dict[str, Any]]]:
    """Read and validate a JSONL dataset; raise DatasetError listing every problem (min_examples default 10)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(
            [DatasetProblem(str(path), 0, f"not UTF-8 text ({error.reason} at byte {error.start})")]
        ) from error
    conversations, problems = validate_lines(text.split("\n"), str(path), min_examples)
    if problems:
        raise DatasetError(problems)
    return conversations


def split_train_test(
    conversations: list[list[dict[str, Any]]], test_fraction: float, seed: int
) -> tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]:
    """Shuffle with `seed` and hold out `test_fraction` (0..1) of the examples, at least one each side."""
    order = list(range(len(conversations)))
    random.Random(seed).shuffle(order)
    test_count = min(len(order) - 1, max(1, round(len(order) * test_fraction)))
    test = [conversations[i] for i in order[:test_count]]
    train = [conversations[i] for i in order[test_count:]]
    return train, test


def sha256_of_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
