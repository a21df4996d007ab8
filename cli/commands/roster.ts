/** `labkit roster`: every learner's lab URL (and login link), from the deployed stack's outputs. */
import type { Command } from "commander";
import { stringify } from "csv-stringify/sync";
import { formulaSafeCell } from "../../lib/csv-cell";
import { BadInputError } from "../exit-codes";
import { type LabAccess, loginUrl, readCohortAccess } from "../lab-access";
import { registerRosterRotate } from "./roster-rotate";

/** Output formats of `labkit roster`. */
export const ROSTER_FORMATS = ["markdown", "csv", "json"] as const;
export type RosterFormat = (typeof ROSTER_FORMATS)[number];

/** The roster as text in `format`; tokens and login links only when `withTokens`. */
export function formatRoster(labs: readonly LabAccess[], format: RosterFormat, withTokens: boolean): string {
  const rows = labs.map((lab) => ({
    learner: lab.learnerId,
    url: lab.url,
    ...(withTokens ? { token: lab.token ?? "", loginUrl: loginUrl(lab) ?? "" } : {}),
  }));
  if (format === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  const columns = withTokens ? ["learner", "url", "token", "loginUrl"] : ["learner", "url"];
  const cells = rows.map((row) => columns.map((c) => (row as Record<string, string>)[c]));
  // Learner ids and URLs come from the stack outputs: keep them text in a spreadsheet.
  if (format === "csv") return stringify([columns, ...cells.map((r) => r.map(formulaSafeCell))]);
  const headers = withTokens ? ["Learner", "URL", "Token", "Login link"] : ["Learner", "URL"];
  const line = (r: string[]) => `| ${r.map((v) => v.replaceAll("|", "\\|")).join(" | ")} |`;
  return `${[line(headers), line(headers.map(() => "---")), ...cells.map(line)].join("\n")}\n`;
}

export function registerRoster(program: Command): void {
  const roster = program.command("roster");
  registerRosterRotate(roster);
  roster
    .description(
      "print every learner's lab URL and login link (Markdown, CSV or JSON), from the deployed stack's outputs",
    )
    .option("--format <format>", `one of ${ROSTER_FORMATS.join(", ")}`, "markdown")
    .option(
      "--stack-outputs <file>",
      "read the outputs from this file (`pulumi stack output --json --show-secrets > FILE`) instead of running the Pulumi CLI",
    )
    .option("--stack <name>", "Pulumi stack to read (default: the selected stack)")
    .option("--no-tokens", "leave out tokens and login links (for sharing the list of URLs)")
    .addHelpText(
      "after",
      "\nExamples:\n  labkit roster                          # Markdown table from the selected Pulumi stack\n  labkit roster --format csv > links.csv  # one row per learner, for a mail merge\n  labkit roster --stack-outputs outputs.json --no-tokens",
    )
    .action(async (options: { format: string; stackOutputs?: string; stack?: string; tokens: boolean }) => {
      if (!(ROSTER_FORMATS as readonly string[]).includes(options.format)) {
        throw new BadInputError(`unknown --format \`${options.format}\`: use one of ${ROSTER_FORMATS.join(", ")}`);
      }
      const access = await readCohortAccess({ stackOutputsFile: options.stackOutputs, stack: options.stack });
      if (options.tokens && access.labs.some((lab) => !lab.token)) {
        process.stderr.write(
          "warning: the stack outputs have no learner tokens (`learnerTokens` missing, or read without --show-secrets); printing URLs only\n",
        );
      }
      const withTokens = options.tokens && access.labs.every((lab) => lab.token);
      process.stdout.write(formatRoster(access.labs, options.format as RosterFormat, withTokens));
    });
}
