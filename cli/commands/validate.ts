/** `labkit validate FILE`: check a cohort file and say what is wrong, or that it is fine. */
import type { Command } from "commander";
import { cohortWarnings } from "../../schema/cohort-warnings";
import { loadCohort } from "../../schema/load-cohort";
import { plural } from "../format/table";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check a cohort file: YAML syntax, every field, the roster, and the rules between fields")
    .argument("<file>", "path of cohort.yaml")
    .addHelpText(
      "after",
      "\nWarnings (valid, but worth fixing before `pulumi up`) go to stderr.\nExit codes: 0 valid, 2 invalid (each problem printed as file:line:column: path: message).\n\nExample:\n  labkit validate workshop/cohort.example.yaml",
    )
    .action((file: string) => {
      const cohort = loadCohort(file);
      process.stdout.write(
        `${file}: valid cohort \`${cohort.name}\`: ${plural(cohort.learners.length, "learner")}, ${plural(cohort.gpuPools.length, "GPU pool")}, ${plural(cohort.exercises.length, "exercise")}, ${plural(cohort.models.length, "model")}\n`,
      );
      for (const warning of cohortWarnings(cohort)) {
        process.stderr.write(`${file}: warning: ${warning.path}: ${warning.message}\n`);
      }
    });
}
