"""A small stand-in for the lab-controller's HTTP API, with the real controller's routes, status
codes and bodies for the endpoints the client uses (docs/api.md, lab-controller/server/):
bearer-token auth (401 `{error}`), estimate (`{fits, estimate: {totalMiB, breakdown}, quotaMiB,
reason?, suggestions: [{change, spec, totalMiB}]}`), dataset uploads (201 `{id, name, sha256,
examples, sizeBytes, ...}`) and their list `{datasets}`, submit (201 admitted / 202 queued
`{decision, reason?, run}`, 422 `{decision: "refused", reason, estimate, quotaMiB, suggestions}`,
400 `{error, problems}`), runs `{runs}`, 404 `{error}` for a run that is not yours, loss
`{points}`, artifacts `{artifactsUri, artifacts: [{name, sizeBytes, url, expiresAt}]}`, and the
`/api/v1/...` prefix the gateway forwards. Presigned downloads refuse a bearer token, as S3 does.
The estimate and the run timeline are made up; tests/python/test_client_against_controller.py
checks the client against the real controller."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LIMIT_MIB = 16384


def estimate_mib(spec: dict) -> int:
    """A made-up but monotonic estimate: 3000 MiB plus 1500 MiB per micro-batch example."""
    return 3000 + 1500 * spec.get("training", {}).get("microBatchSize", 4)


def fit_report(spec: dict) -> dict:
    """The estimate answer, shaped as the controller's FitReport; a run over the quota gets one suggestion."""
    total = estimate_mib(spec)
    report = {
        "fits": total <= LIMIT_MIB,
        "spec": spec,
        "estimate": {"totalMiB": total, "breakdown": {"baseWeights": 1200, "activations": total - 1200}},
        "quotaMiB": LIMIT_MIB,
        "largestSlotMiB": 46068,
        "suggestions": [],
    }
    if total > LIMIT_MIB:
        report["reason"] = (
            f"the run needs about {total / 1024:.1f} GiB of GPU memory, "
            f"more than your quota of {LIMIT_MIB / 1024:.1f} GiB"
        )
        fitting = {
            **spec,
            "training": {**spec.get("training", {}), "microBatchSize": 4, "gradientAccumulationSteps": 8},
        }
        report["suggestions"] = [
            {
                "change": "micro batch 4 with gradient accumulation 8 (same effective batch)",
                "spec": fitting,
                "totalMiB": estimate_mib(fitting),
            }
        ]
    return report


class FakeController:
    def __init__(self, token: str = "learner-token"):
        self.token = token
        self.requests: list[tuple[str, str, dict | None]] = []
        self.runs: dict[str, dict] = {}
        #: Uploaded files by dataset id (`POST /v1/datasets`), and their records as the controller answers them.
        self.uploads: dict[str, bytes] = {}
        self.datasets: list[dict] = []
        self.files: dict[str, bytes] = {}
        #: True: submits are admitted at once (201, state starting, on GPU 0 of a node); False: queued at #2 (202).
        self.admit = False
        self.timeline: list[dict] = [
            {"state": "queued", "queuePosition": 2},
            {"state": "starting", "phase": "starting"},
            {"state": "running", "phase": "training", "step": 1, "totalSteps": 3, "lastLoss": 2.5},
            {"state": "running", "phase": "training", "step": 3, "totalSteps": 3, "lastLoss": 1.9},
            {"state": "succeeded", "phase": "succeeded", "step": 3, "totalSteps": 3, "lastLoss": 1.9},
        ]
        self.loss_points = [
            {"step": 2, "loss": 2.1, "learningRate": 0.0002},
            {"step": 1, "loss": 2.5, "learningRate": 0.0001},
            {"step": 3, "loss": 1.9, "learningRate": 0.0001},
        ]
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length)) if length else None

            def _handle(self, method: str) -> None:
                body: Any = self._body() if method == "POST" else None  # the parsed JSON request
                if self.path.startswith("/api/v1/"):
                    self.path = self.path[len("/api") :]
                controller.requests.append((method, self.path, body))
                if self.path.startswith("/s3/"):
                    if self.headers.get("Authorization"):
                        return self._send(400, {"error": "Only one auth mechanism allowed"})
                    name = self.path[4:].split("?")[0]
                    return (
                        self._send(200, controller.files[name])
                        if name in controller.files
                        else self._send(404, {"error": "NoSuchKey"})
                    )
                if self.headers.get("Authorization") != f"Bearer {controller.token}":
                    return self._send(
                        401,
                        {
                            "error": "missing or unknown token: send `Authorization: "
                            "Bearer <your token>` (your token is in your lab's welcome page)"
                        },
                    )
                path = self.path.split("?")[0]
                if method == "POST" and path == "/v1/datasets":
                    content = base64.b64decode(body["contentBase64"])
                    dataset_id = f"ds-{'abcdefghijkl'[len(controller.uploads) % 12] * 12}"
                    controller.uploads[dataset_id] = content
                    upload = {
                        "id": dataset_id,
                        "learnerId": "ana",
                        "name": body["name"],
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "examples": sum(1 for line in content.splitlines() if line.strip()),
                        "sizeBytes": len(content),
                        "createdAt": "2026-12-07T09:00:00Z",
                    }
                    controller.datasets.append(upload)
                    return self._send(201, upload)
                if method == "GET" and path == "/v1/datasets":
                    return self._send(200, {"datasets": list(reversed(controller.datasets))})
                if method == "POST" and path in ("/v1/estimate", "/v1/runs"):
                    spec = body["spec"]
                    if spec.get("training", {}).get("microBatchSize", 4) < 1:
                        problem = "spec.training.microBatchSize: Too small: expected number to be >=1"
                        return self._send(
                            400, {"error": f"the run spec is not valid: {problem}", "problems": [problem]}
                        )
                    fit = fit_report(spec)
                if method == "POST" and path == "/v1/estimate":
                    return self._send(200, fit)
                if method == "POST" and path == "/v1/runs":
                    if not fit["fits"]:
                        return self._send(
                            422,
                            {
                                "decision": "refused",
                                "reason": fit["reason"],
                                "estimate": fit["estimate"],
                                "quotaMiB": fit["quotaMiB"],
                                "suggestions": fit["suggestions"],
                            },
                        )
                    total = fit["estimate"]["totalMiB"]
                    run_id = f"r{len(controller.runs) + 1:011d}"
                    run = {
                        "id": run_id,
                        "learnerId": "ana",
                        "exercise": spec["exercise"],
                        "state": "queued",
                        "queuePosition": 2,
                        "reason": "no GPU has 9000 MiB free",
                        "spec": spec,
                        "estimate": {"totalMiB": total, "breakdown": {}},
                        "createdAt": "2026-12-07T09:00:00Z",
                        "attempts": 0,
                        "_polls": 0,
                    }
                    controller.runs[run_id] = run
                    if controller.admit:
                        run.update(
                            {
                                "state": "starting",
                                "phase": "starting",
                                "grantedMiB": total,
                                "placement": {"node": "ip-10-0-1-23.ec2.internal", "gpuIndex": 0},
                            }
                        )
                        for key in ("queuePosition", "reason"):
                            run.pop(key)
                        return self._send(201, {"decision": "admitted", "run": _public(run)})
                    return self._send(202, {"decision": "queued", "reason": run["reason"], "run": _public(run)})
                if method == "GET" and path == "/v1/runs":
                    return self._send(200, {"runs": [_public(r) for r in reversed(controller.runs.values())]})
                match = re.fullmatch(r"/v1/runs/([a-z0-9]+)(/loss|/artifacts)?", path)
                if not match or match.group(1) not in controller.runs:
                    return self._send(404, {"error": f"run `{path.split('/')[3]}` not found among your runs"})
                run = controller.runs[match.group(1)]
                if method == "DELETE":
                    run["state"] = "cancelled"
                    return self._send(200, _public(run))
                if match.group(2) == "/loss":
                    return self._send(200, {"points": controller.loss_points})
                if match.group(2) == "/artifacts":
                    base = f"http://127.0.0.1:{controller.server.server_port}/s3/"
                    return self._send(
                        200,
                        {
                            "artifactsUri": f"s3://bucket/runs/{run['id']}/",
                            "artifacts": [
                                {
                                    "name": n,
                                    "sizeBytes": len(b),
                                    "url": f"{base}{n}?X-Amz-Signature=abc",
                                    "expiresAt": "2026-12-07T10:00:00Z",
                                }
                                for n, b in controller.files.items()
                            ],
                        },
                    )
                if run["state"] != "cancelled":
                    step = controller.timeline[min(run["_polls"], len(controller.timeline) - 1)]
                    run["_polls"] += 1
                    run.pop("queuePosition", None)
                    run.update(step)
                return self._send(200, _public(run))

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()  # a quick shutdown() per test

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _public(run: dict) -> dict:
    return {k: v for k, v in run.items() if not k.startswith("_")}
