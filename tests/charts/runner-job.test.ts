import { Job } from "kubernetes-models/batch/v1";
import { Secret } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { GPU_NODE_TAINT, LABELS, RUNNER_SERVICE_ACCOUNT } from "../../charts/names";
import {
  buildRunnerJob,
  buildRunTokenSecret,
  RUN_TOKEN_SECRET_KEY,
  type RunnerJobOptions,
  runnerGpuResources,
  runTokenSecretName,
} from "../../charts/runner-job";
import { resolveRunSpec } from "../../schema/run-spec";

const spec = resolveRunSpec({}, "qlora-challenge", {
  baseModel: "Qwen/Qwen2.5-1.5B-Instruct",
  method: "qlora",
  dataset: { source: "builtin", name: "k8s-troubleshooting" },
});

const options: RunnerJobOptions = {
  cohortName: "ft-dec26",
  runId: "abc123def456",
  learnerId: "ada",
  spec,
  image: "ghcr.io/labkit-dev/runner:0.1.0",
  sharing: "hami",
  grantedVramMiB: 9000,
  nodeName: "ip-10-0-1-23.ec2.internal",
  eventsUrl: "http://lab-controller.labkit-system.svc.cluster.local:8080/v1/runs/abc123def456/events",
  artifactsUri: "s3://bucket/cohorts/ft-dec26/learners/ada/runs/abc123def456/",
  activeDeadlineSeconds: 5400.7,
};

describe("the runner Job builder", () => {
  it("renders a batch/v1 Job that passes the Kubernetes OpenAPI schema", () => {
    expect(() => new Job(buildRunnerJob(options) as never).validate()).not.toThrow();
  });

  it("names the Job after the run and labels it for re-adoption", () => {
    const job = buildRunnerJob(options);
    expect(job.metadata.name).toBe("run-abc123def456");
    expect(job.metadata.namespace).toBe("lab-ada");
    expect(job.metadata.labels[LABELS.runId]).toBe("abc123def456");
    expect(job.spec.template.metadata.labels[LABELS.runId]).toBe("abc123def456");
  });

  it("fails instead of retrying, stops at the learner's remaining GPU time and cleans up after itself", () => {
    const job = buildRunnerJob(options);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(5400);
    expect(job.spec.ttlSecondsAfterFinished).toBe(3600);
    expect(buildRunnerJob({ ...options, activeDeadlineSeconds: 3 }).spec.activeDeadlineSeconds).toBe(60);
  });

  it("runs as the runner service account on a tainted GPU node, pinned to the placed node, under restricted pod security", () => {
    const pod = buildRunnerJob(options).spec.template.spec;
    expect(pod.serviceAccountName).toBe(RUNNER_SERVICE_ACCOUNT);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.tolerations).toContainEqual({
      key: GPU_NODE_TAINT.key,
      operator: "Equal",
      value: "true",
      effect: "NoSchedule",
    });
    expect(JSON.stringify(pod.affinity)).toContain("ip-10-0-1-23.ec2.internal");
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    const container = pod.containers[0];
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      runAsNonRoot: true,
    });
    expect(container.terminationMessagePath).toBe("/dev/termination-log");
    expect(container.terminationMessagePolicy).toBe("FallbackToLogsOnError");
  });

  it("mounts the model cache read-only and no learner volume", () => {
    const pod = buildRunnerJob(options).spec.template.spec;
    const cache = pod.containers[0].volumeMounts.find((m) => m.name === "model-cache");
    expect(cache).toEqual({ name: "model-cache", mountPath: "/models", readOnly: true });
    expect(pod.volumes.filter((v) => "persistentVolumeClaim" in v).map((v) => v.name)).toEqual(["model-cache"]);
  });

  it("passes the runner contract in the environment", () => {
    const env = Object.fromEntries(
      buildRunnerJob(options).spec.template.spec.containers[0].env.map((e) => [e.name, "value" in e ? e.value : e]),
    );
    expect(env).toMatchObject({
      LABKIT_RUN_ID: "abc123def456",
      LABKIT_EVENTS_URL: options.eventsUrl,
      LABKIT_ARTIFACTS_URI: options.artifactsUri,
      LABKIT_GRANTED_VRAM_MIB: "9000",
      HF_HOME: "/models",
      HF_HUB_OFFLINE: "1",
    });
    expect(JSON.parse(String(env.LABKIT_RUN_SPEC))).toEqual(spec);
  });

  it.each([
    ["hami", undefined, { "nvidia.com/gpu": "1", "nvidia.com/gpumem": "9000" }],
    ["exclusive", undefined, { "nvidia.com/gpu": "1" }],
    ["mig", "3g.40gb", { "nvidia.com/mig-3g.40gb": "1" }],
  ] as const)("asks for the GPU the %s way", (sharing, migProfile, expected) => {
    expect(runnerGpuResources(sharing, 9000, migProfile)).toEqual(expected);
    const limits = buildRunnerJob({ ...options, sharing, migProfile }).spec.template.spec.containers[0].resources
      .limits;
    expect(limits).toMatchObject(expected);
  });

  it("reads the run token from the run's own Secret, so the Job spec holds no token", () => {
    const job = buildRunnerJob(options);
    const token = job.spec.template.spec.containers[0].env.find((e) => e.name === "LABKIT_RUN_TOKEN");
    expect(token).toEqual({
      name: "LABKIT_RUN_TOKEN",
      valueFrom: { secretKeyRef: { name: "run-abc123def456-token", key: "token", optional: false } },
    });
    expect(JSON.stringify(job)).not.toContain("secret-token");
    expect(() => new Job(job as never).validate()).not.toThrow();
  });
});

describe("the run-token Secret builder", () => {
  const secret = buildRunTokenSecret({
    cohortName: "ft-dec26",
    runId: "abc123def456",
    learnerId: "ada",
    exercise: "qlora-challenge",
    runToken: "secret-token",
    ownerJob: { name: "run-abc123def456", uid: "0b6f2c1e-8d4a-4f1e-9c55-1f0e6f7b9a10" },
  });

  it("renders a v1 Secret that passes the Kubernetes OpenAPI schema", () => {
    expect(() => new Secret(secret as never).validate()).not.toThrow();
  });

  it("lives next to the Job: the learner's namespace, the name the Job's env refers to, the Job's labels", () => {
    const job = buildRunnerJob(options);
    expect(secret.metadata.namespace).toBe(job.metadata.namespace);
    expect(secret.metadata.name).toBe(runTokenSecretName("abc123def456"));
    const ref = job.spec.template.spec.containers[0].env.find((e) => e.name === "LABKIT_RUN_TOKEN") as {
      valueFrom: { secretKeyRef: { name: string; key: string } };
    };
    expect(ref.valueFrom.secretKeyRef).toMatchObject({ name: secret.metadata.name, key: RUN_TOKEN_SECRET_KEY });
    expect(secret.metadata.labels).toEqual(job.metadata.labels);
    expect(secret.stringData).toEqual({ token: "secret-token" });
    expect(secret.immutable).toBe(true);
  });

  it("is owned by the Job (garbage-collected with it) without blockOwnerDeletion", () => {
    expect(secret.metadata.ownerReferences).toEqual([
      {
        apiVersion: "batch/v1",
        kind: "Job",
        name: "run-abc123def456",
        uid: "0b6f2c1e-8d4a-4f1e-9c55-1f0e6f7b9a10",
        controller: true,
      },
    ]);
  });
});
