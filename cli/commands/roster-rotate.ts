/**
 * `labkit roster rotate <learner>`: issue a learner a new API token through the running
 * lab-controller (`POST /v1/learners/<id>/token`). The old token and every session of that
 * learner stop working at once; the new token is printed once (the controller keeps its hash).
 */
import type { Command } from "commander";
import { DNS_LABEL } from "../../schema/cohort-shape";
import { BadInputError, CommandFailedError } from "../exit-codes";
import { readStackOutputs } from "../stack-outputs";

/** Where the controller is and who asks. */
export interface RotateRequest {
  /** Base URL of the API, e.g. `https://labs.example.org/api/`. */
  readonly apiBaseUrl: string;
  /** An instructor's token. */
  readonly instructorToken: string;
  readonly learnerId: string;
}

/** The controller's answer. */
export interface RotatedLearnerToken {
  readonly learnerId: string;
  readonly token: string;
  readonly sessionsEnded: number;
}

/** Ask the controller for a new token; throws a CommandFailedError with the controller's reason. */
export async function rotateLearnerToken(request: RotateRequest): Promise<RotatedLearnerToken> {
  if (!DNS_LABEL.test(request.learnerId)) {
    throw new BadInputError(`\`${request.learnerId}\` is not a learner id (lower-case letters, digits and '-')`);
  }
  const url = new URL(`v1/learners/${request.learnerId}/token`, request.apiBaseUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${request.instructorToken}` },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CommandFailedError(
      `could not reach the lab-controller at ${url.origin} (${(error as Error).message}): is the cohort deployed, and is --api-url right?`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as Partial<RotatedLearnerToken> & { error?: string };
  if (!response.ok || typeof body.token !== "string") {
    throw new CommandFailedError(
      `the lab-controller refused to rotate \`${request.learnerId}\`'s token (${response.status}): ${body.error ?? "no reason given"}`,
    );
  }
  return { learnerId: request.learnerId, token: body.token, sessionsEnded: body.sessionsEnded ?? 0 };
}

/** The API base URL and an instructor token, from flags, the environment or the stack outputs. */
async function rotateTarget(options: {
  apiUrl?: string;
  stackOutputs?: string;
  stack?: string;
  instructor?: string;
}): Promise<{ apiBaseUrl: string; instructorToken: string }> {
  const envToken = process.env.LABKIT_INSTRUCTOR_TOKEN;
  let outputs: Readonly<Record<string, unknown>> = {};
  if (!options.apiUrl || !envToken) {
    const read = await readStackOutputs({ outputsFile: options.stackOutputs, stack: options.stack, showSecrets: true });
    if (!read.found) {
      throw new CommandFailedError(
        `${read.reason}: pass --api-url and set LABKIT_INSTRUCTOR_TOKEN, or --stack-outputs FILE (\`pulumi stack output --json --show-secrets\`)`,
      );
    }
    outputs = read.outputs;
  }
  const dashboardUrl = typeof outputs.dashboardUrl === "string" ? outputs.dashboardUrl : undefined;
  const apiBaseUrl = options.apiUrl ?? (dashboardUrl ? new URL("/api/", dashboardUrl).toString() : undefined);
  if (!apiBaseUrl)
    throw new BadInputError("no `dashboardUrl` in the stack outputs: pass --api-url https://<host>/api/");
  const tokens = (outputs.instructorTokens ?? {}) as Record<string, unknown>;
  const id = options.instructor ?? Object.keys(tokens)[0];
  const instructorToken = envToken ?? (id !== undefined ? tokens[id] : undefined);
  if (typeof instructorToken !== "string" || instructorToken === "[secret]") {
    throw new BadInputError(
      "no instructor token: set LABKIT_INSTRUCTOR_TOKEN, or read the stack outputs with secrets (`instructorTokens`)",
    );
  }
  return { apiBaseUrl: apiBaseUrl.endsWith("/") ? apiBaseUrl : `${apiBaseUrl}/`, instructorToken };
}

/** Register `roster rotate` under the `roster` command. */
export function registerRosterRotate(roster: Command): void {
  roster
    .command("rotate <learner>")
    .description("issue a learner a new API token: the old one and all their sessions stop working at once")
    .option("--api-url <url>", "the controller's API, e.g. https://labs.example.org/api/ (default: from the stack)")
    .option("--stack-outputs <file>", "read the stack outputs from this file instead of running the Pulumi CLI")
    .option("--stack <name>", "Pulumi stack to read (default: the selected stack)")
    .option("--instructor <id>", "whose instructor token to use from the stack outputs (default: the first)")
    .addHelpText(
      "after",
      "\nThe instructor token comes from LABKIT_INSTRUCTOR_TOKEN or the stack's `instructorTokens` output.\nThe learner's JupyterLab keeps its own login token: see docs/security.md.",
    )
    .action(async (learner: string, _options: unknown, command: Command) => {
      // `--stack-outputs` and `--stack` are `roster`'s options too; commander gives them to whichever comes first.
      const target = await rotateTarget(
        command.optsWithGlobals<{ apiUrl?: string; stackOutputs?: string; stack?: string; instructor?: string }>(),
      );
      const rotated = await rotateLearnerToken({ ...target, learnerId: learner });
      process.stdout.write(`${rotated.token}\n`);
      process.stderr.write(
        `new API token for ${rotated.learnerId} (shown once); the old token no longer works and ${rotated.sessionsEnded} session(s) ended\n`,
      );
    });
}
