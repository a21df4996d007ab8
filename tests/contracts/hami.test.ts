/**
 * Contract: HAMi (chart and webhook 2.10.0) and NVIDIA's device plugin (chart 0.17.1) behave as
 * labkit's GPU stack and scheduler assume.
 *
 * Rules (Project-HAMi/HAMi at v2.10.0, commit 4707fb02; NVIDIA/k8s-device-plugin gh-pages index):
 * - charts/hami/templates/scheduler/webhook.yaml: one mutating webhook `vgpu.hami.io` on pod
 *   CREATE whose namespaceSelector and objectSelector both have `hami.io/webhook NotIn [ignore]`.
 * - pkg/scheduler/webhook.go: a pod with a container asking for `nvidia.com/gpu` (or HAMi's memory
 *   or cores resources) gets `schedulerName: hami-scheduler`; `default-scheduler` is overwritten.
 * - charts/hami/values.yaml (2.10.0): `scheduler.kubeScheduler.image` is an object
 *   {registry, repository, tag}; `devicePlugin.nvidiaNodeSelector` (default `{gpu: "on"}`) and
 *   `devicePlugin.tolerations` exist; `resourceName: nvidia.com/gpu`, `resourceMem: nvidia.com/gpumem`.
 * - HAMi #646 (FAQ) and #1708: HAMi's device plugin and NVIDIA's must not run on the same node.
 * - HAMi-core #79 and HAMi #1196: some allocation calls are not counted against the limit;
 *   src/cuda/context.c counts the primary context. So each GPU keeps a reserve no grant may use.
 * - Published chart versions: HAMi index.yaml lists 2.5.0–2.5.3, 2.6.0, 2.6.1, 2.7.0, 2.7.1, 2.8.0,
 *   2.8.1, 2.8.3, 2.9.0, 2.10.0; NVIDIA's lists 0.17.0–0.17.4, 0.18.x, 0.19.x, 0.20.0.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HAMI_WEBHOOK_OPT_OUT } from "../../charts/runner-job";
import { bestFit, grantableMiB, HAMI_GPU_RESERVE_MIB } from "../../core/scheduler";
import type { GpuState } from "../../core/scheduler/types";
import { hamiValues, nvidiaDevicePluginValues } from "../../infra/platform/gpu-stack";
import { HAMI_CHART, NVIDIA_DEVICE_PLUGIN_CHART } from "../../infra/platform/helm-charts";
import type { SharingMode } from "../../schema/cohort";
import { exampleRunnerJob } from "./rendered-example";

const HAMI_PUBLISHED = [
  "2.5.0",
  "2.5.1",
  "2.5.2",
  "2.5.3",
  "2.6.0",
  "2.6.1",
  "2.7.0",
  "2.7.1",
  "2.8.0",
  "2.8.1",
  "2.8.3",
  "2.9.0",
  "2.10.0",
];
const DEVICE_PLUGIN_PUBLISHED = ["0.17.0", "0.17.1", "0.17.2", "0.17.3", "0.17.4"];

/** HAMi's webhook as its chart and handler define it: which pods it sends to hami-scheduler. */
function hamiWebhookMutates(pod: {
  metadata: { labels?: Record<string, string> };
  spec: { containers: Array<{ resources?: { limits?: Record<string, string> } }> };
}): boolean {
  if (pod.metadata.labels?.["hami.io/webhook"] === "ignore") return false; // objectSelector NotIn [ignore]
  return pod.spec.containers.some((c) =>
    Object.keys(c.resources?.limits ?? {}).some((r) =>
      ["nvidia.com/gpu", "nvidia.com/gpumem", "nvidia.com/gpucores"].includes(r),
    ),
  );
}

describe("HAMi's admission webhook", () => {
  it.each([
    ["exclusive", undefined, false],
    ["mig", "3g.40gb", false],
    ["hami", undefined, true],
  ] as const)("sends a runner on a `%s` pool to hami-scheduler: %s → %s", (sharing, migProfile, sentToHami) => {
    const job = exampleRunnerJob({ sharing: sharing as SharingMode, migProfile });
    expect(hamiWebhookMutates(job.spec.template)).toBe(sentToHami);
    const labels = job.spec.template.metadata.labels as Record<string, string>;
    if (sharing !== "hami") expect(labels[HAMI_WEBHOOK_OPT_OUT.key]).toBe("ignore");
  });

  it("would send an exclusive runner to hami-scheduler without the opt-out label (the bug this pins)", () => {
    const job = exampleRunnerJob({ sharing: "exclusive" });
    const { [HAMI_WEBHOOK_OPT_OUT.key]: _removed, ...labels } = job.spec.template.metadata.labels as Record<
      string,
      string
    >;
    expect(hamiWebhookMutates({ ...job.spec.template, metadata: { labels } })).toBe(true);
  });
});

describe("HAMi's and NVIDIA's charts", () => {
  it("are pinned to published versions", () => {
    expect(HAMI_PUBLISHED).toContain(HAMI_CHART.version);
    expect(HAMI_CHART.repo).toBe("https://project-hami.github.io/HAMi/");
    expect(DEVICE_PLUGIN_PUBLISHED).toContain(NVIDIA_DEVICE_PLUGIN_CHART.version);
    expect(NVIDIA_DEVICE_PLUGIN_CHART.repo).toBe("https://nvidia.github.io/k8s-device-plugin");
  });

  it("get values in the 2.10.0 chart's shape: kubeScheduler.image as an object, a node selector and tolerations for the device plugin", () => {
    const values = hamiValues("1.35");
    expect(Object.keys(values.scheduler.kubeScheduler.image).sort()).toEqual(["registry", "repository", "tag"]);
    expect(values.scheduler.kubeScheduler.image.tag).toBe("v1.35.0");
    expect(values.devicePlugin.nvidiaNodeSelector).toMatchObject({ gpu: "on", "labkit.dev/gpu-sharing": "hami" });
    expect(values.devicePlugin.tolerations.length).toBeGreaterThan(0);
  });

  it("never run both device plugins on one node: HAMi's only on `hami` nodes, NVIDIA's only on `exclusive`/`mig` nodes", () => {
    const nvidia = nvidiaDevicePluginValues([]).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      .nodeSelectorTerms;
    const allowed = nvidia.flatMap((t) => t.matchExpressions.flatMap((e) => e.values));
    expect(allowed).not.toContain(hamiValues("1.35").devicePlugin.nvidiaNodeSelector["labkit.dev/gpu-sharing"]);
  });
});

describe("admission on HAMi GPUs", () => {
  const gpu = (allocations: number[]): GpuState => ({
    node: "n1",
    index: 0,
    product: "NVIDIA L40S",
    totalMiB: 46068,
    mode: "hami",
    allocations: allocations.map((grantedMiB, i) => ({ runId: `r${i}`, learnerId: `l${i}`, grantedMiB })),
  });

  it("keeps a reserve on every GPU that no grant may use, for allocations HAMi-core does not count", () => {
    expect(HAMI_GPU_RESERVE_MIB).toBeGreaterThanOrEqual(512);
    expect(grantableMiB(gpu([]))).toBe(46068 - HAMI_GPU_RESERVE_MIB);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 500, max: 20000 }), { maxLength: 12 }), (requests) => {
        const granted: number[] = [];
        for (const request of requests) {
          const fit = bestFit([gpu(granted)], request);
          if (fit) granted.push(fit.grantedMiB);
        }
        return granted.reduce((a, b) => a + b, 0) <= 46068 - HAMI_GPU_RESERVE_MIB;
      }),
    );
  });
});
