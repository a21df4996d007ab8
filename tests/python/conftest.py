"""Shared fixtures: the tiny model (built once per session), the generated JSON Schemas, a local
events server, and one complete QLoRA run of the runner that several tests inspect."""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "workshop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["LABKIT_SCHEMA_DIR"] = str(REPO / "schema" / "generated")

DATASET = REPO / "workshop" / "datasets" / "k8s-troubleshooting.jsonl"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer Llama (hidden size 64) and a BPE tokenizer trained on the workshop dataset."""
    from tiny_model import build_tiny_model

    return build_tiny_model(DATASET, tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def schema_validator(name: str):
    import jsonschema

    schema = json.loads((REPO / "schema" / "generated" / f"{name}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def assert_valid(document, schema_name: str) -> None:
    """Fail with every schema violation listed."""
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in schema_validator(schema_name).iter_errors(document)]
    assert problems == [], f"{schema_name} violations: {problems}"


def tiny_spec(method: str = "qlora", **sections) -> dict:
    """A complete, resolved RunSpec sized for the tiny model on a CPU."""
    spec: dict[str, Any] = {
        "exercise": "qlora-challenge",
        "baseModel": "Qwen/Qwen2.5-0.5B-Instruct",
        "method": method,
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "targetModules": "all-linear"},
        "quantization": {
            "bits": 4 if method == "qlora" else 16,
            "quantType": "nf4",
            "doubleQuant": True,
            "computeDtype": "bfloat16" if method == "qlora" else "float32",
        },
        "training": {
            "maxSeqLength": 192,
            "microBatchSize": 4,
            "gradientAccumulationSteps": 2,
            "epochs": 1,
            "maxSteps": 3,
            "learningRate": 0.003,
            "gradientCheckpointing": True,
            "optimizer": "paged_adamw_32bit",
            "warmupRatio": 0.0,
            "seed": 7,
        },
        "dataset": {"source": "builtin", "name": "k8s-troubleshooting", "testSplit": 0.04},
        "evaluation": {"metrics": ["perplexity", "rougeL", "bleu"], "samples": 2, "maxNewTokens": 8},
    }
    for section, values in sections.items():
        spec[section] = {**spec[section], **values} if isinstance(values, dict) else values
    return spec


class EventServer:
    """A loopback HTTP server that records runner events; `fail_first` answers 503 that many times."""

    def __init__(self, fail_first: int = 0):
        self.events: list[dict] = []
        self.auth_headers: list[str] = []
        self.fail_first = fail_first
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if received.fail_first > 0:
                    received.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                received.events.append(json.loads(body))
                received.auth_headers.append(self.headers.get("Authorization", ""))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/runs/run1/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def event_server():
    server = EventServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def qlora_run(tiny_model_dir, tmp_path_factory):
    """One complete 4-bit QLoRA run of the runner (in this process), with events posted to a local server."""
    from labkit_runner.runner import RunnerSettings, run

    out = tmp_path_factory.mktemp("qlora-run")
    server = EventServer()
    settings = RunnerSettings(
        run_id="run1",
        spec_text=json.dumps(tiny_spec("qlora")),
        artifacts_uri=(out / "artifacts").as_uri() + "/",
        events_url=server.url,
        token="secret-run-token",
        granted_vram_mib=8000,
        model_path=str(tiny_model_dir),
        datasets_dir=str(REPO / "workshop" / "datasets"),
        termination_log=str(out / "termination-log"),
    )
    status = run(settings)
    server.close()
    return {
        "status": status,
        "out": out,
        "artifacts": out / "artifacts",
        "events": server.events,
        "auth": server.auth_headers,
        "settings": settings,
    }
