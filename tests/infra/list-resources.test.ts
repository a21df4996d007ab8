/** `labkit plan` lists the resources of the real Pulumi program, run offline under mocks. */
import { describe, expect, it } from "vitest";
import { runLabkit } from "../harness/run-cli";

describe("labkit plan: resources", () => {
  it("counts every resource `pulumi up` would create for the example cohort, by type", async () => {
    const result = await runLabkit(["plan", "workshop/cohort.example.yaml", "--json"]);
    expect(result.code).toBe(0);
    const section = JSON.parse(result.stdout).sections.resources as {
      total: number;
      byType: Array<{ type: string; count: number }>;
      retainedOnDestroy: string[];
    };
    const count = (type: string) => section.byType.find((t) => t.type === type)?.count;
    expect(count("aws:eks/nodeGroup:NodeGroup")).toBe(2);
    expect(count("aws:eks/podIdentityAssociation:PodIdentityAssociation")).toBe(25);
    expect(count("eks:index:Cluster")).toBe(1);
    expect(count("kubernetes:helm.sh/v3:Release")).toBe(2);
    expect(section.total).toBe(section.byType.reduce((sum, t) => sum + t.count, 0));
    expect(section.retainedOnDestroy).toContain("aws:s3/bucket:Bucket ft-dec26-artifacts");
  });
});
