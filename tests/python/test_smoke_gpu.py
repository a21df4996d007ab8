"""What can be tested of the GPU smoke script on a CPU: its arguments, its RunSpec, its
estimator call, and a clear exit when no CUDA device is present."""

import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "workshop"))
import smoke_gpu


def test_defaults_to_qwen_0_5b_with_4_bit_qlora():
    args = smoke_gpu.parse_args([])
    spec = smoke_gpu.smoke_spec(args)
    assert spec["baseModel"] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert spec["method"] == "qlora" and spec["quantization"]["bits"] == 4
    assert spec["training"]["maxSteps"] == 10


def test_its_run_spec_is_one_the_runner_accepts():
    import json

    from labkit_runner.run_spec import parse_run_spec

    spec = smoke_gpu.smoke_spec(smoke_gpu.parse_args(["--steps", "3", "--r", "8", "--seq", "256"]))
    assert parse_run_spec(json.dumps(spec))["lora"] == {
        "r": 8,
        "alpha": 16,
        "dropout": 0.05,
        "targetModules": "all-linear",
    }


def test_refuses_a_zero_step_count_with_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        smoke_gpu.parse_args(["--steps", "0"])
    assert caught.value.code == 2
    assert "--steps must be at least 1" in capsys.readouterr().err


def test_exits_2_with_a_clear_message_when_no_cuda_device_is_present():
    result = subprocess.run(
        [sys.executable, str(REPO / "workshop" / "smoke_gpu.py"), "--steps", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "no CUDA device is visible" in result.stderr


def test_asks_the_estimator_for_a_prediction_or_reports_it_unavailable():
    spec = smoke_gpu.smoke_spec(smoke_gpu.parse_args([]))
    prediction = smoke_gpu.estimator_prediction(spec)
    if prediction is None:
        pytest.fail("`node bin/labkit.js estimate --json` gave no prediction for Qwen/Qwen2.5-0.5B-Instruct")
    assert prediction["totalMiB"] > 0 and prediction["method"] == "qlora"
