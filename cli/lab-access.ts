/**
 * Who can reach which lab: each learner's URL and token, read from the deployed stack's outputs
 * (`learnerUrls`, `learnerTokens`, `dashboardUrl`), either from a file holding the output of
 * `pulumi stack output --json --show-secrets`, or by running that command.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { BadInputError, CommandFailedError } from "./exit-codes";

/** One learner's way in. */
export interface LabAccess {
  readonly learnerId: string;
  /** `https://<host>/u/<learner>/`. */
  readonly url: string;
  /** The learner's token; absent when the outputs were read without secrets. */
  readonly token?: string;
}

/** Everything `labkit roster` and `labkit check` need from the stack. */
export interface CohortAccess {
  readonly labs: readonly LabAccess[];
  /** The dashboard's URL (served by the lab-controller), when the stack exports it. */
  readonly dashboardUrl?: string;
}

/** Where to read the outputs: a file, or the Pulumi CLI (optionally for a named stack). */
export interface AccessSource {
  /** File with the JSON of `pulumi stack output --json --show-secrets`. */
  readonly stackOutputsFile?: string;
  /** Stack for `pulumi stack output --stack`; default the selected stack. */
  readonly stack?: string;
}

/** Read the stack outputs as JSON text, from the file or from the Pulumi CLI. */
async function readOutputsText(source: AccessSource): Promise<{ text: string; where: string }> {
  if (source.stackOutputsFile) {
    try {
      return { text: await readFile(source.stackOutputsFile, "utf8"), where: source.stackOutputsFile };
    } catch (error) {
      throw new BadInputError(
        `cannot read the stack outputs file ${source.stackOutputsFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); write it with \`pulumi stack output --json --show-secrets > FILE\``,
      );
    }
  }
  const args = ["stack", "output", "--json", "--show-secrets", ...(source.stack ? ["--stack", source.stack] : [])];
  const where = `pulumi ${args.join(" ")}`;
  return new Promise((resolve, reject) => {
    execFile("pulumi", args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve({ text: stdout, where });
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(
          new CommandFailedError(
            "the Pulumi CLI is not installed (no `pulumi` on PATH): install it (https://www.pulumi.com/docs/install/), or pass --stack-outputs FILE with the output of `pulumi stack output --json --show-secrets` from a machine that has it",
          ),
        );
      }
      reject(new CommandFailedError(`\`${where}\` failed: ${(stderr || error.message).trim().split("\n")[0]}`));
    });
  });
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => typeof v === "string");
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Parse the outputs' JSON into each learner's access, in the order the stack lists them. */
export function parseCohortAccess(text: string, where: string): CohortAccess {
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new BadInputError(
      `${where} is not JSON: expected the output of \`pulumi stack output --json --show-secrets\``,
    );
  }
  if (!outputs || typeof outputs !== "object" || Array.isArray(outputs)) {
    throw new BadInputError(`${where} is not a JSON object of stack outputs`);
  }
  const urls = stringMap(outputs.learnerUrls);
  if (!urls || Object.keys(urls).length === 0) {
    throw new BadInputError(
      `${where} has no \`learnerUrls\` output: is this the labkit stack, and has \`pulumi up\` finished? (outputs present: ${Object.keys(outputs).join(", ") || "none"})`,
    );
  }
  const tokens = stringMap(outputs.learnerTokens);
  // Without --show-secrets Pulumi prints "[secret]" in place of the value.
  const usableTokens = tokens && !Object.values(tokens).includes("[secret]") ? tokens : undefined;
  const labs = Object.entries(urls).map(([learnerId, url]) => ({ learnerId, url, token: usableTokens?.[learnerId] }));
  const dashboardUrl = typeof outputs.dashboardUrl === "string" ? outputs.dashboardUrl : undefined;
  return { labs, dashboardUrl };
}

/** Read each learner's URL and token from the stack. */
export async function readCohortAccess(source: AccessSource): Promise<CohortAccess> {
  const { text, where } = await readOutputsText(source);
  return parseCohortAccess(text, where);
}

/** The URL that logs a learner in and opens their lab: `<url>?token=<token>`. */
export function loginUrl(access: LabAccess): string | undefined {
  return access.token ? `${access.url}?token=${encodeURIComponent(access.token)}` : undefined;
}
