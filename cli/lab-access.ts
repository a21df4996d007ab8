/**
 * Who can reach which lab: each learner's URL and token, read from the deployed stack's outputs
 * (`learnerUrls`, `learnerTokens`, `dashboardUrl`), either from a file holding the output of
 * `pulumi stack output --json --show-secrets`, or by running that command.
 */
import { BadInputError, CommandFailedError } from "./exit-codes";
import { readStackOutputs } from "./stack-outputs";

/** One learner's way in. */
export interface LabAccess {
  readonly learnerId: string;
  /** `https://<learner>.<labsDomain>/u/<learner>/` (a host per lab), or `http://<load balancer>/u/<learner>/` without a domain. */
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

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => typeof v === "string");
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Each learner's access from the stack outputs, in the order the stack lists them. */
export function parseCohortAccess(outputs: Readonly<Record<string, unknown>>, where: string): CohortAccess {
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
  const read = await readStackOutputs({ outputsFile: source.stackOutputsFile, stack: source.stack, showSecrets: true });
  if (!read.found) {
    throw new CommandFailedError(
      `${read.reason}: install the Pulumi CLI (https://www.pulumi.com/docs/install/), or pass --stack-outputs FILE with the output of \`pulumi stack output --json --show-secrets\` from a machine that has it`,
    );
  }
  return parseCohortAccess(read.outputs, source.stackOutputsFile ?? "the stack outputs");
}

/** The URL that logs a learner in and opens their lab: `<url>?token=<token>`. */
export function loginUrl(access: LabAccess): string | undefined {
  return access.token ? `${access.url}?token=${encodeURIComponent(access.token)}` : undefined;
}
