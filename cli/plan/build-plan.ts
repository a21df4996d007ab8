/**
 * Builds `labkit plan`'s report: every section, in order, computed offline from the cohort.
 */
import type { Cohort } from "../../schema/cohort";
import type { PlanContext, PlanSection } from "./plan-section";
import { costSection } from "./sections/cost";
import { createsSection } from "./sections/creates";
import { deployReadinessSection } from "./sections/deploy-readiness";
import { exercisesSection } from "./sections/exercises";
import { gpuPoolsSection } from "./sections/gpu-pools";
import { learnersSection } from "./sections/learners";
import { resourcesSection } from "./sections/resources";
import { roundSection } from "./sections/round";

/** The sections of the report, in the order they print. */
export const PLAN_SECTIONS: readonly PlanSection<never>[] = [
  learnersSection,
  gpuPoolsSection,
  exercisesSection,
  roundSection,
  costSection,
  deployReadinessSection,
  createsSection,
  resourcesSection,
] as unknown as PlanSection<never>[];

export interface PlanReport {
  readonly cohort: { readonly name: string; readonly title: string; readonly region: string };
  /** Section data by section id. */
  readonly sections: Record<string, unknown>;
}

export async function buildPlan(cohort: Cohort, context: PlanContext): Promise<PlanReport> {
  const sections: Record<string, unknown> = {};
  for (const section of PLAN_SECTIONS as readonly PlanSection[]) {
    sections[section.id] = await section.build(cohort, context);
  }
  return { cohort: { name: cohort.name, title: cohort.title ?? cohort.name, region: cohort.cloud.region }, sections };
}

export function renderPlan(report: PlanReport, cohort: Cohort): string {
  const out = [`labkit plan: ${report.cohort.title} (${report.cohort.name}) in ${report.cohort.region}`, ""];
  for (const section of PLAN_SECTIONS as readonly PlanSection[]) {
    if (!(section.id in report.sections)) continue;
    out.push(`== ${section.title} ==`, ...section.render(report.sections[section.id], cohort), "");
  }
  return out.join("\n");
}
