"""Artifacts on S3 (a local moto server speaking the S3 API) and on file:// URIs."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit_runner.artifacts import ArtifactStore, fetch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_endpoint(monkeypatch):
    moto = Path(sys.executable).parent / "moto_server"
    port = _free_port()
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    for name, value in {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_uploads_the_adapter_and_results_below_the_run_prefix_on_s3(s3_endpoint, tmp_path):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    store = ArtifactStore("s3://artifacts/cohorts/ft/learners/ana/runs/r1")
    archive = tmp_path / "adapter.tar.gz"
    archive.write_bytes(b"\x1f\x8b adapter bytes")
    assert (
        store.put_file(archive, "adapter.tar.gz", "application/gzip")
        == "s3://artifacts/cohorts/ft/learners/ana/runs/r1/adapter.tar.gz"
    )
    assert store.put_bytes(b'{"status": "succeeded"}', "results.json").endswith("/runs/r1/results.json")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"])
    assert keys == ["cohorts/ft/learners/ana/runs/r1/adapter.tar.gz", "cohorts/ft/learners/ana/runs/r1/results.json"]
    head = s3.head_object(Bucket="artifacts", Key="cohorts/ft/learners/ana/runs/r1/adapter.tar.gz")
    assert head["ContentType"] == "application/gzip"


def test_fetches_an_uploaded_dataset_from_s3(s3_endpoint, tmp_path):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_object(Bucket="artifacts", Key="cohorts/ft/learners/ana/datasets/abc.jsonl", Body=b'{"messages": []}\n')
    local = fetch("s3://artifacts/cohorts/ft/learners/ana/datasets/abc.jsonl", tmp_path / "d.jsonl")
    assert local.read_bytes() == b'{"messages": []}\n'


def test_file_uris_write_below_the_folder(tmp_path):
    store = ArtifactStore((tmp_path / "out").as_uri())
    uri = store.put_bytes(b"{}", "results.json")
    assert uri == (tmp_path / "out" / "results.json").as_uri()
    assert (tmp_path / "out" / "results.json").read_bytes() == b"{}"
    assert os.path.isfile(fetch(uri, tmp_path / "copy.json"))
