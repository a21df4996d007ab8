/**
 * The `cohort.yaml` schema: one workshop cohort, from its roster to its GPU pools.
 *
 * This module is the only definition of a cohort: infra/, the CLI and the lab-controller import
 * the `Cohort` type and its section types from here, and the JSON Schema that editors use is
 * generated from it (`labkit schema`). The parts live beside it: the shape of each section in
 * `cohort-shape.ts`, the cross-field rules in `cohort-rules.ts`, image names in `image-ref.ts`,
 * and reading the file and the roster, with positioned errors, in `load-cohort.ts`.
 */
import { checkCohort } from "./cohort-rules";
import { type CohortFile, CohortFileSchema, type Person } from "./cohort-shape";

export { suggestDnsLabel } from "./cohort-rules";
export * from "./cohort-shape";
export { IMAGE_NAMES, imageRef } from "./image-ref";

/**
 * The cohort as cohort.yaml states it, validated, with defaults filled. `learners` may still be
 * a roster file reference; `loadCohort` turns it into a list.
 */
export const CohortFileCheckedSchema = CohortFileSchema.superRefine(checkCohort);

/** A fully loaded cohort: the roster is read, so `learners` is always a list. */
export type Cohort = Omit<CohortFile, "learners"> & {
  learners: Person[];
  /** Where the roster came from, for messages: `inline` or the CSV path. */
  rosterSource: string;
};
