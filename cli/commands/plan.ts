/** `labkit plan FILE`: everything an instructor should know before `pulumi up`, offline. */
import type { Command } from "commander";
import { loadCohort } from "../../schema/load-cohort";
import { buildPlan, renderPlan } from "../plan/build-plan";

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description(
      "show the cohort's plan offline: learners, GPU pools and their VRAM, cost, and what will be created (no cloud account needed)",
    )
    .argument("<file>", "path of cohort.yaml")
    .option("--json", "print the plan as JSON (one object, sections keyed by id)")
    .addHelpText(
      "after",
      "\nExample:\n  labkit plan workshop/cohort.example.yaml\n  labkit plan workshop/cohort.example.yaml --json | jq .sections.cost.totalUsd",
    )
    .action(async (file: string, options: { json?: boolean }) => {
      const cohort = loadCohort(file);
      const report = await buildPlan(cohort, { cohortFile: file });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderPlan(report, cohort)}\n`);
    });
}
