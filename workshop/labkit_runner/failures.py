"""Turn what went wrong into words a learner can act on, and a machine-readable kind."""

from __future__ import annotations

from typing import Any

from .artifacts import ArtifactError
from .chat_format import ChatTemplateError
from .dataset import DatasetError
from .model_setup import ModelSetupError
from .run_spec import RunSpecError


def is_cuda_oom(error: BaseException) -> bool:
    """True for PyTorch's CUDA out-of-memory error, in any of the forms it takes."""
    import torch

    oom_type = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(error, oom_type):
        return True
    return isinstance(error, RuntimeError) and "CUDA out of memory" in str(error)


def oom_reason(granted_mib: float | None, spec: dict[str, Any] | None) -> str:
    """The quota message for a run that ran out of VRAM, with the changes most likely to make it fit."""
    limit = f"its VRAM limit of {granted_mib:g} MiB" if granted_mib else "the GPU memory it had"
    hints = []
    training = (spec or {}).get("training", {})
    if not training.get("gradientCheckpointing", True):
        hints.append("turn on gradient checkpointing (training.gradientCheckpointing: true)")
    micro = training.get("microBatchSize")
    if micro and micro > 1:
        accumulation = training.get("gradientAccumulationSteps", 1)
        hints.append(
            f"halve the micro batch (training.microBatchSize: {max(1, micro // 2)}, "
            f"and gradientAccumulationSteps: {accumulation * 2} to keep the effective batch)"
        )
    else:
        hints.append("use a smaller micro batch with more gradient accumulation")
    length = training.get("maxSeqLength")
    hints.append(
        f"shorten the sequences (training.maxSeqLength: {max(16, length // 2)})" if length else "use shorter sequences"
    )
    if (spec or {}).get("method") == "lora":
        hints.append("or train with method qlora (a 4-bit base)")
    return f"the run exceeded {limit}: " + "; ".join(hints)


def describe_failure(error: BaseException, granted_mib: float | None, spec: dict[str, Any] | None) -> tuple[str, str]:
    """(failureKind, reason) for an error that ended a run: oom, dataset, config or internal."""
    if is_cuda_oom(error):
        return "oom", oom_reason(granted_mib, spec)
    if isinstance(error, DatasetError):
        return "dataset", str(error)
    if isinstance(error, (RunSpecError, ModelSetupError, ChatTemplateError, ArtifactError)):
        return "config", str(error)
    return "internal", f"{type(error).__name__}: {error}"
