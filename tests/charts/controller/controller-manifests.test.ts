import { createHash } from "node:crypto";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { controllerManifests } from "../../../charts/controller/controller-manifests";
import { controllerOptionsFor } from "../../../charts/controller/controller-options";
import { controllerRbac } from "../../../charts/controller/controller-rbac";
import { cohortYamlForController, tokensFileJson } from "../../../charts/controller/controller-tokens";
import { CONTROLLER_SERVICE, SYSTEM_NAMESPACE } from "../../../charts/names";
import { TokenDirectory } from "../../../lab-controller/server/token-directory";
import { parseCohort } from "../../../schema/load-cohort";
import { EXAMPLE_REGISTRY, exampleCohortWithRegistry } from "../../infra/example-cohort";

const cohort = exampleCohortWithRegistry();
const options = controllerOptionsFor(cohort, cohortYamlForController(cohort), { bucketName: "labkit-artifacts" });
const tokens = tokensFileJson(
  cohort,
  Object.fromEntries(cohort.learners.map((l) => [l.id, `token-${l.id}`])),
  Object.fromEntries(cohort.instructors.map((p) => [p.id, `token-${p.id}`])),
);
const manifests = controllerManifests(options, tokens);
const VALIDATORS: Record<string, new (o: never) => { validate(): void }> = {
  Deployment,
  ClusterRole,
  ClusterRoleBinding,
  RoleBinding,
  ConfigMap,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
};

describe("the lab-controller's manifests", () => {
  it("all pass the Kubernetes OpenAPI schemas", () => {
    for (const object of manifests) {
      const Model = VALIDATORS[object.kind as string];
      expect(Model, object.kind).toBeDefined();
      expect(() => new Model(object as never).validate(), `${object.kind} ${object.metadata?.name}`).not.toThrow();
    }
  });

  it("run one replica with the Recreate strategy on a ReadWriteOnce database volume", () => {
    const deployment = manifests.find((o) => o.kind === "Deployment") as any;
    expect(deployment.metadata.namespace).toBe(SYSTEM_NAMESPACE);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    const claim = manifests.find((o) => o.kind === "PersistentVolumeClaim") as any;
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
    const pod = deployment.spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName).toBe(claim.metadata.name);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.containers[0].readinessProbe.httpGet.path).toBe("/readyz");
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.LABKIT_ARTIFACT_BUCKET).toBe("labkit-artifacts");
    expect(env.LABKIT_RUNNER_IMAGE).toBe(`${EXAMPLE_REGISTRY}/runner:0.1.0`);
  });

  it("expose the API on the controller Service the gateway route and runner Jobs use", () => {
    const service = manifests.find((o) => o.kind === "Service") as any;
    expect(service.metadata.name).toBe(CONTROLLER_SERVICE.name);
    expect(service.spec.ports[0].port).toBe(CONTROLLER_SERVICE.port);
  });

  it("grant read on nodes, pods and jobs, and Job and run-Secret create/delete only in learner namespaces; no Secret reads, no pods writes", () => {
    const rbac = controllerRbac(options) as any[];
    const rules = rbac.filter((o) => o.kind === "ClusterRole").flatMap((r) => r.rules);
    const verbsOn = (resource: string) =>
      rules
        .filter((r: any) => r.resources.includes(resource))
        .flatMap((r: any) => r.verbs)
        .sort();
    expect(verbsOn("nodes")).toEqual(["get", "list", "watch"]);
    expect(verbsOn("pods")).toEqual(["get", "list", "watch"]);
    expect(verbsOn("jobs")).toEqual(["create", "delete", "get", "list", "watch"]);
    // Each run's token Secret is written and deleted, never read back (no get, list, watch or update).
    expect(verbsOn("secrets")).toEqual(["create", "delete"]);
    const read = rbac.find((o) => o.kind === "ClusterRole" && o.metadata.name === "labkit-controller-read");
    expect(read.rules.some((r: any) => r.resources.includes("secrets"))).toBe(false);
    const secretRole = rbac.find(
      (o) => o.kind === "ClusterRole" && o.rules.some((r: any) => r.resources.includes("secrets")),
    );
    expect(rbac.filter((o) => o.roleRef?.name === secretRole.metadata.name).map((b) => b.kind)).toEqual(
      cohort.learners.map(() => "RoleBinding"),
    );
    expect(rules.some((r: any) => r.verbs.includes("*") || r.resources.includes("*"))).toBe(false);
    const bindings = rbac.filter((o) => o.kind === "RoleBinding");
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(cohort.learners.map((l) => `lab-${l.id}`).sort());
    const clusterBinding = rbac.find((o) => o.kind === "ClusterRoleBinding");
    expect(clusterBinding.roleRef.name).toBe("labkit-controller-read");
  });

  it("give the controller a cohort.yaml with the roster inline that loads back to the same cohort", () => {
    const reloaded = parseCohort(options.cohortYaml, "cohort.yaml");
    expect(reloaded.learners).toEqual(cohort.learners);
    expect(reloaded.exercises).toEqual(cohort.exercises);
    expect(reloaded.quotas).toEqual(cohort.quotas);
  });

  it("store tokens only as sha256 hashes, in the format the controller reads", () => {
    expect(tokens).not.toContain("token-");
    const directory = TokenDirectory.parse(tokens);
    const first = cohort.learners[0];
    expect(directory.lookup(`token-${first.id}`)).toEqual({ role: "learner", id: first.id, name: first.name });
    expect(directory.lookup("token-instructor-maria")?.role).toBe("instructor");
    expect(JSON.parse(tokens).learners[0].tokenSha256).toBe(
      createHash("sha256").update(`token-${first.id}`).digest("hex"),
    );
    expect(() => tokensFileJson(cohort, {}, {})).toThrow(/no token for learner/);
  });
});
