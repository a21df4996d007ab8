"""The workshop dataset and the validator that reports `file:line: problem`."""

import json
import re
import subprocess
import sys
from collections import Counter

from conftest import DATASET, REPO
from labkit_runner.dataset import load_conversations, split_train_test, validate_lines

VALIDATOR = REPO / "workshop" / "datasets" / "validate_dataset.py"


def test_the_workshop_dataset_is_valid_and_holds_at_least_150_distinct_examples():
    conversations = load_conversations(DATASET)
    assert len(conversations) >= 150
    prompts = [c[-2]["content"] for c in conversations]
    assert len(set(prompts)) == len(prompts)


def test_the_workshop_dataset_covers_many_kinds_of_kubernetes_trouble():
    text = DATASET.read_text().lower()
    topics = [
        "crashloopbackoff",
        "imagepullbackoff",
        "oomkilled",
        "pending",
        "networkpolicy",
        "pvc",
        "ingress",
        "rbac",
        "dns",
        "hpa",
        "cronjob",
        "nvidia.com/gpu",
        "helm",
        "drain",
        "evicted",
        "x509",
    ]
    missing = [t for t in topics if t not in text]
    assert missing == []
    # Answers give concrete commands, not just prose.
    answers = [c[-1]["content"] for c in load_conversations(DATASET)]
    with_kubectl = sum("kubectl" in a for a in answers)
    assert with_kubectl / len(answers) > 0.6


def test_the_dataset_has_no_answer_repeated_across_examples():
    answers = Counter(c[-1]["content"] for c in load_conversations(DATASET))
    assert answers.most_common(1)[0][1] == 1


def test_reports_each_problem_with_its_file_and_line():
    lines = [
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}),
        "{not json",
        json.dumps({"text": "no messages"}),
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "again"}]}),
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "   "}]}),
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "bot", "content": "a"}]}),
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}),
        "",
    ]
    _, problems = validate_lines(lines, "data.jsonl")
    text = [str(p) for p in problems]
    assert text == [
        "data.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        'data.jsonl:3: expected an object with a "messages" list, e.g. {"messages": '
        '[{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}',
        "data.jsonl:4: messages[1].role is 'user' but a assistant turn was expected: "
        "turns must alternate user, assistant",
        "data.jsonl:4: the last message must be the assistant's answer (that is what the model learns)",
        "data.jsonl:5: messages[1].content must be a non-empty string",
        "data.jsonl:6: messages[1].role is 'bot': expected one of system, user, assistant",
        "data.jsonl:6: the last message must be the assistant's answer (that is what the model learns)",
        "data.jsonl:7: duplicate of line 1: remove it, or it leaks into the held-out split",
    ]


def test_refuses_a_file_too_small_to_hold_out_an_evaluation_split():
    line = json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
    _, problems = validate_lines([line], "tiny.jsonl", min_examples=10)
    assert [str(p) for p in problems] == ["tiny.jsonl: only 1 example(s): a run needs at least 10"]


def test_a_system_message_is_allowed_only_first():
    messages = [
        {"role": "user", "content": "q"},
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "a"},
    ]
    _, problems = validate_lines([json.dumps({"messages": messages})], "f.jsonl", min_examples=1)
    assert "messages[1] is a system message: only the first message may be one" in str(problems[0])


def test_the_held_out_split_is_deterministic_and_disjoint():
    conversations = load_conversations(DATASET)
    train, test = split_train_test(conversations, 0.1, seed=42)
    again_train, again_test = split_train_test(conversations, 0.1, seed=42)
    assert (train, test) == (again_train, again_test)
    assert len(test) == 16 and len(train) + len(test) == len(conversations)
    assert not {json.dumps(c) for c in test} & {json.dumps(c) for c in train}


def test_the_validator_cli_prints_file_line_problems_and_exits_1(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    result = subprocess.run([sys.executable, str(VALIDATOR), str(bad)], capture_output=True, text=True)
    assert result.returncode == 1
    assert re.fullmatch(
        rf"{re.escape(str(bad))}:1: \"messages\" needs at least a user turn followed by an assistant turn\n",
        result.stdout,
    )


def test_the_validator_cli_accepts_the_workshop_dataset_and_exits_0():
    result = subprocess.run([sys.executable, str(VALIDATOR), str(DATASET)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok, 159 examples" in result.stdout or re.search(r"ok, \d{3} examples", result.stdout)


def test_the_validator_cli_exits_2_for_a_missing_file(tmp_path):
    result = subprocess.run(
        [sys.executable, str(VALIDATOR), str(tmp_path / "nope.jsonl")], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "no such file" in result.stderr
