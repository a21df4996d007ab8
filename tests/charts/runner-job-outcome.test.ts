import type { V1Job, V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { interpretJob, parseTerminationMessage } from "../../charts/runner-job-outcome";
import { gpuInventoryFromNodes } from "../../lab-controller/cluster/gpu-inventory";
import { GpuPoolSchema } from "../../schema/cohort";

const job = (conditions: Array<{ type: string; status: string; reason?: string }> = []): V1Job => ({
  metadata: { name: "run-x", namespace: "lab-ada" },
  spec: { activeDeadlineSeconds: 600, template: {} },
  status: { conditions: conditions.map((c) => ({ ...c, lastTransitionTime: new Date() })) },
});
const pod = (status: V1Pod["status"]): V1Pod => ({
  metadata: { name: "run-x-abc", creationTimestamp: new Date() },
  spec: { nodeName: "gpu-1", containers: [] },
  status,
});
const terminated = (exitCode: number, extra: { reason?: string; message?: string } = {}): V1Pod =>
  pod({
    phase: exitCode === 0 ? "Succeeded" : "Failed",
    containerStatuses: [
      {
        name: "runner",
        ready: false,
        restartCount: 0,
        image: "r",
        imageID: "",
        state: { terminated: { exitCode, ...extra } },
      },
    ],
  });

describe("reading a run's end from its Job and pod", () => {
  it("is pending until the pod runs, then running on its node", () => {
    expect(interpretJob(job(), [], 8000)).toEqual({ kind: "pending" });
    expect(interpretJob(job(), [pod({ phase: "Running" })], 8000)).toMatchObject({ kind: "running", node: "gpu-1" });
  });

  it("takes the end state from the termination message, even when the exit code disagrees", () => {
    const summary = {
      runId: "x",
      status: "failed",
      failureKind: "dataset",
      reason: "line 3 has no messages",
      peakVramMiB: 10,
    };
    const outcome = interpretJob(job(), [terminated(0, { message: JSON.stringify(summary) })], 8000);
    expect(outcome).toMatchObject({ kind: "failed", reason: "line 3 has no messages", outOfMemory: false });
  });

  it("reports a CUDA out-of-memory summary as exceeding the grant", () => {
    const message = JSON.stringify({ runId: "x", status: "failed", failureKind: "oom", peakVramMiB: 8000 });
    expect(interpretJob(job(), [terminated(1, { message })], 8000)).toMatchObject({
      kind: "failed",
      outOfMemory: true,
      reason: "exceeded its VRAM limit of 8000 MiB",
    });
  });

  it("falls back to the log tail for a runner that died before writing its summary", () => {
    const outcome = interpretJob(
      job([{ type: "Failed", status: "True" }]),
      [terminated(2, { message: "Traceback...\nImportError: no module named peft" })],
      8000,
    );
    expect(outcome).toMatchObject({
      kind: "failed",
      reason: "the runner exited with code 2: ImportError: no module named peft",
    });
  });

  it("says the GPU-minutes ran out when the deadline killed the Job", () => {
    expect(interpretJob(job([{ type: "Failed", status: "True", reason: "DeadlineExceeded" }]), [], 8000)).toMatchObject(
      {
        kind: "failed",
        reason: "stopped after 600 s: the learner's GPU-minutes ran out",
      },
    );
  });

  it("treats a disruption condition or a lost node as a disruption, not a failure", () => {
    const disrupted = pod({
      phase: "Failed",
      conditions: [{ type: "DisruptionTarget", status: "True", reason: "TerminationByKubelet" }],
    });
    expect(interpretJob(job(), [disrupted], 8000)).toMatchObject({ kind: "disrupted" });
    expect(interpretJob(job(), [pod({ phase: "Failed", reason: "NodeLost" })], 8000)).toMatchObject({
      kind: "disrupted",
    });
  });

  it("ignores a termination message that is not a RunSummary", () => {
    expect(parseTerminationMessage("Killed")).toBeUndefined();
    expect(parseTerminationMessage(JSON.stringify({ runId: "x" }))).toBeUndefined();
  });
});

describe("the GPU inventory from Nodes", () => {
  const pool = GpuPoolSchema.parse({ name: "l40s", instanceType: "g6e.12xlarge", count: 1 });
  const node = (name: string, labels: Record<string, string>, ready = true, unschedulable = false): V1Node => ({
    metadata: { name, labels },
    spec: { unschedulable },
    status: {
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      allocatable: { "nvidia.com/gpu": "40" },
    },
  });

  it("lists every GPU of the labelled GPU nodes, with GPU Feature Discovery's product and memory", () => {
    const gpus = gpuInventoryFromNodes(
      [
        node("b", {
          gpu: "on",
          "nvidia.com/gpu.count": "2",
          "nvidia.com/gpu.product": "NVIDIA-L40S",
          "nvidia.com/gpu.memory": "46068",
        }),
        node("cpu", {}),
      ],
      [pool],
    );
    expect(gpus.map((g) => [g.node, g.index, g.product, g.totalMiB])).toEqual([
      ["b", 0, "NVIDIA L40S", 46068],
      ["b", 1, "NVIDIA L40S", 46068],
    ]);
  });

  it("falls back to the instance type's GPUs when the GFD labels are missing, not to HAMi's split count", () => {
    const gpus = gpuInventoryFromNodes(
      [node("a", { gpu: "on", "node.kubernetes.io/instance-type": "g6e.12xlarge" })],
      [pool],
    );
    expect(gpus).toHaveLength(4);
    expect(gpus[0]).toMatchObject({ product: "NVIDIA L40S", totalMiB: 46068, pool: "l40s" });
  });

  it("marks GPUs of NotReady or cordoned nodes unschedulable", () => {
    const labels = { gpu: "on", "node.kubernetes.io/instance-type": "g6e.xlarge" };
    const gpus = gpuInventoryFromNodes([node("a", labels, false), node("b", labels, true, true), node("c", labels)]);
    expect(gpus.map((g) => [g.node, g.schedulable])).toEqual([
      ["a", false],
      ["b", false],
      ["c", true],
    ]);
  });
});
