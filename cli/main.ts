/**
 * The `labkit` command line. Each command lives in `commands/<name>.ts` and registers itself
 * here. Exit codes: 0 success, 1 failure, 2 bad input (see exit-codes.ts).
 */
import { Command, CommanderError } from "commander";
import { CohortError } from "../schema/load-cohort";
import { RunSpecError } from "../schema/run-spec";
import { registerCheck } from "./commands/check";
import { registerDestroyCheck } from "./commands/destroy-check";
import { registerEstimate } from "./commands/estimate";
import { registerExport } from "./commands/export";
import { registerPlan } from "./commands/plan";
import { registerPreflight } from "./commands/preflight";
import { registerRender } from "./commands/render";
import { registerReset } from "./commands/reset";
import { registerRoster } from "./commands/roster";
import { registerScale } from "./commands/scale";
import { registerSchema } from "./commands/schema";
import { registerValidate } from "./commands/validate";
import { BadInputError, CommandFailedError, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes";

/** Every command, in the order `labkit --help` lists them. */
const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerValidate,
  registerPlan,
  registerPreflight,
  registerEstimate,
  registerSchema,
  registerRender,
  registerRoster,
  registerCheck,
  registerExport,
  registerScale,
  registerReset,
  registerDestroyCheck,
];

export function buildProgram(): Command {
  const program = new Command("labkit")
    .description("GPU classrooms for LLM fine-tuning workshops: plan, deploy, run and tear down a cohort")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of COMMANDS) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Run the CLI; returns the exit code instead of exiting so tests and wrappers can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    ) {
      return EXIT_OK;
    }
    return EXIT_BAD_INPUT;
  }
  if (error instanceof CohortError) {
    const count = error.problems.length;
    process.stderr.write(`${error.message}\n${count} problem${count === 1 ? "" : "s"} found; nothing was changed.\n`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof RunSpecError) {
    process.stderr.write(`error: the run spec is not valid:\n${error.problems.map((p) => `  ${p}`).join("\n")}\n`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof BadInputError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof CommandFailedError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_FAILURE;
}
