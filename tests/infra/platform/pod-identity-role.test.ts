import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { createPodIdentityRole } from "../../../infra/platform/pod-identity-role";
import { recordPulumiResources } from "../../harness/recording-mocks";

beforeAll(async () => {
  await recordPulumiResources();
});

class Parent extends pulumi.ComponentResource {
  constructor() {
    super("test:Parent", "parent", {});
  }
}

describe("createPodIdentityRole", () => {
  it("refuses a role tag named like a Pod Identity session tag, which policies would read as the pod's namespace", () => {
    expect(() =>
      createPodIdentityRole(
        "labkit-runner",
        {},
        { "labkit:cohort": "c", "kubernetes-namespace": "lab-ada" },
        new Parent(),
      ),
    ).toThrow(/role labkit-runner: tag `kubernetes-namespace` has the name of an EKS Pod Identity session tag.*rename/);
  });
});
