"""One fine-tuning run, start to finish: the RunSpec in, an adapter, results.json, events and a
termination message out. `main()` reads the environment the lab-controller sets on the Job."""

from __future__ import annotations

import json
import os
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .artifacts import ArtifactStore, fetch
from .chat_format import answer_of, ensure_pad_token, render_prompt, tokenize_for_training
from .dataset import DatasetError, DatasetProblem, load_conversations, sha256_of_file, split_train_test
from .events import EventSender
from .failures import describe_failure
from .memory import apply_vram_grant, memory_snapshot, peak_vram_mib
from .run_spec import parse_run_spec

if TYPE_CHECKING:
    from trl import SFTConfig

#: Default size limit of the termination message, bytes (Kubernetes keeps at most 4096;
#: LABKIT_TERMINATION_MESSAGE_MAX_BYTES overrides it).
TERMINATION_MESSAGE_MAX_BYTES = 4096
DEFAULT_DATASETS_DIR = "/opt/labkit/datasets"
DEFAULT_TERMINATION_LOG = "/dev/termination-log"
#: The smallest termination-message limit the runner accepts, bytes: room for runId, status and a shortened reason.
MIN_TERMINATION_MESSAGE_BYTES = 256


@dataclass
class RunnerSettings:
    """What the Job's environment tells the runner (see docs/workshop.md, "Runner contract")."""

    run_id: str
    spec_text: str
    artifacts_uri: str
    events_url: str | None = None
    token: str | None = None
    granted_vram_mib: float | None = None
    #: A local model folder that replaces the Hub id (tests and offline labs).
    model_path: str | None = None
    datasets_dir: str = DEFAULT_DATASETS_DIR
    termination_log: str = DEFAULT_TERMINATION_LOG
    #: Largest termination message the runner writes, bytes (default 4096, Kubernetes' own limit).
    termination_message_max_bytes: int = TERMINATION_MESSAGE_MAX_BYTES
    work_dir: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str]) -> RunnerSettings:
        """Read LABKIT_* variables; raise KeyError naming a missing required one."""
        missing = [name for name in ("LABKIT_RUN_ID", "LABKIT_RUN_SPEC", "LABKIT_ARTIFACTS_URI") if not env.get(name)]
        if missing:
            raise KeyError(
                f"missing environment variable(s) {', '.join(missing)}: the lab-controller sets them on the Job"
            )
        granted = env.get("LABKIT_GRANTED_VRAM_MIB")
        max_bytes = env.get("LABKIT_TERMINATION_MESSAGE_MAX_BYTES")
        if max_bytes is not None and not (
            max_bytes.strip().isdigit() and int(max_bytes) >= MIN_TERMINATION_MESSAGE_BYTES
        ):
            raise ValueError(
                f"LABKIT_TERMINATION_MESSAGE_MAX_BYTES={max_bytes!r}: expected a whole number of bytes "
                f"of at least {MIN_TERMINATION_MESSAGE_BYTES} (default {TERMINATION_MESSAGE_MAX_BYTES})"
            )
        return cls(
            run_id=env["LABKIT_RUN_ID"],
            spec_text=env["LABKIT_RUN_SPEC"],
            artifacts_uri=env["LABKIT_ARTIFACTS_URI"],
            events_url=env.get("LABKIT_EVENTS_URL") or None,
            token=env.get("LABKIT_RUN_TOKEN") or None,
            granted_vram_mib=float(granted) if granted else None,
            model_path=env.get("LABKIT_MODEL_PATH") or None,
            datasets_dir=env.get("LABKIT_DATASETS_DIR") or DEFAULT_DATASETS_DIR,
            termination_log=env.get("LABKIT_TERMINATION_LOG") or DEFAULT_TERMINATION_LOG,
            termination_message_max_bytes=int(max_bytes) if max_bytes is not None else TERMINATION_MESSAGE_MAX_BYTES,
            work_dir=env.get("LABKIT_WORK_DIR") or None,
        )


@dataclass
class RunState:
    """What a run has learned so far; a failed run still reports it."""

    spec: dict[str, Any] | None = None
    before: dict[str, Any] = field(default_factory=dict[str, Any])
    after: dict[str, Any] = field(default_factory=dict[str, Any])
    loss_series: list[Any] = field(default_factory=list[Any])
    samples: list[Any] = field(default_factory=list[Any])
    adapter: dict[str, Any] | None = None
    train_seconds: float | None = None
    train_examples: int | None = None
    eval_examples: int | None = None


def resolve_dataset_file(spec: dict[str, Any], settings: RunnerSettings, work_dir: Path) -> Path:
    """The local JSONL file of the run's dataset: a built-in one,
    or the upload fetched and checked against its sha256."""
    dataset = spec["dataset"]
    if dataset["source"] == "builtin":
        path = Path(settings.datasets_dir) / f"{dataset['name']}.jsonl"
        if not path.is_file():
            known = sorted(p.stem for p in Path(settings.datasets_dir).glob("*.jsonl"))
            raise DatasetError(
                [
                    DatasetProblem(
                        str(path),
                        0,
                        f"no built-in dataset named {dataset['name']!r}; "
                        f"built-in datasets: {', '.join(known) or 'none'}",
                    )
                ]
            )
        return path
    local = fetch(dataset["uri"], work_dir / "dataset.jsonl")
    actual = sha256_of_file(local)
    if actual != dataset["sha256"]:
        raise DatasetError(
            [
                DatasetProblem(
                    dataset["uri"],
                    0,
                    f"sha256 is {actual}, but the run spec expects {dataset['sha256']}: "
                    "the upload was changed or damaged; submit the run again",
                )
            ]
        )
    return local


def build_training_config(spec: dict[str, Any], output_dir: Path, on_gpu: bool) -> SFTConfig:
    """TRL SFTConfig from the RunSpec's training section (checkpointing, accumulation, optimizer, truncation)."""
    from trl import SFTConfig

    training = spec["training"]
    dtype = spec["quantization"]["computeDtype"]
    return SFTConfig(
        output_dir=str(output_dir),
        per_device_train_batch_size=training["microBatchSize"],
        gradient_accumulation_steps=training["gradientAccumulationSteps"],
        num_train_epochs=training["epochs"],
        max_steps=training.get("maxSteps", -1),
        learning_rate=training["learningRate"],
        warmup_steps=training["warmupRatio"],  # a float below 1 is a fraction of the total steps
        activation_checkpointing=training["gradientCheckpointing"],
        activation_checkpointing_kwargs={"use_reentrant": False} if training["gradientCheckpointing"] else None,
        optim=training["optimizer"],
        seed=training["seed"],
        max_length=training["maxSeqLength"],
        completion_only_loss=True,  # learn the answers, not the prompts
        bf16=on_gpu and dtype == "bfloat16",
        fp16=on_gpu and dtype == "float16",
        use_cpu=not on_gpu,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )


def archive_adapter(adapter_dir: Path, archive: Path) -> Path:
    """Pack the adapter folder's files (flat, no parent folder) into a gzip tarball."""
    with tarfile.open(archive, "w:gz") as tar:
        for item in sorted(adapter_dir.iterdir()):
            tar.add(item, arcname=item.name)
    return archive


def train_and_evaluate(
    settings: RunnerSettings, events: EventSender, state: RunState, store: ArtifactStore, work_dir: Path
) -> None:
    """The run itself; fills `state` as it goes and raises on any failure."""
    import torch
    from datasets import Dataset
    from trl import SFTTrainer

    from .evaluation import evaluate_model
    from .model_setup import CausalLM, build_lora_config, load_base_model, load_tokenizer, resolve_target_modules
    from .progress import ProgressReporter

    spec = state.spec = parse_run_spec(settings.spec_text)
    apply_vram_grant(settings.granted_vram_mib)
    on_gpu = torch.cuda.is_available()
    device = "cuda:0" if on_gpu else "cpu"

    conversations = load_conversations(resolve_dataset_file(spec, settings, work_dir))
    train, test = split_train_test(conversations, spec["dataset"]["testSplit"], spec["training"]["seed"])
    state.train_examples, state.eval_examples = len(train), len(test)

    events.phase("loading-model", f"{spec['baseModel']} ({spec['method']}, {spec['quantization']['bits']}-bit)")
    model_path = settings.model_path or spec["baseModel"]
    tokenizer = load_tokenizer(model_path)
    ensure_pad_token(tokenizer)
    model = load_base_model(model_path, spec, device)
    target_modules = resolve_target_modules(model, spec["lora"]["targetModules"])
    lora_config = build_lora_config(spec, target_modules)
    events.send("memory", **memory_snapshot())

    events.phase("evaluating-before")
    state.before, before_answers = evaluate_model(model, tokenizer, test, spec)
    events.send("metrics", stage="before", values=state.before)

    events.phase(
        "training",
        f"{len(train)} examples, "
        f"LoRA on {target_modules if isinstance(target_modules, str) else ', '.join(target_modules)}",
    )
    max_length = spec["training"]["maxSeqLength"]
    train_dataset = Dataset.from_list([tokenize_for_training(tokenizer, messages, max_length) for messages in train])
    reporter = ProgressReporter(events)
    trainer = SFTTrainer(
        model=model,
        args=build_training_config(spec, work_dir / "trainer", on_gpu),
        train_dataset=train_dataset,
        processing_class=tokenizer,
        peft_config=lora_config,
        callbacks=[reporter],
    )
    started = time.monotonic()
    try:
        trainer.train()
    finally:
        state.loss_series = reporter.loss_series
        state.train_seconds = round(time.monotonic() - started, 3)
    events.send("memory", **memory_snapshot())

    events.phase("evaluating-after")
    trained: CausalLM = trainer.model  # a PeftModel: SFTTrainer wrapped the base in the LoRA config
    state.after, after_answers = evaluate_model(trained, tokenizer, test, spec)
    events.send("metrics", stage="after", values=state.after)
    state.samples = [
        {
            "prompt": render_prompt(tokenizer, messages),
            "reference": answer_of(messages),
            "before": before,
            "after": after,
        }
        for messages, before, after in list(zip(test, before_answers, after_answers, strict=False))[
            : spec["evaluation"]["samples"]
        ]
    ]

    events.phase("uploading")
    adapter_dir = work_dir / "adapter"
    trained.save_pretrained(adapter_dir)  # a PeftModel saves only the adapter weights and config
    archive = archive_adapter(adapter_dir, work_dir / "adapter.tar.gz")
    uri = store.put_file(archive, "adapter.tar.gz", "application/gzip")
    state.adapter = {"uri": uri, "sha256": sha256_of_file(archive), "sizeBytes": archive.stat().st_size}


def build_result(
    settings: RunnerSettings, state: RunState, status: str, started: float, failure: tuple[str, str] | None
) -> dict[str, Any]:
    """The RunResult document (results.json)."""
    result = {
        "runId": settings.run_id,
        "status": status,
        "metrics": {"before": state.before, "after": state.after},
        "peakVramMiB": peak_vram_mib(),
        "lossSeries": state.loss_series,
        "samples": state.samples,
        "totalSeconds": round(time.monotonic() - started, 3),
    }
    if failure:
        result["failureKind"], result["reason"] = failure
    optional = {
        "grantedVramMiB": settings.granted_vram_mib,
        "adapter": state.adapter,
        "trainSeconds": state.train_seconds,
        "trainExamples": state.train_examples,
        "evalExamples": state.eval_examples,
    }
    result.update({key: value for key, value in optional.items() if value is not None})
    return result


def build_summary(
    result: dict[str, Any], results_uri: str | None, max_bytes: int = TERMINATION_MESSAGE_MAX_BYTES
) -> dict[str, Any]:
    """The termination message: the RunResult's essentials, at most `max_bytes` (default 4096) bytes of JSON.

    Over the limit, the reason is shortened first, then the least needed fields are dropped
    (before-metrics, final loss, after-metrics, the adapter's sha256); runId, status,
    peakVramMiB, failureKind and the URIs stay, so the controller can still finish the run.
    """
    summary = {"runId": result["runId"], "status": result["status"], "peakVramMiB": result["peakVramMiB"]}
    for key in ("reason", "failureKind"):
        if key in result:
            summary[key] = result[key]
    if result["metrics"]["before"]:
        summary["before"] = result["metrics"]["before"]
    if result["metrics"]["after"]:
        summary["after"] = result["metrics"]["after"]
    if "adapter" in result:
        summary["adapterUri"] = result["adapter"]["uri"]
        summary["adapterSha256"] = result["adapter"]["sha256"]
    if results_uri:
        summary["resultsUri"] = results_uri
    if result["lossSeries"]:
        summary["finalLoss"] = result["lossSeries"][-1]["loss"]

    def size() -> int:
        return len(json.dumps(summary).encode())

    while size() > max_bytes and len(summary.get("reason", "")) > 40:
        summary["reason"] = summary["reason"][: len(summary["reason"]) // 2] + "…"
    for key in ("before", "finalLoss", "after", "adapterSha256", "reason", "resultsUri", "adapterUri"):
        if size() <= max_bytes:
            break
        summary.pop(key, None)
    return summary


def write_termination_message(path: str, summary: dict[str, Any]) -> None:
    """Write the summary where Kubernetes reads the termination message; a local run without that file only warns."""
    try:
        Path(path).write_text(json.dumps(summary), encoding="utf-8")
    except OSError as error:
        print(f"labkit-runner: could not write the termination message to {path}: {error}", file=sys.stderr)


def run(settings: RunnerSettings, events: EventSender | None = None) -> int:
    """Run once; return the exit status (0 succeeded, 1 failed). Never raises for a failed run."""
    started = time.monotonic()
    events = events or EventSender(settings.events_url, settings.token)
    state = RunState()
    events.phase("starting", f"run {settings.run_id}")
    failure = None
    store = None
    with tempfile.TemporaryDirectory(prefix="labkit-run-", dir=settings.work_dir) as work:
        try:
            store = ArtifactStore(settings.artifacts_uri)
            train_and_evaluate(settings, events, state, store, Path(work))
        except Exception as error:  # every failure becomes a result the learner can read
            failure = describe_failure(error, settings.granted_vram_mib, state.spec)
            print(f"labkit-runner: run failed ({failure[0]}): {failure[1]}", file=sys.stderr)
            if failure[0] == "internal":
                import traceback

                traceback.print_exc()
    result = build_result(settings, state, "failed" if failure else "succeeded", started, failure)
    results_uri = None
    if store is not None:
        try:
            results_uri = store.put_bytes(json.dumps(result, indent=2).encode(), "results.json")
        except Exception as error:  # the summary below still reaches the controller
            print(f"labkit-runner: could not upload results.json: {error}", file=sys.stderr)
    summary = build_summary(result, results_uri, settings.termination_message_max_bytes)
    write_termination_message(settings.termination_log, summary)
    events.phase("failed" if failure else "succeeded", failure[1] if failure else None)
    print(json.dumps(summary))
    return 1 if failure else 0


def main(env: dict[str, str] | None = None) -> int:
    """Entry point of `python -m labkit_runner`: read the environment, run, return the exit status."""
    try:
        settings = RunnerSettings.from_env(dict(os.environ if env is None else env))
    except (KeyError, ValueError) as error:
        print(f"labkit-runner: {error.args[0] if error.args else error}", file=sys.stderr)
        return 1
    return run(settings)
