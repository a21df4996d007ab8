"""The lab-controller's HTTP API, as a learner uses it from a notebook."""

from __future__ import annotations

import base64
import hashlib
import os
import tarfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from transformers import PreTrainedTokenizerBase

    from labkit_runner.model_setup import CausalLM

FINAL_STATES = ("succeeded", "failed", "cancelled")


class LabkitError(RuntimeError):
    """The controller refused a request or a run did not succeed; `status` is the HTTP status (0 for none),
    `body` the controller's JSON answer."""

    def __init__(self, message: str, status: int = 0, body: dict[str, Any] | None = None):
        self.status = status
        self.body = body or {}
        super().__init__(message)


class RunRefused(LabkitError):
    """The controller refused a run (422): it can never run as submitted. `reason` says why;
    `suggestions` are configs that fit, nearest first."""

    def __init__(self, message: str, status: int, body: dict[str, Any]):
        super().__init__(message, status, body)
        self.reason: str = body.get("reason", "")
        #: [{"change": "turn gradient checkpointing on", "spec": {...}, "totalMiB": 9120}, ...]
        self.suggestions: list[dict[str, Any]] = body.get("suggestions", [])
        self.estimate: dict[str, Any] = body.get("estimate", {})
        self.quota_mib: int | None = body.get("quotaMiB")


def describe_suggestions(suggestions: list[dict[str, Any]]) -> str:
    """One line per suggested change that fits: `- <change> (about <totalMiB> MiB)`; empty without suggestions."""
    return "\n".join(
        f"- {s.get('change', '?')} (about {s['totalMiB']:,} MiB)" if "totalMiB" in s else f"- {s.get('change', '?')}"
        for s in suggestions
    )


def _error(response: requests.Response) -> LabkitError:
    """The exception for an error answer. The controller answers `{error, problems?}`, or for a refused run (422)
    `{decision: "refused", reason, estimate, quotaMiB, suggestions}` (docs/api.md)."""
    try:
        body = response.json()
    except ValueError:
        return LabkitError(f"{response.status_code} {response.reason}: {response.text[:500]}", response.status_code)
    if not isinstance(body, dict):
        return LabkitError(f"{response.status_code} {response.reason}", response.status_code)
    if response.status_code == 422 and body.get("decision") == "refused":
        text = f"run refused: {body.get('reason', 'no reason given')}"
        if body.get("suggestions"):
            text += (
                "\nChanges that would fit (resubmit with one; the full specs are in .suggestions):\n"
                + describe_suggestions(body["suggestions"])
            )
        return RunRefused(text, response.status_code, body)
    text = body.get("error") or f"{response.status_code} {response.reason}"
    problems = body.get("problems") or []
    if problems and not all(problem in text for problem in problems):
        text += "\n" + "\n".join(f"- {problem}" for problem in problems)
    return LabkitError(text, response.status_code, body)


class LabkitClient:
    """Talks to the lab-controller with the learner's token; every method returns plain JSON data."""

    def __init__(
        self, api_url: str, token: str, session: requests.Session | None = None, timeout_seconds: float = 30.0
    ):
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()
        self.timeout_seconds = timeout_seconds

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> LabkitClient:
        """A client for LABKIT_API_URL with LABKIT_TOKEN (both set in every lab).

        LABKIT_API_URL is the controller's base URL without `/v1`: in a lab the in-cluster Service
        (`http://lab-controller.labkit-system.svc.cluster.local:8080`), from outside the gateway's
        `https://<domain>/api`; the client appends `/v1/...` to either.
        """
        env = dict(os.environ if env is None else env)
        missing = [name for name in ("LABKIT_API_URL", "LABKIT_TOKEN") if not env.get(name)]
        if missing:
            raise LabkitError(
                f"{' and '.join(missing)} not set: labs set them; "
                "elsewhere export them or use LabkitClient(api_url, token)"
            )
        return cls(env["LABKIT_API_URL"], env["LABKIT_TOKEN"])

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.session.request(
                method,
                f"{self.api_url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout_seconds,
            )
        except requests.RequestException as error:
            raise LabkitError(f"cannot reach the lab-controller at {self.api_url}: {error}") from error
        if response.status_code >= 400:
            raise _error(response)
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer

    @staticmethod
    def _spec(exercise: str | None, overrides: dict[str, Any]) -> dict[str, Any]:
        spec = {key: value for key, value in overrides.items() if value is not None}
        if exercise is not None:
            spec["exercise"] = exercise
        return spec

    def estimate(self, exercise: str | None = None, **overrides: Any) -> dict[str, Any]:
        """Dry run (nothing is stored): the controller's answer
        `{fits, spec, estimate: {totalMiB, breakdown}, quotaMiB, largestSlotMiB, reason?, suggestions}`."""
        return self._request("POST", "/v1/estimate", {"spec": self._spec(exercise, overrides)})

    def upload_dataset(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Check a local JSONL file (the runner's own checks) and upload it to the controller, which keeps it in
        your area of the artifact bucket. Returns `{id, name, sha256, examples, sizeBytes, ...}`; a run names it
        by that id (`submit(dataset_id=...)`). The same file uploaded again keeps its first id."""
        from labkit_runner.dataset import load_conversations

        path = Path(path)
        load_conversations(path)  # the same checks the runner makes, before anything is uploaded
        return self._request(
            "POST",
            "/v1/datasets",
            {"name": path.name, "contentBase64": base64.b64encode(path.read_bytes()).decode("ascii")},
        )

    def datasets(self) -> list[dict[str, Any]]:
        """Your uploaded datasets, newest first: [{id, name, sha256, examples, sizeBytes, createdAt}]."""
        datasets: list[dict[str, Any]] = self._request("GET", "/v1/datasets")["datasets"]
        return datasets

    def submit(
        self,
        exercise: str,
        dataset: str | os.PathLike[str] | None = None,
        dataset_settings: dict[str, Any] | None = None,
        dataset_id: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Start a run of an exercise, optionally on a local JSONL file (checked, then uploaded with
        `upload_dataset`) or on one of your uploads by `dataset_id`.

        `dataset_settings` sets fields of the spec's `dataset` section (e.g. `{"testSplit": 0.2}`;
        default none: the exercise's), which the `dataset` file argument would otherwise shadow.

        Returns the run (`id`, `state` starting or queued, `queuePosition`, ...) with the controller's
        `decision` ("admitted" or "queued") added. Raises `RunRefused` when the run can never fit,
        with the reason and the changes that would.
        """
        if dataset is not None and dataset_id is not None:
            raise LabkitError("give either a dataset file or a dataset_id, not both")
        spec = self._spec(exercise, overrides)
        if dataset_settings:
            spec["dataset"] = dict(dataset_settings)
        if dataset is not None:
            dataset_id = self.upload_dataset(dataset)["id"]
        if dataset_id is not None:
            # The controller resolves the file's location and sha256 from its own record of the upload.
            spec["dataset"] = {**spec.get("dataset", {}), "source": "upload", "id": dataset_id}
        answer = self._request("POST", "/v1/runs", {"spec": spec})  # {decision, reason?, run}
        run = dict(answer["run"])
        run["decision"] = answer["decision"]
        if answer.get("reason") and not run.get("reason"):
            run["reason"] = answer["reason"]
        return run

    def runs(self) -> list[dict[str, Any]]:
        """Your runs, newest first."""
        runs: list[dict[str, Any]] = self._request("GET", "/v1/runs")["runs"]
        return runs

    def run(self, run_id: str) -> dict[str, Any]:
        """One run as the controller sees it now."""
        return self._request("GET", f"/v1/runs/{run_id}")

    def cancel(self, run_id: str) -> dict[str, Any]:
        """Cancel a queued or running run."""
        return self._request("DELETE", f"/v1/runs/{run_id}")

    def loss(self, run_id: str) -> list[dict[str, Any]]:
        """The training loss so far: [{step, loss, learningRate}], in step order."""
        points = self._request("GET", f"/v1/runs/{run_id}/loss")["points"]
        return sorted(points, key=lambda point: point["step"])

    def wait(
        self, run_id: str, poll_seconds: float = 5.0, timeout_seconds: float | None = None, progress: bool = True
    ) -> dict[str, Any]:
        """Poll a run until it ends, with a progress bar of its training steps; return the final run."""
        from tqdm.auto import tqdm

        bar = tqdm(total=None, unit="step", desc=run_id, disable=not progress)
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        try:
            while True:
                run = self.run(run_id)
                total = run.get("totalSteps")
                if total and bar.total != total:
                    bar.total = total
                if run.get("step") is not None and run["step"] > bar.n:
                    bar.update(run["step"] - bar.n)
                status = run["state"] if run["state"] != "queued" else f"queued #{run.get('queuePosition', '?')}"
                postfix = {"state": status}
                if run.get("phase"):
                    postfix["phase"] = run["phase"]
                if run.get("lastLoss") is not None:
                    postfix["loss"] = f"{run['lastLoss']:.4f}"
                bar.set_postfix(postfix, refresh=True)
                if run["state"] in FINAL_STATES:
                    return run
                if deadline is not None and time.monotonic() > deadline:
                    raise LabkitError(
                        f"run {run_id} is still {run['state']} after {timeout_seconds:g} s; wait() again or cancel() it"
                    )
                time.sleep(poll_seconds)
        finally:
            bar.close()

    def artifacts(self, run_id: str) -> dict[str, str]:
        """Download links of the run's files by name (adapter.tar.gz, results.json); they expire after an hour."""
        # {artifactsUri, artifacts: [{name, sizeBytes, url, expiresAt}]}
        return {link["name"]: link["url"] for link in self._request("GET", f"/v1/runs/{run_id}/artifacts")["artifacts"]}

    def _download(self, url: str, destination: Path) -> Path:
        # Presigned S3 URLs carry their own signature: no bearer token for them.
        with self.session.get(url, stream=True, timeout=self.timeout_seconds) as response:
            if response.status_code >= 400:
                raise LabkitError(
                    f"download failed ({response.status_code}): the link may have expired; ask again",
                    response.status_code,
                )
            destination.parent.mkdir(parents=True, exist_ok=True)
            with destination.open("wb") as out:
                for chunk in response.iter_content(1 << 20):
                    out.write(chunk)
        return destination

    def results(self, run_id: str) -> dict[str, Any]:
        """The run's results.json: metrics before and after, loss series, samples, peak VRAM, adapter."""
        links = self.artifacts(run_id)
        if "results.json" not in links:
            raise LabkitError(f"run {run_id} has no results.json yet: wait() for it to finish")
        response = self.session.get(links["results.json"], timeout=self.timeout_seconds)
        if response.status_code >= 400:
            raise LabkitError(f"results.json download failed ({response.status_code})", response.status_code)
        results: dict[str, Any] = response.json()
        return results

    def download_adapter(self, run_id: str, directory: str | os.PathLike[str] | None = None) -> Path:
        """Download, verify (sha256 from results.json) and unpack the run's adapter; return its folder."""
        links = self.artifacts(run_id)
        if "adapter.tar.gz" not in links:
            raise LabkitError(f"run {run_id} has no adapter: only succeeded runs produce one")
        target = Path(directory or Path("adapters") / run_id)
        archive = self._download(links["adapter.tar.gz"], target.parent / f"{target.name}.tar.gz")
        expected = self.results(run_id).get("adapter", {}).get("sha256")
        actual = hashlib.sha256(archive.read_bytes()).hexdigest()
        if expected and actual != expected:
            raise LabkitError(
                f"the adapter download is damaged: sha256 {actual}, results.json says {expected}; download again"
            )
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        return target

    def plot_loss(self, run_id: str, ax: Axes | None = None) -> Axes:
        """Plot the run's training loss against the step; return the matplotlib Axes."""
        from .plotting import plot_loss_series

        return plot_loss_series(self.loss(run_id), title=f"run {run_id}", ax=ax)

    def load_adapter(
        self, run_id: str, base_model: str | None = None, model_path: str | None = None
    ) -> tuple[CausalLM, PreTrainedTokenizerBase]:
        """Download the run's adapter and load it on its base model with PEFT; return (model, tokenizer)."""
        from .adapters import load_adapter

        run = self.run(run_id)
        return load_adapter(
            self.download_adapter(run_id), base_model=model_path or base_model or run["spec"]["baseModel"]
        )
