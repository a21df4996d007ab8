/**
 * Which image references a cohort's pods will pull, and which of them live in an ECR registry
 * that `labkit preflight` can look into. Pure.
 */
import { type Cohort, imageRef } from "../schema/cohort";

/** The three images labkit runs. */
export const LABKIT_IMAGES = ["lab", "runner", "controller"] as const;
export type LabkitImage = (typeof LABKIT_IMAGES)[number];

/** One image the cohort pulls. */
export interface ResolvedImageRef {
  readonly which: LabkitImage;
  /** Full reference, `registry/repository:tag` or `registry/repository@sha256:…`. */
  readonly ref: string;
  /** True when the ref is the instructor's own image (`labs.image`), not one built from labkit's Dockerfiles. */
  readonly custom: boolean;
  /** True when the ref points at the ECR repository the labkit program creates (no `images.registry`). */
  readonly repositoryCreatedByProgram: boolean;
}

/** The ECR host of an account and region, e.g. `123456789012.dkr.ecr.eu-central-1.amazonaws.com`. */
export function ecrRegistryHost(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com`;
}

/**
 * The lab, runner and controller refs the cohort uses in `account`/`region`: `labs.image` when
 * set, else `<images.registry>/<which>:<images.tag>`, else (no registry) the ECR repository the
 * program creates, `<account>.dkr.ecr.<region>.amazonaws.com/<cohort.name>/<which>:<images.tag>`.
 */
export function resolvedImageRefs(
  cohort: Pick<Cohort, "name" | "images" | "labs">,
  account: string,
  region: string,
): ResolvedImageRef[] {
  return LABKIT_IMAGES.map((which) => {
    if (which === "lab" && cohort.labs.image)
      return { which, ref: cohort.labs.image, custom: true, repositoryCreatedByProgram: false };
    // `images.registry` is becoming optional; without it the program pushes to its own ECR repository.
    const registry: string | undefined = cohort.images.registry;
    if (registry === undefined) {
      const ref = `${ecrRegistryHost(account, region)}/${cohort.name}/${which}:${cohort.images.tag}`;
      return { which, ref, custom: false, repositoryCreatedByProgram: true };
    }
    return { which, ref: imageRef(cohort, which), custom: false, repositoryCreatedByProgram: false };
  });
}

/** An image reference split into its ECR parts. */
export interface EcrImageRef {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  /** Exactly one of `tag` and `digest` is set. */
  readonly tag?: string;
  readonly digest?: string;
}

const ECR_REF =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** The ECR parts of `ref`, or undefined when it is not an ECR image (a tag-less ref means `latest`, as docker reads it). */
export function parseEcrImageRef(ref: string): EcrImageRef | undefined {
  const match = ECR_REF.exec(ref);
  if (!match) return undefined;
  const [, account = "", region = "", repository = "", tag, digest] = match;
  if (digest) return { account, region, repository, digest };
  return { account, region, repository, tag: tag ?? "latest" };
}

/** The registry host of any image ref (`ghcr.io` for `ghcr.io/labkit-dev/lab:0.1.0`; Docker Hub when there is none). */
export function registryHost(ref: string): string {
  const first = ref.split("/")[0] ?? "";
  return ref.includes("/") && /[.:]|^localhost$/.test(first) ? first : "docker.io";
}
