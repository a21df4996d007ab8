"""Failures a learner can act on: CUDA out of memory becomes the quota message, a damaged
upload a dataset error; lost events never fail a run."""

import json
from dataclasses import replace

import pytest
import torch

from conftest import REPO, EventServer, assert_valid, tiny_spec
from labkit_runner.events import EventSender
from labkit_runner.failures import describe_failure, is_cuda_oom
from labkit_runner.runner import RunnerSettings, run

CUDA_OOM_TEXT = (
    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 7.81 GiB of which 1.10 GiB is free."
)


def test_recognises_cuda_out_of_memory_in_both_of_its_forms():
    assert is_cuda_oom(torch.OutOfMemoryError(CUDA_OOM_TEXT))
    assert is_cuda_oom(RuntimeError(CUDA_OOM_TEXT))
    assert not is_cuda_oom(RuntimeError("shape mismatch"))


def test_an_oom_becomes_the_quota_message_with_changes_that_would_fit():
    spec = tiny_spec(
        "lora",
        training={
            "gradientCheckpointing": False,
            "microBatchSize": 8,
            "gradientAccumulationSteps": 2,
            "maxSeqLength": 1024,
        },
    )
    kind, reason = describe_failure(torch.OutOfMemoryError(CUDA_OOM_TEXT), 8000, spec)
    assert kind == "oom"
    assert reason.startswith("the run exceeded its VRAM limit of 8000 MiB: ")
    assert "turn on gradient checkpointing (training.gradientCheckpointing: true)" in reason
    assert "training.microBatchSize: 4, and gradientAccumulationSteps: 4 to keep the effective batch" in reason
    assert "training.maxSeqLength: 512" in reason
    assert "method qlora" in reason


def _settings(tmp_path, tiny_model_dir, spec, events_url=None):
    return RunnerSettings(
        run_id="oomrun",
        spec_text=json.dumps(spec),
        artifacts_uri=(tmp_path / "artifacts").as_uri() + "/",
        events_url=events_url,
        token="t",
        granted_vram_mib=6144,
        model_path=str(tiny_model_dir),
        datasets_dir=str(REPO / "workshop" / "datasets"),
        termination_log=str(tmp_path / "termination-log"),
    )


def test_a_run_that_runs_out_of_vram_in_training_fails_with_the_quota_message(
    tmp_path, tiny_model_dir, monkeypatch, event_server
):
    from trl import SFTTrainer

    def out_of_memory(self, *args, **kwargs):
        raise torch.OutOfMemoryError(CUDA_OOM_TEXT)

    monkeypatch.setattr(SFTTrainer, "train", out_of_memory)
    spec = tiny_spec("qlora", evaluation={"metrics": ["perplexity"], "samples": 0})
    status = run(_settings(tmp_path, tiny_model_dir, spec, event_server.url))
    assert status == 1
    summary = json.loads((tmp_path / "termination-log").read_text())
    assert_valid(summary, "run-summary")
    assert summary["failureKind"] == "oom"
    assert summary["reason"].startswith("the run exceeded its VRAM limit of 6144 MiB: ")
    results = json.loads((tmp_path / "artifacts" / "results.json").read_text())
    assert_valid(results, "run-result")
    assert results["status"] == "failed" and "perplexity" in results["metrics"]["before"]
    assert "adapter" not in results
    last = event_server.events[-1]
    assert last["phase"] == "failed" and "exceeded its VRAM limit" in last["message"]


def test_an_upload_whose_sha256_differs_fails_as_a_dataset_problem_before_loading_the_model(tmp_path, tiny_model_dir):
    data = tmp_path / "mine.jsonl"
    data.write_text((REPO / "workshop" / "datasets" / "k8s-troubleshooting.jsonl").read_text())
    spec = tiny_spec("lora")
    spec["dataset"] = {
        "source": "upload",
        "name": "mine.jsonl",
        "uri": data.as_uri(),
        "sha256": "0" * 64,
        "testSplit": 0.1,
    }
    assert run(_settings(tmp_path, tiny_model_dir, spec)) == 1
    summary = json.loads((tmp_path / "termination-log").read_text())
    assert summary["failureKind"] == "dataset"
    assert "the upload was changed or damaged" in summary["reason"]


def test_an_unknown_builtin_dataset_is_a_config_failure_that_names_the_ones_that_exist(tmp_path, tiny_model_dir):
    spec = tiny_spec("lora", dataset={"name": "k8s-troubleshootin"})
    assert run(_settings(tmp_path, tiny_model_dir, spec)) == 1
    summary = json.loads((tmp_path / "termination-log").read_text())
    assert summary["failureKind"] == "config"
    assert "dataset.name: 'k8s-troubleshootin' is not one of ['k8s-troubleshooting']" in summary["reason"]


def test_a_built_in_dataset_missing_from_the_image_names_the_ones_it_has(tmp_path, tiny_model_dir):
    empty = tmp_path / "datasets"
    empty.mkdir()
    settings = _settings(tmp_path, tiny_model_dir, tiny_spec("lora"))
    assert run(replace(settings, datasets_dir=str(empty))) == 1
    summary = json.loads((tmp_path / "termination-log").read_text())
    assert summary["failureKind"] == "dataset"
    assert "no built-in dataset named 'k8s-troubleshooting'; built-in datasets: none" in summary["reason"]


def test_an_invalid_run_spec_is_a_config_failure_that_names_the_field(tmp_path, tiny_model_dir):
    spec = tiny_spec("lora", training={"microBatchSize": 0})
    assert run(_settings(tmp_path, tiny_model_dir, spec)) == 1
    summary = json.loads((tmp_path / "termination-log").read_text())
    assert summary["failureKind"] == "config"
    assert "training.microBatchSize: 0 is less than the minimum of 1" in summary["reason"]


def test_events_are_retried_after_a_server_error_and_delivered():
    server = EventServer(fail_first=2)
    try:
        sender = EventSender(server.url, "tok", attempts=3, backoff_seconds=0.01)
        sender.phase("starting")
        assert [e["phase"] for e in server.events] == ["starting"]
        assert (sender.sent, sender.dropped) == (1, 0)
    finally:
        server.close()


def test_an_unreachable_controller_never_fails_the_sender_and_seq_keeps_counting():
    sender = EventSender(
        "http://127.0.0.1:9/v1/runs/x/events", "tok", attempts=2, timeout_seconds=0.5, backoff_seconds=0.01
    )
    first = sender.phase("starting")
    second = sender.send("progress", step=1)
    assert (first["seq"], second["seq"]) == (0, 1)
    assert sender.dropped == 2


def test_a_summary_with_a_huge_reason_is_cut_to_fit_4_kib():
    from labkit_runner.runner import build_summary

    result = {
        "runId": "r",
        "status": "failed",
        "reason": "x" * 20000,
        "failureKind": "internal",
        "peakVramMiB": 0,
        "metrics": {"before": {}, "after": {}},
        "lossSeries": [],
    }
    summary = build_summary(result, None)
    assert len(json.dumps(summary).encode()) <= 4096
    assert_valid(summary, "run-summary")


def test_the_summary_honours_the_termination_message_limit_the_job_sets_keeping_what_the_controller_needs():
    from labkit_runner.runner import RunnerSettings, build_summary

    env = {
        "LABKIT_RUN_ID": "r",
        "LABKIT_RUN_SPEC": "{}",
        "LABKIT_ARTIFACTS_URI": "file:///tmp/x/",
        "LABKIT_TERMINATION_MESSAGE_MAX_BYTES": "300",
    }
    settings = RunnerSettings.from_env(env)
    assert settings.termination_message_max_bytes == 300
    assert (
        RunnerSettings.from_env(
            {k: v for k, v in env.items() if k != "LABKIT_TERMINATION_MESSAGE_MAX_BYTES"}
        ).termination_message_max_bytes
        == 4096
    )
    metrics = {"perplexity": 12.5, "rougeL": 0.25, "bleu": 10.0}
    result = {
        "runId": "r" * 12,
        "status": "succeeded",
        "peakVramMiB": 6980.5,
        "metrics": {"before": metrics, "after": metrics},
        "lossSeries": [{"step": 1, "loss": 1.5}],
        "adapter": {
            "uri": "s3://labkit-artifacts/cohorts/c/learners/ada/runs/rrrrrrrrrrrr/adapter.tar.gz",
            "sha256": "a" * 64,
            "sizeBytes": 10,
        },
    }
    full = build_summary(result, "s3://labkit-artifacts/cohorts/c/learners/ada/runs/rrrrrrrrrrrr/results.json")
    assert {"before", "after", "finalLoss", "adapterSha256"} <= set(full) and len(json.dumps(full).encode()) > 300
    small = build_summary(result, full["resultsUri"], settings.termination_message_max_bytes)
    assert len(json.dumps(small).encode()) <= 300
    assert {"runId", "status", "peakVramMiB", "adapterUri", "resultsUri"} <= set(small) and "before" not in small
    assert_valid(small, "run-summary")


@pytest.mark.parametrize("value", ["abc", "12", "-1"])
def test_a_termination_message_limit_that_is_not_a_usable_byte_count_stops_the_runner_with_what_to_set(value, capsys):
    from labkit_runner.runner import main

    env = {
        "LABKIT_RUN_ID": "r",
        "LABKIT_RUN_SPEC": "{}",
        "LABKIT_ARTIFACTS_URI": "file:///tmp/x/",
        "LABKIT_TERMINATION_MESSAGE_MAX_BYTES": value,
    }
    assert main(env) == 1
    assert (
        f"LABKIT_TERMINATION_MESSAGE_MAX_BYTES='{value}': "
        "expected a whole number of bytes of at least 256 (default 4096)" in capsys.readouterr().err
    )


@pytest.mark.parametrize("uri", ["http://bucket/x", "s3:///nobucket/"])
def test_an_artifacts_uri_that_is_neither_s3_nor_file_is_refused(uri):
    from labkit_runner.artifacts import ArtifactError, ArtifactStore

    with pytest.raises(ArtifactError, match="s3://bucket/prefix/"):
        ArtifactStore(uri)
