import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { Controller } from "../../../infra/cohort/controller";
import { type CreatedResource, recordPulumiResources } from "../../harness/recording-mocks";
import { exampleCohortWithRegistry } from "../example-cohort";

let created: CreatedResource[] = [];

beforeAll(async () => {
  created = await recordPulumiResources();
});

describe("the Controller component", () => {
  it("deploys the controller's objects with the bucket, hashed tokens and a generated instructor token", async () => {
    const cohort = exampleCohortWithRegistry();
    const learnerTokens = Object.fromEntries(cohort.learners.map((l) => [l.id, pulumi.secret(`plain-${l.id}`)]));
    const controller = new Controller("ft-dec26-controller", {
      cohort,
      provider: new k8s.Provider("k8s", {}),
      bucketName: "labkit-ft-dec26-artifacts",
      learnerTokens,
    });
    const instructorTokens = await new Promise<Record<string, string>>((resolve) =>
      controller.instructorTokens.apply(resolve),
    );
    expect(Object.keys(instructorTokens)).toEqual(["instructor-maria"]);
    await new Promise((resolve) => controller.deploymentName.apply(resolve));
    await new Promise((r) => setTimeout(r, 50));

    const types = created.map((c) => c.type);
    for (const type of [
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      "kubernetes:core/v1:PersistentVolumeClaim",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:Secret",
      "kubernetes:core/v1:Service",
      "kubernetes:apps/v1:Deployment",
    ]) {
      expect(types, type).toContain(type);
    }
    expect(created.filter((c) => c.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")).toHaveLength(
      cohort.learners.length,
    );
    const secret = created.find((c) => c.type === "kubernetes:core/v1:Secret");
    // The Kubernetes provider marks stringData secret: under mocks it arrives wrapped as { <sig>, value }.
    const stringData = secret?.inputs.stringData.value ?? secret?.inputs.stringData;
    const tokensJson = String(stringData["tokens.json"]);
    expect(tokensJson).not.toContain("plain-");
    expect(JSON.parse(tokensJson).learners).toHaveLength(cohort.learners.length);
    const deployment = created.find((c) => c.type === "kubernetes:apps/v1:Deployment");
    expect(deployment?.inputs.spec.strategy.type).toBe("Recreate");
    const env = deployment?.inputs.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
    expect(env.find((e) => e.name === "LABKIT_ARTIFACT_BUCKET")?.value).toBe("labkit-ft-dec26-artifacts");
  });
});
