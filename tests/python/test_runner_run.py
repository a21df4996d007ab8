"""A whole run of the runner: SFTTrainer with 4-bit QLoRA for a few steps on the tiny model,
evaluation before and after, the adapter saved, uploaded, reloaded and used to generate,
results.json and the termination message written, events posted to a local HTTP server."""

import hashlib
import json
import tarfile

import pytest

from conftest import REPO, assert_valid


def test_the_run_succeeds_and_exits_0(qlora_run):
    assert qlora_run["status"] == 0


def test_results_json_matches_the_run_result_schema_with_metrics_before_and_after(qlora_run):
    results = json.loads((qlora_run["artifacts"] / "results.json").read_text())
    assert_valid(results, "run-result")
    assert results["status"] == "succeeded"
    for stage in ("before", "after"):
        assert set(results["metrics"][stage]) == {"perplexity", "rougeL", "bleu"}
        assert results["metrics"][stage]["perplexity"] > 1
    assert results["grantedVramMiB"] == 8000
    assert results["peakVramMiB"] == 0  # measured on a CPU
    assert [p["step"] for p in results["lossSeries"]] == [1, 2, 3]
    assert len(results["samples"]) == 2
    assert results["samples"][0]["prompt"].endswith("<|im_start|>assistant\n")
    assert results["trainExamples"] + results["evalExamples"] == 159


def test_training_changed_the_model(qlora_run):
    results = json.loads((qlora_run["artifacts"] / "results.json").read_text())
    assert results["metrics"]["after"]["perplexity"] != pytest.approx(
        results["metrics"]["before"]["perplexity"], rel=1e-6
    )


def test_the_termination_message_is_a_run_summary_within_4_kib(qlora_run):
    raw = (qlora_run["out"] / "termination-log").read_bytes()
    assert len(raw) <= 4096
    summary = json.loads(raw)
    assert_valid(summary, "run-summary")
    assert summary["status"] == "succeeded"
    assert summary["resultsUri"].endswith("/artifacts/results.json")
    assert summary["adapterUri"].endswith("/artifacts/adapter.tar.gz")


def test_only_the_adapter_is_uploaded_and_its_sha256_and_size_are_recorded(qlora_run):
    archive = qlora_run["artifacts"] / "adapter.tar.gz"
    results = json.loads((qlora_run["artifacts"] / "results.json").read_text())
    assert results["adapter"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert results["adapter"]["sizeBytes"] == archive.stat().st_size
    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
    assert names == ["README.md", "adapter_config.json", "adapter_model.safetensors"] or names == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    assert archive.stat().st_size < 1_000_000  # adapter weights only, never the base model


def test_events_follow_the_phases_in_order_with_increasing_seq_and_the_run_token(qlora_run):
    events = qlora_run["events"]
    for event in events:
        assert_valid(event, "runner-event")
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert set(qlora_run["auth"]) == {"Bearer secret-run-token"}
    phases = [e["phase"] for e in events if e["type"] == "phase"]
    assert phases == [
        "starting",
        "loading-model",
        "evaluating-before",
        "training",
        "evaluating-after",
        "uploading",
        "succeeded",
    ]
    progress = [e for e in events if e["type"] == "progress"]
    assert [p["step"] for p in progress] == [1, 2, 3] and all(p["totalSteps"] == 3 for p in progress)
    assert {e["stage"] for e in events if e["type"] == "metrics"} == {"before", "after"}
    assert any(e["type"] == "memory" for e in events)


def test_the_adapter_reloads_with_peft_and_generates(qlora_run, tiny_model_dir, tmp_path):
    from labkit_client import ask, load_adapter

    with tarfile.open(qlora_run["artifacts"] / "adapter.tar.gz") as tar:
        tar.extractall(tmp_path / "adapter", filter="data")
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["task_type"] == "CAUSAL_LM" and config["r"] == 4
    model, tokenizer = load_adapter(tmp_path / "adapter", base_model=str(tiny_model_dir))
    assert type(model).__name__ == "PeftModelForCausalLM"
    answer = ask(model, tokenizer, "My pod is Pending: Insufficient cpu.", max_new_tokens=6)
    assert isinstance(answer, str)
    # The trained adapter changes the base model's predictions; with it disabled they are the base's again.
    import torch

    ids = tokenizer("kubectl get pods", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        adapted = model(input_ids=ids).logits
        with model.disable_adapter():
            base = model(input_ids=ids).logits
    assert not torch.allclose(adapted, base)


def test_a_lora_run_through_python_m_labkit_runner_fetches_an_uploaded_dataset_and_verifies_it(
    tiny_model_dir, tmp_path, event_server
):
    import os
    import subprocess
    import sys

    from conftest import DATASET, tiny_spec
    from labkit_runner.dataset import sha256_of_file

    spec = tiny_spec("lora", training={"maxSteps": 2}, evaluation={"metrics": ["perplexity"], "samples": 0})
    spec["dataset"] = {
        "source": "upload",
        "name": "mine.jsonl",
        "uri": DATASET.as_uri(),
        "sha256": sha256_of_file(DATASET),
        "testSplit": 0.04,
    }
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "workshop"),
        "LABKIT_RUN_ID": "run2",
        "LABKIT_RUN_SPEC": json.dumps(spec),
        "LABKIT_ARTIFACTS_URI": (tmp_path / "out").as_uri() + "/",
        "LABKIT_EVENTS_URL": event_server.url,
        "LABKIT_RUN_TOKEN": "tok",
        "LABKIT_MODEL_PATH": str(tiny_model_dir),
        "LABKIT_TERMINATION_LOG": str(tmp_path / "termination-log"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "labkit_runner"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "termination-log").read_text())
    assert summary["status"] == "succeeded" and set(summary["after"]) == {"perplexity"}
    assert (tmp_path / "out" / "adapter.tar.gz").is_file()
    assert event_server.events[-1]["phase"] == "succeeded"
