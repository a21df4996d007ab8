/**
 * Where a run goes: the memory it is granted on a GPU in each sharing mode, and best-fit choice
 * among the GPUs by each GPU's own free memory (never by a cluster total).
 */
import type { GpuState } from "./types";

/**
 * Headroom added to a run's estimate when it gets a HAMi slice, MiB. HAMi-core counts the
 * process's primary CUDA context against `nvidia.com/gpumem` (src/cuda/context.c
 * `cuDevicePrimaryCtxRetain` adds the context size it measures at start), and the context takes
 * 300–600 MiB per process on CUDA 12; the rest covers allocator slack at the peak.
 */
export const HAMI_CUDA_CONTEXT_HEADROOM_MIB = 1024;

/**
 * GPU memory of every HAMi GPU that is never granted, MiB. HAMi-core's limits miss some
 * allocation calls (HAMi-core #79: "some device memory allocation API are not counted"; HAMi
 * #1196: `cuCtxCreate` and NCCL's `cuMemCreate`), so a GPU whose slices add up to its whole
 * memory can still run out; HAMi-core itself holds under 300 MiB at start (#79). The figure is an
 * assumption until `workshop/smoke_gpu.py` measures it on a GPU (docs/assumptions.md).
 */
export const HAMI_GPU_RESERVE_MIB = 1024;

/** Memory of `gpu` that grants may use, MiB: all of it, less HAMi's per-GPU reserve on `hami` GPUs. */
export function grantableMiB(gpu: GpuState): number {
  return gpu.mode === "hami" ? gpu.totalMiB - HAMI_GPU_RESERVE_MIB : gpu.totalMiB;
}

/** Memory a run requesting `requestMiB` is granted on `gpu`, MiB; undefined when no slot of it could ever hold the run. */
export function grantFor(gpu: GpuState, requestMiB: number): number | undefined {
  if (gpu.mode === "exclusive") return requestMiB <= gpu.totalMiB ? gpu.totalMiB : undefined;
  if (gpu.mode === "mig") {
    const slice = gpu.migProfileMiB ?? gpu.totalMiB;
    return requestMiB <= slice ? slice : undefined;
  }
  const granted = requestMiB + HAMI_CUDA_CONTEXT_HEADROOM_MIB;
  return granted <= grantableMiB(gpu) ? granted : undefined;
}

/** Memory of `gpu` not granted to any run, MiB (HAMi's per-GPU reserve is never free). */
export function freeMiB(gpu: GpuState): number {
  return grantableMiB(gpu) - gpu.allocations.reduce((sum, a) => sum + a.grantedMiB, 0);
}

/** Whether `gpu` has room now for a grant of `grantedMiB`. */
export function hasRoom(gpu: GpuState, grantedMiB: number): boolean {
  if (gpu.mode === "exclusive") return gpu.allocations.length === 0;
  if (gpu.mode === "mig") return gpu.allocations.length < (gpu.migSlots ?? 1);
  return freeMiB(gpu) >= grantedMiB;
}

/** A stable key for a GPU: `node/index`. */
export function gpuKey(gpu: Pick<GpuState, "node" | "index">): string {
  return `${gpu.node}/${gpu.index}`;
}

/**
 * The GPU a run should go to now: among GPUs with room, the one left with the least free memory
 * after the grant (best fit keeps large holes for large runs); ties go to the smaller
 * node name, then index. Undefined when no GPU has room now.
 */
export function bestFit(
  gpus: readonly GpuState[],
  requestMiB: number,
  excluded: ReadonlySet<string> = new Set(),
): { gpu: GpuState; grantedMiB: number } | undefined {
  let best: { gpu: GpuState; grantedMiB: number; leftMiB: number } | undefined;
  for (const gpu of gpus) {
    if (excluded.has(gpuKey(gpu))) continue;
    const grantedMiB = grantFor(gpu, requestMiB);
    if (grantedMiB === undefined || !hasRoom(gpu, grantedMiB)) continue;
    const leftMiB = freeMiB(gpu) - grantedMiB;
    const better =
      !best ||
      leftMiB < best.leftMiB ||
      (leftMiB === best.leftMiB &&
        (gpu.node < best.gpu.node || (gpu.node === best.gpu.node && gpu.index < best.gpu.index)));
    if (better) best = { gpu, grantedMiB, leftMiB };
  }
  return best && { gpu: best.gpu, grantedMiB: best.grantedMiB };
}

/** The most memory any single slot of the inventory could ever give one run, MiB (0 when empty). */
export function largestSlotMiB(gpus: readonly GpuState[]): number {
  return gpus.reduce((max, gpu) => {
    const slot =
      gpu.mode === "mig"
        ? (gpu.migProfileMiB ?? gpu.totalMiB)
        : gpu.mode === "hami"
          ? grantableMiB(gpu) - HAMI_CUDA_CONTEXT_HEADROOM_MIB
          : gpu.totalMiB;
    return Math.max(max, slot);
  }, 0);
}
