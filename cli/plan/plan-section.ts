/**
 * `labkit plan` is a list of sections. Each section computes its part of the report from the
 * cohort (offline) and renders it as text; `--json` prints every section's data keyed by id.
 */
import type { Cohort } from "../../schema/cohort";

export interface PlanContext {
  /** Path of the cohort file, for messages. */
  readonly cohortFile: string;
}

export interface PlanSection<T = unknown> {
  /** Key of this section in `labkit plan --json`. */
  readonly id: string;
  /** Heading of the section in the text report. */
  readonly title: string;
  build(cohort: Cohort, context: PlanContext): T | Promise<T>;
  render(data: T, cohort: Cohort): string[];
}

/** Declare a section with its data type inferred. */
export function planSection<T>(section: PlanSection<T>): PlanSection<T> {
  return section;
}
