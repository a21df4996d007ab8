"""GPU memory: hold the process to its VRAM grant, and measure its peak."""

from __future__ import annotations

import torch

MIB = 1 << 20


def apply_vram_grant(granted_mib: float | None) -> float | None:
    """Cap PyTorch's allocator at the granted MiB on GPU 0;
    return the fraction set (None on a CPU or without a grant)."""
    if not granted_mib or not torch.cuda.is_available():
        return None
    total_mib = torch.cuda.get_device_properties(0).total_memory / MIB
    fraction = max(0.01, min(1.0, granted_mib / total_mib))
    # Under HAMi the device already reports only the slice, and the fraction is then 1.0; under
    # exclusive or time-sliced sharing this makes PyTorch fail with a clean OOM at the grant.
    torch.cuda.set_per_process_memory_fraction(fraction, 0)
    return fraction


def memory_snapshot() -> dict[str, float]:
    """allocatedMiB, reservedMiB and peakMiB of GPU 0 now (zeros on a CPU)."""
    if not torch.cuda.is_available():
        return {"allocatedMiB": 0, "reservedMiB": 0, "peakMiB": 0}
    return {
        "allocatedMiB": round(torch.cuda.memory_allocated() / MIB, 1),
        "reservedMiB": round(torch.cuda.memory_reserved() / MIB, 1),
        "peakMiB": round(torch.cuda.max_memory_reserved() / MIB, 1),
    }


def peak_vram_mib() -> float:
    """Highest memory PyTorch reserved on GPU 0 so far, MiB (0 on a CPU)."""
    return memory_snapshot()["peakMiB"]
