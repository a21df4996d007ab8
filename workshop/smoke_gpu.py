#!/usr/bin/env python3
"""GPU smoke test of the full-size path: 4-bit QLoRA on a real small model for a few steps,
adapter saved and reloaded, and the measured peak VRAM printed beside the estimator's prediction.

    python workshop/smoke_gpu.py [--model Qwen/Qwen2.5-0.5B-Instruct | --model /path/to/model]
                                 [--steps 10] [--batch 4] [--seq 512] [--r 16]

Needs a CUDA GPU and the model in the local Hugging Face cache (HF_HOME) or a local folder.
Exit status: 0 ok, 1 the smoke test failed, 2 no CUDA device or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("LABKIT_SCHEMA_DIR", str(REPO / "schema" / "generated"))

DEFAULT_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the smoke test."""
    parser = argparse.ArgumentParser(
        description="QLoRA smoke test on a CUDA GPU (train, save, reload, compare VRAM with the estimator)"
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="Hub id (from the local cache) or a local model folder (default %(default)s)",
    )
    parser.add_argument(
        "--model-id", help="Hub id to ask the estimator about when --model is a folder (default: --model)"
    )
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps (default %(default)s)")
    parser.add_argument("--batch", type=int, default=4, help="micro batch size (default %(default)s)")
    parser.add_argument("--grad-accum", type=int, default=2, help="gradient accumulation steps (default %(default)s)")
    parser.add_argument("--seq", type=int, default=512, help="max sequence length, tokens (default %(default)s)")
    parser.add_argument("--r", type=int, default=16, help="LoRA rank (default %(default)s)")
    parser.add_argument(
        "--dataset",
        type=Path,
        default=HERE / "datasets" / "k8s-troubleshooting.jsonl",
        help="JSONL dataset (default: the workshop's)",
    )
    args = parser.parse_args(argv)
    for name in ("steps", "batch", "grad_accum", "seq", "r"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def smoke_spec(args: argparse.Namespace) -> dict[str, Any]:
    """The resolved RunSpec the smoke test trains with (QLoRA, NF4, double quant, bf16 compute)."""
    model_id = args.model_id or (args.model if not Path(args.model).exists() else DEFAULT_MODEL)
    return {
        "exercise": "gpu-smoke",
        "baseModel": model_id,
        "method": "qlora",
        "lora": {"r": args.r, "alpha": 2 * args.r, "dropout": 0.05, "targetModules": "all-linear"},
        "quantization": {"bits": 4, "quantType": "nf4", "doubleQuant": True, "computeDtype": "bfloat16"},
        "training": {
            "maxSeqLength": args.seq,
            "microBatchSize": args.batch,
            "gradientAccumulationSteps": args.grad_accum,
            "epochs": 1,
            "maxSteps": args.steps,
            "learningRate": 2e-4,
            "gradientCheckpointing": True,
            "optimizer": "paged_adamw_32bit",
            "warmupRatio": 0.03,
            "seed": 42,
        },
        "dataset": {"source": "builtin", "name": args.dataset.stem, "testSplit": 0.05},
        "evaluation": {"metrics": ["perplexity", "rougeL", "bleu"], "samples": 2, "maxNewTokens": 64},
    }


def estimator_prediction(spec: dict[str, Any]) -> dict[str, Any] | None:
    """`labkit estimate --json` for the spec (totalMiB, breakdown), or None when node or the command is unavailable."""
    node = shutil.which("node")
    cli = REPO / "bin" / "labkit.js"
    if not node or not cli.is_file():
        return None
    t = spec["training"]
    command = [
        node,
        str(cli),
        "estimate",
        "--json",
        "--model",
        spec["baseModel"],
        "--method",
        spec["method"],
        "--r",
        str(spec["lora"]["r"]),
        "--seq",
        str(t["maxSeqLength"]),
        "--batch",
        str(t["microBatchSize"]),
        "--grad-accum",
        str(t["gradientAccumulationSteps"]),
        "--checkpointing",
        "--optimizer",
        t["optimizer"],
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        print(f"smoke: the estimator declined: {result.stderr.strip()[:300]}", file=sys.stderr)
        return None
    try:
        prediction: dict[str, Any] = json.loads(result.stdout)
        return prediction
    except json.JSONDecodeError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the smoke test; return the exit status."""
    args = parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print(
            "smoke: no CUDA device is visible (torch.cuda.is_available() is False): "
            "run this on a GPU machine; the CPU path is covered by `npm run test:python`",
            file=sys.stderr,
        )
        return 2
    from labkit_runner.runner import RunnerSettings, run

    spec = smoke_spec(args)
    with tempfile.TemporaryDirectory(prefix="labkit-smoke-") as work:
        work_dir = Path(work)
        settings = RunnerSettings(
            run_id="gpu-smoke",
            spec_text=json.dumps(spec),
            artifacts_uri=(work_dir / "artifacts").as_uri() + "/",
            model_path=args.model if Path(args.model).exists() else None,
            datasets_dir=str(args.dataset.parent),
            termination_log=str(work_dir / "termination-log"),
        )
        started = time.monotonic()
        status = run(settings)
        if status != 0:
            print("smoke: the run failed; see the reason above", file=sys.stderr)
            return 1
        results = json.loads((work_dir / "artifacts" / "results.json").read_text())

        import tarfile

        from labkit_client import ask, load_adapter

        adapter_dir = work_dir / "adapter"
        with tarfile.open(work_dir / "artifacts" / "adapter.tar.gz") as tar:
            tar.extractall(adapter_dir, filter="data")
        model, tokenizer = load_adapter(adapter_dir, base_model=args.model)
        answer = ask(
            model, tokenizer, "My pod is stuck in CrashLoopBackOff. What should I check first?", max_new_tokens=64
        )

    prediction = estimator_prediction(spec)
    print("\n=== labkit GPU smoke test ===")
    print(
        f"GPU: {torch.cuda.get_device_name(0)}, model: {args.model}, "
        f"{args.steps} steps in {time.monotonic() - started:.0f} s"
    )
    print(f"loss: {results['lossSeries'][0]['loss']:.4f} → {results['lossSeries'][-1]['loss']:.4f}")
    print(f"metrics before: {results['metrics']['before']}\nmetrics after:  {results['metrics']['after']}")
    print(f"adapter reloaded; it answers: {answer[:200]!r}")
    measured = results["peakVramMiB"]
    if prediction:
        ratio = measured / prediction["totalMiB"] if prediction["totalMiB"] else float("nan")
        print(
            f"peak VRAM: measured {measured:.0f} MiB, "
            f"estimator {prediction['totalMiB']} MiB (measured/predicted = {ratio:.2f})"
        )
    else:
        print(f"peak VRAM: measured {measured:.0f} MiB (estimator unavailable: node or `labkit estimate` not found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
