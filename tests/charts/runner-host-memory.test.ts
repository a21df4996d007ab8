import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GPU_NODE_DAEMON_RESERVE_MIB, runnerHostMemoryMiB } from "../../charts/runner-job";
import { bestFit } from "../../core/scheduler";
import type { GpuState } from "../../core/scheduler/types";
import { nodeAllocatableMemoryMiB, quantityMiB } from "../../lab-controller/cluster/gpu-inventory";

/** A g6e.xlarge as EKS reports it: one L40S, about 29 GiB of allocatable memory of its 32. */
const G6E_XLARGE_ALLOCATABLE_MIB = quantityMiB("30408704Ki") as number;
const L40S_MIB = 46068;

describe("a runner's host memory", () => {
  it("reads the kubelet's allocatable memory, or 90% of the instance type's memory for a node not yet reported", () => {
    expect(quantityMiB("32Gi")).toBe(32768);
    expect(quantityMiB("30408704Ki")).toBeCloseTo(29696, 0);
    expect(quantityMiB("34359738368")).toBe(32768);
    expect(quantityMiB("lots")).toBeUndefined();
    expect(nodeAllocatableMemoryMiB(undefined, "g6e.xlarge")).toBeCloseTo(32 * 1024 * 0.9);
  });

  it("was a fixed 20 GiB limit, which three HAMi runs on one g6e.xlarge could not all have (the bug this pins)", () => {
    expect(3 * 20 * 1024).toBeGreaterThan(G6E_XLARGE_ALLOCATABLE_MIB);
  });

  it("never adds up, over the runs the scheduler admits on one node, to more than the node can give", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1500, max: 30000 }), { minLength: 1, maxLength: 16 }), (requests) => {
        const gpu = (granted: number[]): GpuState => ({
          node: "n1",
          index: 0,
          product: "NVIDIA L40S",
          totalMiB: L40S_MIB,
          mode: "hami",
          allocations: granted.map((grantedMiB, i) => ({ runId: `r${i}`, learnerId: `l${i}`, grantedMiB })),
        });
        const granted: number[] = [];
        for (const request of requests) {
          const fit = bestFit([gpu(granted)], request);
          if (fit) granted.push(fit.grantedMiB);
        }
        const hostTotal = granted
          .map((grantedVramMiB) =>
            runnerHostMemoryMiB({
              nodeAllocatableMiB: G6E_XLARGE_ALLOCATABLE_MIB,
              gpusOnNode: 1,
              sharing: "hami",
              grantedVramMiB,
              gpuTotalMiB: L40S_MIB,
            }),
          )
          .reduce((a, b) => a + b, 0);
        return hostTotal <= G6E_XLARGE_ALLOCATABLE_MIB - GPU_NODE_DAEMON_RESERVE_MIB;
      }),
    );
  });

  it("gives a whole-GPU run its GPU's share of a multi-GPU node, and a MIG slice its slice's share", () => {
    const node = {
      nodeAllocatableMiB: 4 * 48 * 1024 + GPU_NODE_DAEMON_RESERVE_MIB,
      gpusOnNode: 4,
      gpuTotalMiB: 81920,
      grantedVramMiB: 81920,
    };
    expect(runnerHostMemoryMiB({ ...node, sharing: "exclusive" })).toBe(48 * 1024);
    expect(runnerHostMemoryMiB({ ...node, sharing: "mig", migSlots: 2 })).toBe(24 * 1024);
  });
});
