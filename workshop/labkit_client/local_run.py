"""Run the runner inside the lab, without a controller: for notebooks in CI mode and for labs
with their own GPU. It is the same code the Job runs, with a `file://` artifacts folder."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any


def run_local(
    spec: dict[str, Any],
    dataset: str | os.PathLike[str] | None = None,
    model_path: str | None = None,
    runs_dir: str | os.PathLike[str] = "runs",
    datasets_dir: str | None = None,
) -> dict[str, Any]:
    """Run a complete RunSpec here; return {id, state, artifactsDir, summary, results}.
    `dataset` overrides the spec's with a local JSONL file."""
    from labkit_runner.dataset import sha256_of_file
    from labkit_runner.events import EventSender
    from labkit_runner.runner import RunnerSettings, run

    run_id = uuid.uuid4().hex[:12]
    artifacts = Path(runs_dir).resolve() / run_id
    artifacts.mkdir(parents=True, exist_ok=True)
    spec = json.loads(json.dumps(spec))
    if dataset is not None:
        path = Path(dataset).resolve()
        spec["dataset"] = {
            **spec["dataset"],
            "source": "upload",
            "name": path.name,
            "uri": path.as_uri(),
            "sha256": sha256_of_file(path),
        }
    settings = RunnerSettings(
        run_id=run_id,
        spec_text=json.dumps(spec),
        artifacts_uri=artifacts.as_uri() + "/",
        model_path=model_path,
        datasets_dir=datasets_dir
        or os.environ.get("LABKIT_DATASETS_DIR")
        or str(Path(__file__).resolve().parents[1] / "datasets"),
        termination_log=str(artifacts / "termination-message.json"),
    )
    status = run(settings, EventSender(None, None))
    results = json.loads((artifacts / "results.json").read_text())
    summary = json.loads((artifacts / "termination-message.json").read_text())
    return {
        "id": run_id,
        "state": "succeeded" if status == 0 else "failed",
        "artifactsDir": str(artifacts),
        "summary": summary,
        "results": results,
    }
