/** Where a cohort's three labkit images come from: `<registry>/<name>:<tag>`, or the lab's own image. */
import type { Images, Labs } from "./cohort-shape";

/** The image names labkit builds, in `<registry>/<name>:<tag>`. */
export const IMAGE_NAMES = ["lab", "runner", "controller"] as const;

/**
 * The image a cohort uses for `lab`, `runner` or `controller`. Throws when the cohort names no
 * registry: the Pulumi program fills in the cohort's ECR registry first (`cohortWithRegistry`),
 * and `labkit render` asks for `--image-registry`.
 */
export function imageRef(
  cohort: { readonly images: Images; readonly labs: Labs },
  which: (typeof IMAGE_NAMES)[number],
): string {
  if (which === "lab" && cohort.labs.image) return cohort.labs.image;
  const registry = cohort.images.registry;
  if (registry === undefined) {
    throw new Error(
      "the cohort names no image registry (`images.registry`): set it to where you pushed the lab, runner and controller images (docs/images.md)",
    );
  }
  return `${registry}/${which}:${cohort.images.tag}`;
}
