/**
 * `labkit preflight cohort.yaml`: before `pulumi up`, check the AWS account against what the
 * cohort needs (credentials, permissions, instance offerings, vCPU quotas, the domain, the
 * Kubernetes version, the images) and say, per check, what is wrong and how to fix it.
 */
import type { Command } from "commander";
import { fatalChecks, type PreflightCheck, type PreflightReport, runPreflight } from "../../preflight/run-preflight";
import { loadCohort } from "../../schema/load-cohort";
import { BadInputError, CommandFailedError } from "../exit-codes";
import { plural } from "../format/table";

interface PreflightFlags {
  endpointUrl?: string;
  region?: string;
  asOf?: string;
  json?: boolean;
}

const MARK: Record<PreflightCheck["status"], string> = {
  ok: "OK",
  warn: "WARN",
  fail: "FAIL",
  "not-checked": "NOT CHECKED",
};

const INDENT = " ".repeat(13);

/** The report as lines a person reads top to bottom: one per check, its fixes indented below. */
export function formatPreflightReport(report: PreflightReport): string {
  const who = report.account ? `, account ${report.account}` : "";
  const lines = [`labkit preflight: cohort ${report.cohort} in ${report.region}${who}`, ""];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status].padEnd(11)}  ${check.kind} ${check.subject}: ${check.message}`);
    for (const fix of check.fix) lines.push(`${INDENT}fix: ${fix}`);
  }
  const count = (status: PreflightCheck["status"]) => report.checks.filter((c) => c.status === status).length;
  const rest = [
    count("warn") > 0 ? plural(count("warn"), "warning") : "",
    count("not-checked") > 0 ? `${count("not-checked")} not checked` : "",
  ].filter(Boolean);
  if (report.ready) lines.push("", `ready for \`pulumi up\`${rest.length > 0 ? ` (${rest.join(", ")})` : ""}`);
  return `${lines.join("\n")}\n`;
}

function endpointFrom(flag: string | undefined): string | undefined {
  const endpoint = flag ?? process.env.AWS_ENDPOINT_URL;
  if (endpoint === undefined || endpoint === "") return undefined;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new BadInputError(
      `${flag === undefined ? "AWS_ENDPOINT_URL" : "--endpoint-url"} must be an http(s) URL such as http://127.0.0.1:5000, not \`${endpoint}\``,
    );
  }
  return endpoint;
}

export function registerPreflight(program: Command): void {
  program
    .command("preflight")
    .description(
      "before `pulumi up`: check the AWS account against the cohort (credentials, permissions, instance offerings, vCPU quotas, domain, Kubernetes version, images)",
    )
    .argument("<cohort>", "cohort.yaml")
    .option(
      "--endpoint-url <url>",
      "one AWS endpoint for every service, e.g. an emulator (default: AWS_ENDPOINT_URL, else AWS)",
    )
    .option("--region <region>", "AWS region to check (default: the cohort's cloud.region)")
    .option(
      "--as-of <date>",
      "judge dates (the Kubernetes version's support) as on this day, YYYY-MM-DD, to rehearse a later cohort (default: today)",
    )
    .option("--json", "print the report as JSON: { ready, checks: [...] }")
    .addHelpText(
      "after",
      "\nExit codes: 0 ready, 1 not ready (a check failed, or AWS could not be asked), 2 bad input.\nWARN and NOT CHECKED lines do not stop a deploy; see docs/preflight.md for what each check asks AWS.\n\nExample:\n  labkit preflight cohort.yaml && pulumi up",
    )
    .action(async (file: string, flags: PreflightFlags) => {
      const cohort = loadCohort(file);
      const region = flags.region ?? cohort.cloud.region;
      if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
        throw new BadInputError(`--region must be an AWS region such as eu-central-1, not \`${region}\``);
      }
      const endpointUrl = endpointFrom(flags.endpointUrl);
      let now: Date | undefined;
      if (flags.asOf !== undefined) {
        now = new Date(`${flags.asOf}T00:00:00Z`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(flags.asOf) || Number.isNaN(now.getTime())) {
          throw new BadInputError(`--as-of must be a day such as 2026-12-01, not \`${flags.asOf}\``);
        }
      }
      const report = await runPreflight(cohort, {
        region,
        ...(endpointUrl ? { endpointUrl } : {}),
        ...(now ? { now } : {}),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatPreflightReport(report));
      const fatal = fatalChecks(report);
      if (fatal.length > 0) {
        throw new CommandFailedError(
          `not ready: ${plural(fatal.length, "check")} failed (${[...new Set(fatal.map((c) => c.kind))].join(", ")}); apply the fixes above, then run labkit preflight again`,
        );
      }
    });
}
