"""`labkit-run` (workshop/labkit_client/cli.py) against the fake controller: main(argv) in-process,
and as a real `python -m labkit_client` process. No training: the fake answers with made-up runs."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from conftest import DATASET, REPO
from fake_controller import FakeController
from labkit_client.cli import duration_text, format_decision, format_results, format_run, main
from labkit_client.spec_overrides import SetOptionError, format_value, parse_set_options, parse_value, set_options_for


@pytest.fixture
def controller():
    server = FakeController()
    yield server
    server.close()


@pytest.fixture
def env(controller):
    return {"LABKIT_API_URL": controller.url, "LABKIT_TOKEN": "learner-token"}


def run_cli(capsys, env, *argv):
    """main(argv) in this process: (exit code, stdout, stderr)."""
    code = main(list(argv), env)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def posted_specs(controller, path):
    return [body["spec"] for method, route, body in controller.requests if method == "POST" and route == path]


def test_estimate_prints_whether_it_fits_the_total_and_the_breakdown_largest_first(controller, env, capsys):
    code, out, _ = run_cli(
        capsys, env, "estimate", "--exercise", "qlora-challenge", "--set", "training.microBatchSize=2"
    )
    assert code == 0
    assert out.splitlines() == [
        "fits: yes, about 6,000 MiB (5.9 GiB), within your quota of 16,384 MiB (16.0 GiB)",
        "breakdown:",
        "  activations     4,800 MiB",
        "  baseWeights     1,200 MiB",
    ]
    assert posted_specs(controller, "/v1/estimate") == [
        {"training": {"microBatchSize": 2}, "exercise": "qlora-challenge"}
    ]


def test_an_estimate_that_does_not_fit_exits_2_with_the_reason_and_the_set_options_of_each_change_that_fits(
    env, capsys
):
    code, out, _ = run_cli(
        capsys, env, "estimate", "--exercise", "qlora-challenge", "--set", "training.microBatchSize=12"
    )
    assert code == 2
    assert "fits: no, about 21,000 MiB (20.5 GiB), over your quota of 16,384 MiB (16.0 GiB)" in out
    assert "reason: the run needs about 20.5 GiB of GPU memory, more than your quota of 16.0 GiB" in out
    assert out.splitlines()[-1] == (
        "- micro batch 4 with gradient accumulation 8 (same effective batch) (about 9,000 MiB): "
        "--set training.microBatchSize=4 --set training.gradientAccumulationSteps=8"
    )


def test_estimate_json_prints_the_controllers_answer_unchanged(env, capsys):
    code, out, _ = run_cli(capsys, env, "estimate", "--exercise", "qlora-challenge", "--json")
    answer = json.loads(out)
    assert (
        code == 0
        and answer["fits"] is True
        and answer["estimate"]["totalMiB"] == 9000
        and answer["largestSlotMiB"] == 46068
    )


def test_set_options_type_their_values_and_build_the_nested_override(controller, env, capsys):
    code, _, _ = run_cli(
        capsys,
        env,
        "estimate",
        "--exercise",
        "qlora-challenge",
        "--set",
        "training.gradientCheckpointing=false",
        "--set",
        "training.learningRate=2e-4",
        "--set",
        "lora.r=8",
        "--set",
        'lora.targetModules=["q_proj","v_proj"]',
        "--set",
        "training.optimizer=adamw_torch",
        "--set",
        "lora.r=16",
    )
    assert code == 0
    assert posted_specs(controller, "/v1/estimate")[0] == {
        "exercise": "qlora-challenge",
        "training": {"gradientCheckpointing": False, "learningRate": 0.0002, "optimizer": "adamw_torch"},
        "lora": {"r": 16, "targetModules": ["q_proj", "v_proj"]},
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("8", 8),
        ("-3", -3),
        ("0.05", 0.05),
        ("2e-4", 0.0002),
        ('["q_proj","v_proj"]', ["q_proj", "v_proj"]),
        ("[q_proj,v_proj]", ["q_proj", "v_proj"]),  # what bash passes on for an unquoted ["q_proj","v_proj"]
        ("[1, 2]", [1, 2]),
        ("[]", []),
        ('"8"', "8"),
        ("all-linear", "all-linear"),
        ("Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct"),
    ],
)
def test_a_set_value_is_a_boolean_a_number_a_list_or_else_text(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("lora.r", "--set lora.r: expected key.path=value"),
        ("=8", "--set =8: expected key.path=value"),
        ("lora..r=8", "--set lora..r=8: expected key.path=value"),
        ("lora.r=", "no value after '='"),
        ('lora.targetModules=["q_proj",', "is not a JSON list"),
        ('lora.targetModules=[q_proj,"v_proj]', "is not a JSON list"),
        ('training.optimizer="adamw', "is not a JSON string"),
        ("exercise=lora-warmup", "choose the exercise with --exercise"),
    ],
)
def test_a_malformed_set_option_is_bad_input_named_on_stderr_and_nothing_is_sent(
    controller, env, capsys, option, message
):
    code, out, err = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--set", option)
    assert code == 2 and out == ""
    assert err.startswith("labkit-run: ") and message in err and len(err.strip().splitlines()) == 1
    assert controller.requests == []


def test_set_options_that_contradict_each_other_are_refused():
    with pytest.raises(SetOptionError, match="training is already set to a value, so it has no field microBatchSize"):
        parse_set_options(["training=4", "training.microBatchSize=8"])
    with pytest.raises(SetOptionError, match="lora already has fields set"):
        parse_set_options(["lora.r=8", "lora=16"])


@pytest.mark.parametrize(
    "value",
    [True, False, 0, 8, -2, 0.0002, 1e-05, "all-linear", "8", "true", "[x]", '"q"', "", ["q_proj", "v_proj"], [1, "a"]],
)
def test_a_written_set_value_reads_back_unchanged(value):
    parsed = parse_value(format_value(value))
    assert parsed == value and type(parsed) is type(value)


def test_a_suggestion_becomes_the_set_options_of_the_fields_it_changes_only():
    resolved = {
        "exercise": "e",
        "lora": {"r": 16, "targetModules": "all-linear"},
        "training": {"microBatchSize": 8, "gradientCheckpointing": False},
        "dataset": {"source": "builtin"},
    }
    changed = {
        "exercise": "e",
        "lora": {"r": 16, "targetModules": ["q_proj", "v_proj"]},
        "training": {"microBatchSize": 8, "gradientCheckpointing": True},
        "dataset": {"source": "upload", "uri": "s3://b/k"},
    }
    assert set_options_for(resolved, changed) == [
        'lora.targetModules=["q_proj","v_proj"]',
        "training.gradientCheckpointing=true",
    ]
    assert set_options_for(resolved, resolved) == []


def test_submit_prints_queued_with_the_queue_position_and_why(controller, env, capsys):
    code, out, err = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--set", "lora.r=8")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "queued: run r00000000001 is #2 in the queue (no GPU has 9000 MiB free)",
        "follow it: labkit-run status r00000000001 (or submit with --wait)",
    ]
    assert posted_specs(controller, "/v1/runs") == [{"lora": {"r": 8}, "exercise": "qlora-challenge"}]


def test_submit_prints_admitted_with_the_run_id_and_its_gpu(controller, env, capsys):
    controller.admit = True
    code, out, _ = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge")
    assert code == 0
    assert (
        out.splitlines()[0]
        == "admitted: run r00000000001 on GPU 0 of ip-10-0-1-23.ec2.internal, 9,000 MiB (8.8 GiB) granted"
    )


def test_submit_json_prints_the_run_with_the_decision(controller, env, capsys):
    controller.admit = True
    code, out, _ = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--json")
    run = json.loads(out)
    assert (
        code == 0 and run["decision"] == "admitted" and run["state"] == "starting" and run["placement"]["gpuIndex"] == 0
    )


def test_a_queued_run_says_when_it_should_start():
    run = {
        "id": "r1",
        "decision": "queued",
        "state": "queued",
        "queuePosition": 3,
        "etaSeconds": 370,
        "reason": "your concurrency limit is 1 run",
    }
    assert (
        format_decision(run)
        == "queued: run r1 is #3 in the queue, starts in about 6 min (your concurrency limit is 1 run)"
    )
    assert [duration_text(s) for s in (20, 90, 4200)] == ["under a minute", "about 2 min", "about 1 h 10 min"]


def test_a_refused_submit_exits_2_with_the_reason_and_one_line_per_change_that_fits(controller, env, capsys):
    code, out, err = run_cli(
        capsys, env, "submit", "--exercise", "qlora-challenge", "--set", "training.microBatchSize=12"
    )
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "refused: the run needs about 20.5 GiB of GPU memory, more than your quota of 16.0 GiB",
        "changes that would fit (submit again with one):",
        "- micro batch 4 with gradient accumulation 8 (same effective batch) (about 9,000 MiB): "
        "--set training.microBatchSize=4 --set training.gradientAccumulationSteps=8",
    ]
    assert controller.runs == {}


def test_a_refused_submit_with_json_prints_the_refusal_and_still_exits_2(env, capsys):
    code, out, _ = run_cli(
        capsys, env, "submit", "--exercise", "qlora-challenge", "--set", "training.microBatchSize=12", "--json"
    )
    refusal = json.loads(out)
    assert code == 2 and refusal["decision"] == "refused" and refusal["suggestions"][0]["totalMiB"] == 9000


def test_submit_wait_follows_the_run_to_its_end_and_prints_it(controller, env, capsys):
    code, out, err = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--wait", "--poll-seconds", "0.01")
    assert code == 0
    assert "run r00000000001: succeeded, loss 1.9000" in out and "next: labkit-run results r00000000001" in out
    assert "3/3" in err  # the client's progress bar, on stderr


def test_submit_wait_exits_1_with_the_reason_when_the_run_fails(controller, env, capsys):
    reason = "the run exceeded its VRAM limit of 9000 MiB: turn gradient checkpointing on"
    controller.timeline = [{"state": "running", "step": 1, "totalSteps": 3}, {"state": "failed", "reason": reason}]
    code, _, err = run_cli(
        capsys, env, "submit", "--exercise", "qlora-challenge", "--wait", "--poll-seconds", "0.01", "--json"
    )
    assert code == 1
    assert err.strip().splitlines()[-1] == f"run r00000000001 failed: {reason}"


def test_ctrl_c_while_following_stops_following_but_not_the_run(controller, env, capsys, monkeypatch):
    def interrupted(self, run_id, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr("labkit_client.client.LabkitClient.wait", interrupted)
    code, _, err = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--wait")
    assert code == 130
    assert (
        "stopped following run r00000000001; it goes on: "
        "labkit-run status r00000000001, or labkit-run cancel r00000000001" in err
    )
    assert controller.runs["r00000000001"]["state"] == "queued"


def test_submit_uploads_a_local_dataset_and_keeps_dataset_settings(controller, env, capsys, tmp_path):
    data = tmp_path / "mine.jsonl"
    data.write_bytes(DATASET.read_bytes())
    code, _, _ = run_cli(
        capsys, env, "submit", "--exercise", "qlora-challenge", "--dataset", str(data), "--set", "dataset.testSplit=0.2"
    )
    assert code == 0
    assert posted_specs(controller, "/v1/runs")[0]["dataset"] == {
        "testSplit": 0.2,
        "source": "upload",
        "id": "ds-aaaaaaaaaaaa",
    }
    assert controller.uploads["ds-aaaaaaaaaaaa"] == DATASET.read_bytes()


def test_a_missing_or_broken_dataset_is_bad_input_and_nothing_is_sent(controller, env, capsys, tmp_path):
    code, _, err = run_cli(
        capsys, env, "submit", "--exercise", "qlora-challenge", "--dataset", str(tmp_path / "nope.jsonl")
    )
    assert code == 2 and "nope.jsonl: no such file" in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "q"}]}\n')
    code, _, err = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--dataset", str(broken))
    assert code == 2 and 'broken.jsonl:1: "messages" needs at least a user turn' in err
    assert controller.requests == []


def test_an_invalid_spec_is_bad_input_with_the_controllers_problem(env, capsys):
    code, _, err = run_cli(capsys, env, "submit", "--exercise", "qlora-challenge", "--set", "training.microBatchSize=0")
    assert code == 2 and "spec.training.microBatchSize: Too small: expected number to be >=1" in err


def test_list_status_and_cancel_show_the_learners_runs(controller, env, capsys):
    run_cli(capsys, env, "submit", "--exercise", "qlora-challenge")
    controller.admit = True
    run_cli(capsys, env, "submit", "--exercise", "lora-warmup")
    code, out, _ = run_cli(capsys, env, "list")
    assert code == 0
    assert out.splitlines() == [
        "RUN           EXERCISE         STATE      CREATED",
        "r00000000002  lora-warmup      starting   2026-12-07T09:00:00Z",
        "r00000000001  qlora-challenge  queued #2  2026-12-07T09:00:00Z",
    ]
    code, out, _ = run_cli(capsys, env, "list", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["r00000000002", "r00000000001"]

    code, out, _ = run_cli(capsys, env, "status", "r00000000001")
    assert code == 0 and out.splitlines()[0] == "run r00000000001: queued #2"  # the fake's first poll: queued
    code, out, _ = run_cli(capsys, env, "status", "r00000000001", "--json")
    assert code == 0 and json.loads(out)["state"] == "starting"

    code, out, _ = run_cli(capsys, env, "cancel", "r00000000001")
    assert code == 0 and out == "cancelled run r00000000001\n"
    assert ("DELETE", "/v1/runs/r00000000001", None) in controller.requests


def test_status_of_a_run_that_is_not_yours_is_bad_input(env, capsys):
    code, out, err = run_cli(capsys, env, "status", "zzz")
    assert code == 2 and out == "" and err == "labkit-run: run `zzz` not found among your runs\n"


def test_a_finished_run_shows_its_gpu_peak_vram_and_metrics_before_and_after():
    run = {
        "id": "r1",
        "exercise": "qlora-challenge",
        "state": "succeeded",
        "phase": "succeeded",
        "lastLoss": 1.13,
        "placement": {"node": "n1", "gpuIndex": 1},
        "grantedMiB": 8336,
        "peakVramMiB": 6980,
        "metrics": {
            "before": {"perplexity": 9.5, "rougeL": 0.21},
            "after": {"perplexity": 4.25, "rougeL": 0.44, "bleu": 18.2},
        },
    }
    assert format_run(run).splitlines() == [
        "run r1: succeeded, loss 1.1300",
        "exercise: qlora-challenge",
        "phase: succeeded",
        "on: GPU 1 of n1, 8,336 MiB (8.1 GiB) granted",
        "peak VRAM: 6,980 MiB (6.8 GiB)",
        "metric       before     after",
        "perplexity   9.5000    4.2500",
        "rougeL       0.2100    0.4400",
        "bleu              -   18.2000",
    ]


def adapter_files() -> dict[str, bytes]:
    """A small adapter.tar.gz and the results.json that names its sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        config = json.dumps({"base_model_name_or_path": "Qwen/Qwen2.5-0.5B-Instruct", "r": 4}).encode()
        info = tarfile.TarInfo("adapter_config.json")
        info.size = len(config)
        tar.addfile(info, io.BytesIO(config))
    archive = buffer.getvalue()
    results = {
        "runId": "r00000000001",
        "status": "succeeded",
        "metrics": {"before": {"rougeL": 0.2}, "after": {"rougeL": 0.4}},
        "peakVramMiB": 6980,
        "lossSeries": [],
        "adapter": {
            "uri": "s3://b/adapter.tar.gz",
            "sha256": hashlib.sha256(archive).hexdigest(),
            "sizeBytes": len(archive),
        },
        "samples": [{"prompt": "p", "reference": "r", "before": "b", "after": "a"}],
        "trainSeconds": 61.4,
        "trainExamples": 180,
    }
    return {"adapter.tar.gz": archive, "results.json": json.dumps(results).encode()}


def test_results_and_download_fetch_the_artifacts_and_verify_the_adapter(controller, env, capsys, tmp_path):
    run_cli(capsys, env, "submit", "--exercise", "qlora-challenge")
    controller.files = adapter_files()
    code, out, _ = run_cli(capsys, env, "results", "r00000000001")
    assert code == 0
    assert out.splitlines()[:4] == [
        "run r00000000001: succeeded",
        "metric       before     after",
        "rougeL       0.2000    0.4000",
        "peak VRAM: 6,980 MiB (6.8 GiB)",
    ]
    assert "training: 61 s on 180 examples" in out and "samples: 1 before/after answers" in out
    code, out, _ = run_cli(capsys, env, "download", "r00000000001", str(tmp_path / "adapter"))
    assert (
        code == 0
        and out == f"adapter of run r00000000001 in {tmp_path / 'adapter'} (sha256 verified against results.json)\n"
    )
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["r"] == 4


def test_a_damaged_adapter_download_is_a_failure(controller, env, capsys, tmp_path):
    run_cli(capsys, env, "submit", "--exercise", "qlora-challenge")
    controller.files = {**adapter_files(), "adapter.tar.gz": b"not the adapter"}
    code, _, err = run_cli(capsys, env, "download", "r00000000001", str(tmp_path / "adapter"))
    assert code == 1 and "the adapter download is damaged" in err


def test_results_of_a_failed_run_show_its_reason():
    results = {
        "runId": "r1",
        "status": "failed",
        "reason": "dataset.jsonl:3: not JSON",
        "metrics": {"before": {}, "after": {}},
        "peakVramMiB": 0,
        "lossSeries": [],
        "samples": [],
    }
    assert format_results(results).splitlines() == [
        "run r1: failed",
        "reason: dataset.jsonl:3: not JSON",
        "peak VRAM: 0 MiB (0.0 GiB)",
    ]


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "LABKIT_API_URL and LABKIT_TOKEN"),
        ({"LABKIT_API_URL": "http://x"}, "LABKIT_TOKEN"),
        ({"LABKIT_TOKEN": "t"}, "LABKIT_API_URL"),
    ],
)
def test_missing_api_url_or_token_is_bad_input_that_says_every_lab_sets_them(capsys, env, names):
    code, out, err = run_cli(capsys, env, "list")
    assert code == 2 and out == ""
    assert err.startswith(f"labkit-run: {names} not set. Every lab sets them") and len(err.strip().splitlines()) == 1


def test_an_unknown_token_is_bad_input_and_an_unreachable_controller_a_failure(controller, capsys):
    code, _, err = run_cli(capsys, {"LABKIT_API_URL": controller.url, "LABKIT_TOKEN": "wrong"}, "list")
    assert code == 2 and "missing or unknown token" in err
    controller.close()
    code, _, err = run_cli(capsys, {"LABKIT_API_URL": controller.url, "LABKIT_TOKEN": "learner-token"}, "list")
    assert code == 1 and f"cannot reach the lab-controller at {controller.url}" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["submit"],
        ["submit", "--exercise"],
        ["estimate", "--exercise", "e", "--frobnicate"],
        ["status"],
        ["submit", "--exercise", "e", "--poll-seconds", "soon"],
    ],
)
def test_bad_flags_are_bad_input(env, capsys, argv):
    code, _, err = run_cli(capsys, env, *argv)
    assert code == 2 and "usage: labkit-run" in err


def test_python_m_labkit_client_is_the_command_with_its_exit_codes(controller):
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "workshop"),
        "LABKIT_API_URL": controller.url,
        "LABKIT_TOKEN": "learner-token",
    }
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit_client",
            "submit",
            "--exercise",
            "qlora-challenge",
            "--set",
            "training.microBatchSize=12",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert (
        refused.stderr.splitlines()[0]
        == "refused: the run needs about 20.5 GiB of GPU memory, more than your quota of 16.0 GiB"
    )
    queued = subprocess.run(
        [sys.executable, "-m", "labkit_client", "submit", "--exercise", "qlora-challenge"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert queued.returncode == 0 and queued.stdout.startswith("queued: run r00000000001 is #2 in the queue")
    helped = subprocess.run(
        [sys.executable, "-m", "labkit_client", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (
        helped.returncode == 0
        and "usage: labkit-run" in helped.stdout
        and "a run that does not fit your quota" in helped.stdout
    )


def test_the_package_declares_the_labkit_run_command_and_the_lab_image_installs_the_package():
    assert 'labkit-run = "labkit_client.cli:main"' in (REPO / "workshop" / "pyproject.toml").read_text()
    dockerfile = (REPO / "images" / "lab" / "Dockerfile").read_text()
    # Installed as root into the image's Python (the lab runs as jovyan and cannot change it).
    assert "COPY workshop/labkit_client /tmp/labkit/src/labkit_client" in dockerfile
    assert "pip install --no-deps /tmp/labkit/src" in dockerfile
