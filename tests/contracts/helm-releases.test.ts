/**
 * Contract: Helm releases survive GPU nodes that join slowly.
 *
 * Rules (pulumi/pulumi-kubernetes provider/pkg/provider/helm_release.go and the Release schema in
 * provider/pkg/gen/overlays.go): `timeout` is the seconds to wait for any individual Kubernetes
 * operation, default 300 (`defaultTimeoutSeconds`); `atomic` purges the release when the
 * install fails, a timed-out wait included (Helm's `client.Atomic`). The NVIDIA AL2023 AMI's
 * nodes take minutes to boot and join, and the device plugins' DaemonSets wait for them.
 */
import { describe, expect, it } from "vitest";
import { listResources } from "../../infra/list-resources";
import { HELM_RELEASE_TIMEOUT_SECONDS, PINNED_CHARTS } from "../../infra/platform/helm-charts";
import { exampleCohort, withPools } from "../infra/example-cohort";

describe("every Helm release of the program", () => {
  it("waits longer than Pulumi's 300 s default, is not atomic, and names a pinned chart version", async () => {
    const cohort = exampleCohort();
    const resources = await listResources(
      withPools(cohort, [...cohort.gpuPools, { ...cohort.gpuPools[0], name: "whole", sharing: "exclusive", count: 1 }]),
    );
    const releases = resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    expect(releases.map((r) => (r.inputs as { chart: string }).chart).sort()).toEqual(
      PINNED_CHARTS.map((c) => c.chart).sort(),
    );
    for (const release of releases) {
      const inputs = release.inputs as { timeout: number; atomic: boolean; version: string; chart: string };
      expect(inputs.timeout, inputs.chart).toBe(HELM_RELEASE_TIMEOUT_SECONDS);
      expect(inputs.timeout).toBeGreaterThanOrEqual(900);
      expect(inputs.atomic).toBe(false);
      expect(PINNED_CHARTS.find((c) => c.chart === inputs.chart)?.version).toBe(inputs.version);
    }
  });
});
