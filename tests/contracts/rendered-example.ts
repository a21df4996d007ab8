/** Every Kubernetes object of the example cohort as `labkit render` builds them (pure, no subprocess). */
import { renderCohort } from "../../charts/render-cohort";
import { buildRunnerJob, type RunnerJobOptions } from "../../charts/runner-job";
import type { Cohort } from "../../schema/cohort";
import { resolveRunSpec } from "../../schema/run-spec";
import { exampleCohortWithRegistry } from "../infra/example-cohort";

/** The example cohort with its ECR registry filled in, as `pulumi up` deploys it. */
export const exampleWithRegistry = exampleCohortWithRegistry;

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON the contracts index into
export type Manifest = Record<string, any>;

/** The rendered objects of a cohort (default: the example). */
export function renderedObjects(cohort: Cohort = exampleWithRegistry()): Manifest[] {
  const tokens = new Map(cohort.learners.map((l) => [l.id, `token-${l.id}`]));
  const instructorTokens = new Map(cohort.instructors.map((p) => [p.id, `token-${p.id}`]));
  return renderCohort(cohort, { tokens, instructorTokens, bucketName: "acme-artifacts" }) as Manifest[];
}

/** Every pod template (or pod spec) among the objects, with the object it came from. */
export function podSpecsOf(
  objects: readonly Manifest[],
): Array<{ object: Manifest; spec: Manifest; metadata?: Manifest }> {
  return objects.flatMap((object) => {
    const template = object.spec?.template ?? object.spec?.jobTemplate?.spec?.template;
    return template?.spec ? [{ object, spec: template.spec, metadata: template.metadata }] : [];
  });
}

/** A runner Job of the example cohort's QLoRA exercise (what the controller creates at run time). */
export function exampleRunnerJob(overrides: Partial<RunnerJobOptions> = {}) {
  const spec = resolveRunSpec({}, "qlora-challenge", {
    baseModel: "Qwen/Qwen2.5-1.5B-Instruct",
    method: "qlora",
    dataset: { source: "builtin", name: "k8s-troubleshooting" },
  });
  return buildRunnerJob({
    cohortName: "ft-dec26",
    runId: "abc123def456",
    learnerId: "ada",
    spec,
    image: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/runner:0.1.0",
    sharing: "hami",
    grantedVramMiB: 9000,
    nodeName: "ip-10-0-1-23.eu-central-1.compute.internal",
    eventsUrl: "http://lab-controller.labkit-system.svc.cluster.local:8080/v1/runs/abc123def456/events",
    artifactsUri: "s3://bucket/cohorts/ft-dec26/learners/ada/runs/abc123def456/",
    activeDeadlineSeconds: 5400,
    ...overrides,
  });
}
