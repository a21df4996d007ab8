/** The example cohort and variants of it, for the infra tests. */
import type { Cohort, GpuPool } from "../../schema/cohort";
import { loadCohort } from "../../schema/load-cohort";

/** workshop/cohort.example.yaml, loaded: 24 learners, 8 × g6e.xlarge with HAMi, a domain with its Route 53 zone, no image registry. */
export function exampleCohort(): Cohort {
  return loadCohort("workshop/cohort.example.yaml");
}

/** The example cohort's ECR registry, as `pulumi up` fills it in for the offline account. */
export const EXAMPLE_REGISTRY = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26";

/** The example with `images.registry` filled in, as the Pulumi program deploys it (for components built directly). */
export function exampleCohortWithRegistry(): Cohort {
  const cohort = exampleCohort();
  return { ...cohort, images: { ...cohort.images, registry: EXAMPLE_REGISTRY } };
}

/** The example with its `cloud.cluster.create` settings changed. */
export function withCreate(cohort: Cohort, change: Partial<NonNullable<Cohort["cloud"]["cluster"]["create"]>>): Cohort {
  const create = cohort.cloud.cluster.create;
  if (!create) throw new Error("cohort has no cluster.create");
  return { ...cohort, cloud: { ...cohort.cloud, cluster: { create: { ...create, ...change } } } };
}

/** The example deploying into an existing cluster. */
export function withExisting(
  cohort: Cohort,
  existing: { kubeconfigContext?: string; stackReference?: string },
): Cohort {
  return { ...cohort, cloud: { ...cohort.cloud, cluster: { existing } } };
}

/** The example with other GPU pools. */
export function withPools(cohort: Cohort, gpuPools: GpuPool[]): Cohort {
  return { ...cohort, gpuPools };
}

/** The example with only its first `count` learners. */
export function withFirstLearners(cohort: Cohort, count: number): Cohort {
  return { ...cohort, learners: cohort.learners.slice(0, count) };
}
