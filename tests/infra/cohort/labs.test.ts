import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { Cohort } from "../../../schema/cohort";
import { parseCohort } from "../../../schema/load-cohort";
import { type CreatedResource, recordPulumiResources } from "../../harness/recording-mocks";

let created: CreatedResource[] = [];

beforeAll(async () => {
  created = await recordPulumiResources();
});

function cohortWith(learnerIds: string[]): Cohort {
  const learners = learnerIds.map((id) => `  - { id: ${id}, name: ${id} }`).join("\n");
  return parseCohort(
    `name: mini
schedule: { start: "2026-12-07T09:00", end: "2026-12-07T17:00", timeZone: Europe/Berlin }
cloud: { region: eu-central-1 }
domain: { name: labs.example.org, hostedZoneId: Z0123456789EXAMPLE }
images: { registry: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mini }
gpuPools: [{ name: l40s, instanceType: g6e.xlarge, count: 1 }]
models: [{ id: Qwen/Qwen2.5-0.5B-Instruct }]
exercises:
  - id: first
    title: First
    defaults: { baseModel: Qwen/Qwen2.5-0.5B-Instruct, method: lora, dataset: { source: builtin, name: k8s-troubleshooting } }
learners:
${learners}
`,
    "inline.yaml",
  );
}

/** Resources with `dependsOn` register once their dependencies resolve: wait until registrations stop. */
async function registrationsSettled(): Promise<void> {
  let last = -1;
  while (created.length !== last) {
    last = created.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

describe("Labs component (Pulumi mocks)", () => {
  it("pre-provisions every learner's lab with at most 12 resources each, and the warm start once for the cohort", async () => {
    const { Labs } = await import("../../../infra/cohort/labs");
    const k8s = await import("@pulumi/kubernetes");
    const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
    const labs = new Labs("labs", {
      cohort: cohortWith(["ada", "alan", "grace"]),
      provider,
      baseUrl: "https://labs.example.org",
      huggingFaceToken: "hf_secret",
    });
    const urls = await outputValue(labs.learnerUrls);
    const tokens = await outputValue(labs.learnerTokens);
    await registrationsSettled();

    const perLearner = (id: string) => created.filter((c) => c.name.startsWith(`labs-${id}-`));
    const counts = ["ada", "alan", "grace"].map((id) => perLearner(id).length);
    // RandomPassword + Namespace, 2 ServiceAccounts, ResourceQuota, LimitRange, NetworkPolicy,
    // token Secret, model-cache claim, Service, StatefulSet, HTTPRoute.
    expect(counts).toEqual([12, 12, 12]);
    // Registration order follows dependency resolution, so compare as sorted lists.
    expect(
      perLearner("ada")
        .map((c) => c.type)
        .sort(),
    ).toEqual(
      [
        "random:index/randomPassword:RandomPassword",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:ResourceQuota",
        "kubernetes:core/v1:LimitRange",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Service",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
      ].sort(),
    );
    const warmStart = created.filter(
      (c) => c.type.startsWith("kubernetes:") && c.inputs.metadata?.namespace === "labkit-system",
    );
    expect(warmStart.map((c) => c.type).sort()).toEqual([
      "kubernetes:apps/v1:DaemonSet",
      "kubernetes:apps/v1:DaemonSet",
      "kubernetes:batch/v1:Job",
      "kubernetes:core/v1:PersistentVolumeClaim",
      "kubernetes:core/v1:Secret",
    ]);

    // Each lab on a host of its own under the default labs domain `labs.<domain.name>`.
    expect(urls).toEqual({
      ada: "https://ada.labs.labs.example.org/u/ada/",
      alan: "https://alan.labs.labs.example.org/u/alan/",
      grace: "https://grace.labs.labs.example.org/u/grace/",
    });
    expect(tokens.ada).toBe("generated-token-for-labs-ada-token");
    expect(pulumi.isSecret(labs.learnerTokens)).toBeTruthy();
  });

  it("generates each token randomly (letters and digits, 32 characters) and puts it in the learner's Secret", async () => {
    const password = created.find((c) => c.name === "labs-alan-token");
    expect(password?.inputs).toMatchObject({ length: 32, special: false });
    const secret = created.find(
      (c) => c.type === "kubernetes:core/v1:Secret" && c.inputs.metadata?.namespace === "lab-alan",
    );
    // The token reaches the Secret as a Pulumi secret value, never in plain state.
    expect(secret?.inputs.stringData[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    expect(secret?.inputs.stringData.value).toEqual({ token: "generated-token-for-labs-alan-token" });
    const hf = created.find((c) => c.type === "kubernetes:core/v1:Secret" && c.inputs.metadata?.name === "hf-token");
    expect(hf?.inputs.stringData.value).toEqual({ token: "hf_secret" });
  });

  it("deploys the builders' objects unchanged: the StatefulSet runs the lab chart", async () => {
    const sts = created.find(
      (c) => c.type === "kubernetes:apps/v1:StatefulSet" && c.inputs.metadata?.namespace === "lab-grace",
    );
    expect(sts?.inputs.spec.template.spec.containers[0].command).toContain("--ServerApp.base_url=/u/grace/");
    expect(sts?.inputs.spec.template.spec.automountServiceAccountToken).toBe(false);
  });
});
