"""labkit_client against a small stand-in with the lab-controller's routes and bodies (fast, no Node).
test_client_against_controller.py runs the same client against the real controller."""

import base64
import json

import matplotlib
import pytest

from conftest import DATASET
from fake_controller import FakeController
from labkit_client import LabkitClient, LabkitError, RunRefused
from labkit_runner.dataset import DatasetError

matplotlib.use("Agg")


@pytest.fixture
def controller():
    server = FakeController()
    yield server
    server.close()


@pytest.fixture
def client(controller):
    return LabkitClient(controller.url, "learner-token")


def test_from_env_reads_the_api_url_and_token_and_names_what_is_missing():
    client = LabkitClient.from_env({"LABKIT_API_URL": "http://lab-controller:8080/", "LABKIT_TOKEN": "t"})
    assert client.api_url == "http://lab-controller:8080"
    with pytest.raises(LabkitError, match="LABKIT_API_URL and LABKIT_TOKEN not set"):
        LabkitClient.from_env({})


def test_estimate_posts_the_exercise_and_overrides_as_a_partial_spec(client, controller):
    answer = client.estimate(exercise="qlora-challenge", training={"microBatchSize": 2})
    assert answer["estimate"]["totalMiB"] == 6000 and answer["fits"] is True
    assert controller.requests[-1] == (
        "POST",
        "/v1/estimate",
        {"spec": {"training": {"microBatchSize": 2}, "exercise": "qlora-challenge"}},
    )


def test_submit_uploads_a_local_dataset_first_and_names_it_by_the_id_the_controller_gave(client, controller, tmp_path):
    data = tmp_path / "my-k8s.jsonl"
    data.write_bytes(DATASET.read_bytes())
    run = client.submit(exercise="qlora-challenge", dataset=data, lora={"r": 8})
    assert run["state"] == "queued" and run["queuePosition"] == 2 and run["decision"] == "queued"
    (upload_method, upload_path, upload), (_, submit_path, body) = controller.requests[-2:]
    assert (upload_method, upload_path, submit_path) == ("POST", "/v1/datasets", "/v1/runs")
    assert upload["name"] == "my-k8s.jsonl"
    assert base64.b64decode(upload["contentBase64"]) == DATASET.read_bytes()
    # The run names the upload by id only: where the file lies and its sha256 are the controller's to say.
    assert body == {
        "spec": {
            "lora": {"r": 8},
            "exercise": "qlora-challenge",
            "dataset": {"source": "upload", "id": "ds-aaaaaaaaaaaa"},
        }
    }


def test_uploads_a_dataset_lists_uploads_and_runs_on_one_by_id(client, controller, tmp_path):
    data = tmp_path / "mine.jsonl"
    data.write_bytes(DATASET.read_bytes())
    uploaded = client.upload_dataset(data)
    assert uploaded["id"] == "ds-aaaaaaaaaaaa" and uploaded["name"] == "mine.jsonl"
    assert [d["id"] for d in client.datasets()] == ["ds-aaaaaaaaaaaa"]
    client.submit(exercise="qlora-challenge", dataset_id=uploaded["id"], dataset_settings={"testSplit": 0.2})
    assert controller.requests[-1][2]["spec"]["dataset"] == {"testSplit": 0.2, "source": "upload", "id": uploaded["id"]}
    with pytest.raises(LabkitError, match="either a dataset file or a dataset_id"):
        client.submit(exercise="qlora-challenge", dataset=data, dataset_id=uploaded["id"])


def test_submit_checks_the_dataset_before_uploading_anything(client, controller, tmp_path):
    data = tmp_path / "broken.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "q"}]}\n')
    with pytest.raises(DatasetError, match=r"broken.jsonl:1: \"messages\" needs at least a user turn"):
        client.submit(exercise="qlora-challenge", dataset=data)
    assert controller.requests == []


def test_a_refused_run_raises_run_refused_with_the_reason_and_the_changes_that_fit(client):
    with pytest.raises(RunRefused) as caught:
        client.submit(exercise="qlora-challenge", training={"microBatchSize": 16})
    refused = caught.value
    assert refused.status == 422 and refused.quota_mib == 16384 and refused.estimate["totalMiB"] == 27000
    assert str(refused).startswith(
        "run refused: the run needs about 26.4 GiB of GPU memory, more than your quota of 16.0 GiB"
    )
    assert "- micro batch 4 with gradient accumulation 8 (same effective batch) (about 9,000 MiB)" in str(refused)
    assert refused.suggestions[0]["spec"]["training"]["gradientAccumulationSteps"] == 8


def test_invalid_input_raises_with_the_field_that_is_wrong(client):
    with pytest.raises(LabkitError, match=r"spec\.training\.microBatchSize: Too small") as caught:
        client.submit(exercise="qlora-challenge", training={"microBatchSize": 0})
    assert caught.value.status == 400 and not isinstance(caught.value, RunRefused)


def test_the_gateway_api_prefix_reaches_the_same_endpoints(controller):
    client = LabkitClient(f"{controller.url}/api", "learner-token")
    client.submit(exercise="lora-warmup")
    assert [r["exercise"] for r in client.runs()] == ["lora-warmup"]


def test_a_wrong_token_is_reported_as_such(controller):
    with pytest.raises(LabkitError, match="missing or unknown token") as caught:
        LabkitClient(controller.url, "wrong").runs()
    assert caught.value.status == 401


def test_wait_polls_until_the_run_ends_and_shows_progress(client, capsys):
    run = client.submit(exercise="qlora-challenge")
    final = client.wait(run["id"], poll_seconds=0)
    assert final["state"] == "succeeded" and final["step"] == 3
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=1.9000" in err


def test_wait_gives_up_after_its_timeout_with_what_to_do(client, controller):
    controller.timeline = [{"state": "queued", "queuePosition": 5}]
    run = client.submit(exercise="qlora-challenge")
    with pytest.raises(LabkitError, match=r"is still queued after 0.05 s; wait\(\) again or cancel\(\) it"):
        client.wait(run["id"], poll_seconds=0.01, timeout_seconds=0.05, progress=False)


def test_runs_lists_and_cancel_cancels(client):
    first = client.submit(exercise="lora-warmup")
    client.submit(exercise="qlora-challenge")
    assert [r["exercise"] for r in client.runs()] == ["qlora-challenge", "lora-warmup"]
    assert client.cancel(first["id"])["state"] == "cancelled"


def test_loss_comes_back_in_step_order_and_plots(client):
    run = client.submit(exercise="qlora-challenge")
    assert [p["step"] for p in client.loss(run["id"])] == [1, 2, 3]
    ax = client.plot_loss(run["id"])
    xs, ys = ax.lines[0].get_data()
    assert list(xs) == [1, 2, 3] and list(ys) == [2.5, 2.1, 1.9]


def test_results_and_the_adapter_download_through_presigned_links_and_load_with_peft(
    client, controller, qlora_run, tiny_model_dir, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # load_adapter downloads into ./adapters/<run>
    controller.files = {
        name: (qlora_run["artifacts"] / name).read_bytes() for name in ("adapter.tar.gz", "results.json")
    }
    run = client.submit(exercise="qlora-challenge")
    results = client.results(run["id"])
    assert results["status"] == "succeeded" and "after" in results["metrics"]
    folder = client.download_adapter(run["id"], tmp_path / "adapter")
    assert (folder / "adapter_config.json").is_file()
    model, tokenizer = client.load_adapter(run["id"], model_path=str(tiny_model_dir))
    assert type(model).__name__ == "PeftModelForCausalLM"


def test_a_damaged_adapter_download_is_refused(client, controller, qlora_run, tmp_path):
    results = json.loads((qlora_run["artifacts"] / "results.json").read_text())
    controller.files = {"adapter.tar.gz": b"not the adapter", "results.json": json.dumps(results).encode()}
    run = client.submit(exercise="qlora-challenge")
    with pytest.raises(LabkitError, match="the adapter download is damaged"):
        client.download_adapter(run["id"], tmp_path / "adapter")
