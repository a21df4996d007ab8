"""labkit_client against the real lab-controller, end to end.

tests/harness/start-controller-for-python.ts runs the real controller (Fastify API, SQLite store,
scheduler, the real Kubernetes adapter against the fake Kubernetes API server with two L40S GPU
nodes) on 127.0.0.1, with its artifact bucket in moto's S3-compatible server, and a small
"kubelet" control endpoint that plays the pod's life. A full run goes client → controller → Job
→ the real runner (reading the Job's environment, fetching the uploaded dataset from the bucket,
posting events with the run token, writing the adapter and results.json to the bucket) →
termination message → controller → client (loss, artifacts, adapter).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import DATASET, REPO
from labkit_client import LabkitClient, LabkitError, RunRefused

NODE = shutil.which("node")
MOTO = REPO / ".venv" / "bin" / "moto_server"
HARNESS = "tests/harness/start-controller-for-python.ts"
#: Where runner Jobs post events in the cluster (charts/names.ts CONTROLLER_URL); not resolvable here.
IN_CLUSTER_URL = "http://lab-controller.labkit-system.svc.cluster.local:8080"

pytestmark = pytest.mark.skipif(
    NODE is None,
    reason="node is not installed: the real lab-controller runs on Node 24",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout_seconds: float, what: str):
    deadline = time.monotonic() + timeout_seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_seconds} s waiting for {what}")
        time.sleep(0.1)


class Stack:
    """The harness's JSON line plus helpers for its control endpoint."""

    def __init__(self, info: dict, s3_endpoint: str):
        self.info = info
        self.url = info["url"]
        self.s3_endpoint = s3_endpoint

    def client(self, learner: str, prefix: str = "") -> LabkitClient:
        return LabkitClient(self.url + prefix, self.info["learnerTokens"][learner])

    def job(self, run_id: str) -> dict | None:
        response = requests.get(f"{self.info['controlUrl']}/job", params={"runId": run_id}, timeout=10)
        return response.json() if response.status_code == 200 else None

    def control(self, action: str, **body) -> None:
        response = requests.post(f"{self.info['controlUrl']}/{action}", json=body, timeout=10)
        assert response.status_code == 200, response.text

    def run_token(self, run_id: str) -> str:
        response = requests.get(f"{self.info['controlUrl']}/run-token", params={"runId": run_id}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["token"]


def job_env(stack: Stack, run_id: str) -> dict[str, str]:
    """The runner container's environment, as the kubelet builds it: the run token from its Secret."""
    job = stack.job(run_id)
    assert job is not None, f"run {run_id} has no Job"
    env: dict[str, str] = {}
    for item in job["spec"]["template"]["spec"]["containers"][0]["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            assert item["valueFrom"]["secretKeyRef"]["name"] == f"run-{run_id}-token", item
            env[item["name"]] = stack.run_token(run_id)
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("controller-stack")
    port = free_port()
    s3_endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=(logs / "moto.log").open("w"),
    )
    harness = None
    try:
        wait_until(lambda: _answers(s3_endpoint), 30, f"moto_server on {s3_endpoint}")
        stderr = (logs / "controller.log").open("w")
        assert NODE is not None  # the module is skipped without node
        harness = subprocess.Popen(
            [NODE, "--import", "tsx", HARNESS],
            cwd=REPO,
            env={**os.environ, "LABKIT_S3_ENDPOINT": s3_endpoint},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        line: list[str] = []
        harness_stdout = harness.stdout
        assert harness_stdout is not None  # stdout=PIPE
        reader = threading.Thread(target=lambda: line.append(harness_stdout.readline()), daemon=True)
        reader.start()
        reader.join(60)
        if not line or not line[0].strip():
            raise AssertionError(
                f"the controller harness printed nothing; its log:\n{(logs / 'controller.log').read_text()[-3000:]}"
            )
        yield Stack(json.loads(line[0]), s3_endpoint)
    finally:
        for process in (harness, moto):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
        return True
    except requests.RequestException:
        return False


OVERSIZED = {
    "training": {
        "microBatchSize": 16,
        "maxSeqLength": 2048,
        "gradientCheckpointing": False,
    }
}


def test_estimate_says_whether_a_run_fits_and_offers_changes_that_would(stack):
    client = stack.client("ada")
    fits = client.estimate(exercise="lora-warmup")
    assert fits["fits"] is True and fits["suggestions"] == [] and "reason" not in fits
    assert fits["estimate"]["totalMiB"] > 0 and fits["quotaMiB"] == 16384
    assert fits["spec"]["baseModel"] == "HuggingFaceTB/SmolLM2-360M-Instruct"

    too_big = client.estimate(exercise="qlora-challenge", **OVERSIZED)
    assert too_big["fits"] is False and too_big["estimate"]["totalMiB"] > 16384
    assert "quota" in too_big["reason"]
    assert too_big["suggestions"] and all(s["totalMiB"] <= 16384 and s["change"] for s in too_big["suggestions"])


def test_a_run_over_the_quota_is_refused_with_a_python_exception_naming_the_reason_and_the_changes_that_fit(
    stack,
):
    client = stack.client("ada")
    with pytest.raises(RunRefused) as caught:
        client.submit(exercise="qlora-challenge", **OVERSIZED)
    refused = caught.value
    assert refused.status == 422 and refused.quota_mib == 16384 and refused.estimate["totalMiB"] > 16384
    assert str(refused).startswith(f"run refused: {refused.reason}")
    assert f"- {refused.suggestions[0]['change']} (about " in str(refused)
    # A suggestion is a complete spec the controller admits as it is.
    assert client.estimate(**refused.suggestions[0]["spec"])["fits"] is True
    assert client.runs() == []  # nothing stored


def test_invalid_input_and_a_wrong_token_raise_with_what_to_fix(stack):
    with pytest.raises(LabkitError, match=r"spec\.training\.microBatchSize") as invalid:
        stack.client("ada").submit(exercise="lora-warmup", training={"microBatchSize": 0})
    assert invalid.value.status == 400 and invalid.value.body["problems"]
    with pytest.raises(LabkitError, match="unknown exercise `no-such-exercise`"):
        stack.client("ada").estimate(exercise="no-such-exercise")
    with pytest.raises(LabkitError, match="missing, unknown or expired credentials") as unauthorized:
        LabkitClient(stack.url, "not-a-token").runs()
    assert unauthorized.value.status == 401


def test_an_admitted_run_gets_its_job_a_second_one_queues_cancel_frees_the_gpu_and_other_learners_see_none_of_it(
    stack,
):
    bob = stack.client("bob")
    first = bob.submit(exercise="lora-warmup", lora={"r": 4})
    assert first["decision"] == "admitted" and first["state"] == "starting" and first["spec"]["lora"]["r"] == 4
    job = stack.job(first["id"])
    assert job is not None and job["metadata"]["namespace"] == "lab-bob"
    env = job_env(stack, first["id"])
    assert json.loads(env["LABKIT_RUN_SPEC"]) == first["spec"]
    assert env["LABKIT_EVENTS_URL"] == f"{IN_CLUSTER_URL}/v1/runs/{first['id']}/events"
    assert env["LABKIT_ARTIFACTS_URI"] == first["artifactsUri"]
    assert env["LABKIT_GRANTED_VRAM_MIB"] == str(first["grantedMiB"])
    assert env["LABKIT_TERMINATION_MESSAGE_MAX_BYTES"] == "4096"

    second = bob.submit(exercise="lora-warmup")  # bob may run one at a time
    assert (
        second["decision"] == "queued"
        and second["state"] == "queued"
        and second["queuePosition"] == 1
        and second["reason"]
    )
    assert [r["id"] for r in bob.runs()] == [second["id"], first["id"]]

    ada = stack.client("ada")
    assert all(r["learnerId"] == "ada" for r in ada.runs())
    for call in (ada.run, ada.cancel, ada.loss):
        with pytest.raises(LabkitError, match=f"run `{first['id']}` not found among your runs") as hidden:
            call(first["id"])
        assert hidden.value.status == 404

    cancelled = bob.cancel(first["id"])
    assert cancelled["state"] == "cancelled" and "cancelled by the learner" in cancelled["reason"]
    wait_until(
        lambda: stack.job(first["id"]) is None,
        10,
        "the cancelled run's Job to be deleted",
    )
    promoted = wait_until(
        lambda: (r := bob.run(second["id"]))["state"] == "starting" and r,
        10,
        "the queued run to start",
    )
    assert stack.job(promoted["id"]) is not None
    # Through the gateway's prefix (https://<domain>/api) the same client reaches the same API.
    assert stack.client("bob", prefix="/api").cancel(second["id"])["state"] == "cancelled"


def test_a_run_on_an_uploaded_dataset_runs_the_real_runner_from_its_job_and_the_learner_gets_loss_results_and_adapter(
    stack, tiny_model_dir, tmp_path, monkeypatch
):
    from labkit_runner.runner import RunnerSettings, run

    data = tmp_path / "my-k8s.jsonl"
    data.write_text("".join(DATASET.read_text().splitlines(keepends=True)[:40]))
    cleo = stack.client("cleo")
    submitted = cleo.submit(
        exercise="lora-warmup",
        dataset=data,
        training={
            "maxSteps": 2,
            "maxSeqLength": 128,
            "microBatchSize": 2,
            "gradientAccumulationSteps": 1,
            "learningRate": 0.003,
        },
        evaluation={"metrics": ["perplexity"], "samples": 1, "maxNewTokens": 4},
    )
    assert submitted["decision"] == "admitted"
    uploaded = submitted["spec"]["dataset"]
    sha256 = hashlib.sha256(data.read_bytes()).hexdigest()
    assert uploaded["source"] == "upload" and uploaded["name"] == "my-k8s.jsonl" and uploaded["sha256"] == sha256
    # The client uploaded the file first; the run names that upload, which only cleo can use.
    assert [d["id"] for d in cleo.datasets()] == [uploaded["id"]]
    with pytest.raises(LabkitError, match=f"no dataset `{uploaded['id']}` among your uploads"):
        stack.client("bob").submit(exercise="lora-warmup", dataset_id=uploaded["id"])
    assert (
        uploaded["uri"] == f"s3://{stack.info['bucket']}/cohorts/test-cohort/learners/lab-cleo/datasets/{sha256}.jsonl"
    )

    # The kubelet starts the pod; the runner gets the Job's environment. The in-cluster controller
    # name does not resolve here, so its events go to the same path on the local controller.
    stack.control("start-pod", runId=submitted["id"])
    env = job_env(stack, submitted["id"])
    env["LABKIT_EVENTS_URL"] = env["LABKIT_EVENTS_URL"].replace(IN_CLUSTER_URL, stack.url)
    env.update(
        LABKIT_MODEL_PATH=str(tiny_model_dir),
        LABKIT_TERMINATION_LOG=str(tmp_path / "termination-log"),
        LABKIT_WORK_DIR=str(tmp_path),
    )
    for name, value in {
        "AWS_ENDPOINT_URL": stack.s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    settings = RunnerSettings.from_env(env)
    assert settings.termination_message_max_bytes == 4096
    assert run(settings) == 0

    during = cleo.run(submitted["id"])
    assert during["state"] == "running" and during["phase"] == "succeeded" and during["step"] == 2
    summary = (tmp_path / "termination-log").read_text()
    assert json.loads(summary)["status"] == "succeeded"
    stack.control("finish-pod", runId=submitted["id"], exitCode=0, message=summary)

    final = cleo.wait(submitted["id"], poll_seconds=0.1, timeout_seconds=20, progress=False)
    assert final["state"] == "succeeded", final
    assert set(final["metrics"]["after"]) == {"perplexity"}
    links = cleo.artifacts(submitted["id"])
    assert set(links) == {"adapter.tar.gz", "results.json"}
    results = cleo.results(submitted["id"])
    assert results["status"] == "succeeded" and results["runId"] == submitted["id"]
    assert [(p["step"], p["loss"]) for p in cleo.loss(submitted["id"])] == [
        (p["step"], p["loss"]) for p in results["lossSeries"]
    ]
    folder = cleo.download_adapter(submitted["id"], tmp_path / "adapter")  # checks the sha256 in results.json
    assert (folder / "adapter_config.json").is_file()
    assert (folder / "adapter_model.safetensors").stat().st_size > 0
