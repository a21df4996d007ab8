/**
 * `labkit check`: on the morning of the class, probe every learner's JupyterLab and the
 * lab-controller through the gateway, and say which are not ready.
 */
import type { Command } from "commander";
import { mapWithConcurrency } from "../../lib/map-with-concurrency";
import { BadInputError, CommandFailedError } from "../exit-codes";
import { renderTable } from "../format/table";
import { type LabAccess, readCohortAccess } from "../lab-access";

/** What one probe found. */
export interface ProbeResult {
  /** `lab <learner>` or `controller`. */
  readonly target: string;
  readonly url: string;
  readonly ready: boolean;
  /** HTTP status, when there was an answer. */
  readonly status?: number;
  /** Why it is not ready, or `ok`. */
  readonly detail: string;
  /** Time to the answer (or to giving up), milliseconds. */
  readonly elapsedMs: number;
}

async function timedFetch(url: string, init: RequestInit, timeoutMs: number) {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    return { response, elapsedMs: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : cause
          ? `cannot connect (${cause})`
          : (error as Error).message;
    return { error: reason, elapsedMs: performance.now() - started };
  }
}

/**
 * Probe a lab: with its token, Jupyter's authenticated `api/status` must answer 200 (the lab is up
 * and the token works); without one, the open `api` endpoint must answer with Jupyter's version.
 */
export async function probeLab(lab: LabAccess, timeoutMs: number): Promise<ProbeResult> {
  const url = lab.token ? `${lab.url}api/status` : `${lab.url}api`;
  const headers: Record<string, string> = lab.token ? { Authorization: `token ${lab.token}` } : {};
  const answer = await timedFetch(url, { headers }, timeoutMs);
  const target = `lab ${lab.learnerId}`;
  if (!("response" in answer) || !answer.response)
    return { target, url, ready: false, detail: answer.error ?? "no answer", elapsedMs: answer.elapsedMs };
  const { response, elapsedMs } = answer;
  const status = response.status;
  if (status === 200) {
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (body && (lab.token ? "started" in body : "version" in body))
      return { target, url, ready: true, status, detail: "ok", elapsedMs };
    return {
      target,
      url,
      ready: false,
      status,
      detail: "answered 200, but not as JupyterLab does (is the route pointing elsewhere?)",
      elapsedMs,
    };
  }
  await response.body?.cancel();
  const detail =
    status === 403
      ? "JupyterLab refused the learner's token (is the lab's Secret out of date?)"
      : status === 404
        ? "no route for this learner on the gateway (404)"
        : status >= 500
          ? `the gateway has no ready lab behind this URL (${status})`
          : `unexpected answer ${status}`;
  return { target, url, ready: false, status, detail, elapsedMs };
}

/** Probe the lab-controller's dashboard: any answer but a gateway error or a missing route counts as up. */
export async function probeController(url: string, timeoutMs: number): Promise<ProbeResult> {
  const answer = await timedFetch(url, {}, timeoutMs);
  if (!("response" in answer) || !answer.response)
    return {
      target: "controller",
      url,
      ready: false,
      detail: answer.error ?? "no answer",
      elapsedMs: answer.elapsedMs,
    };
  const status = answer.response.status;
  await answer.response.body?.cancel();
  const ready = status < 400 || status === 401 || status === 403;
  return {
    target: "controller",
    url,
    ready,
    status,
    detail: ready ? "ok" : status === 404 ? "no route for the dashboard on the gateway (404)" : `answered ${status}`,
    elapsedMs: answer.elapsedMs,
  };
}

/** Probe every lab (and the controller when its URL is known). */
export async function checkCohort(
  labs: readonly LabAccess[],
  controllerUrl: string | undefined,
  options: { timeoutMs: number; concurrency: number },
): Promise<ProbeResult[]> {
  const probes: Array<() => Promise<ProbeResult>> = [
    ...(controllerUrl ? [() => probeController(controllerUrl, options.timeoutMs)] : []),
    ...labs.map((lab) => () => probeLab(lab, options.timeoutMs)),
  ];
  return mapWithConcurrency(probes, options.concurrency, (probe) => probe());
}

function positiveInt(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new BadInputError(`${flag} must be a positive whole number, got \`${text}\``);
  return value;
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("probe every learner's lab and the lab-controller through the gateway, and report which are not ready")
    .option(
      "--stack-outputs <file>",
      "read the outputs from this file (`pulumi stack output --json --show-secrets > FILE`) instead of running the Pulumi CLI",
    )
    .option("--stack <name>", "Pulumi stack to read (default: the selected stack)")
    .option("--controller-url <url>", "URL of the dashboard to probe (default: the stack's `dashboardUrl` output)")
    .option("--timeout-ms <ms>", "give up on one probe after this long, milliseconds", "10000")
    .option("--concurrency <n>", "probes in flight at once", "16")
    .option("--json", "print every probe's result as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 all ready, 1 something is not ready, 2 bad input.\n\nExample:\n  labkit check --stack-outputs outputs.json",
    )
    .action(
      async (options: {
        stackOutputs?: string;
        stack?: string;
        controllerUrl?: string;
        timeoutMs: string;
        concurrency: string;
        json?: boolean;
      }) => {
        const timeoutMs = positiveInt("--timeout-ms", options.timeoutMs);
        const concurrency = positiveInt("--concurrency", options.concurrency);
        const access = await readCohortAccess({ stackOutputsFile: options.stackOutputs, stack: options.stack });
        const controllerUrl = options.controllerUrl ?? access.dashboardUrl;
        const results = await checkCohort(access.labs, controllerUrl, { timeoutMs, concurrency });
        const notReady = results.filter((r) => !r.ready);
        const labsReady = results.filter((r) => r.target.startsWith("lab ") && r.ready).length;
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ready: notReady.length === 0, results }, null, 2)}\n`);
        } else {
          const lines = [`${labsReady} of ${access.labs.length} labs ready.`];
          const controller = results.find((r) => r.target === "controller");
          lines.push(
            controller
              ? `Controller: ${controller.ready ? "ready" : `NOT READY (${controller.detail})`}.`
              : "Controller: not probed (no `dashboardUrl` output; pass --controller-url).",
          );
          if (notReady.length > 0) {
            lines.push("", "Not ready:");
            lines.push(
              ...renderTable(
                ["Target", "URL", "Status", "Why"],
                notReady.map((r) => [r.target, r.url, r.status === undefined ? "-" : String(r.status), r.detail]),
              ),
            );
          }
          const slowest = Math.max(...results.map((r) => r.elapsedMs));
          lines.push("", `Slowest answer: ${Math.round(slowest)} ms.`);
          process.stdout.write(`${lines.join("\n")}\n`);
        }
        if (notReady.length > 0) {
          throw new CommandFailedError(`${notReady.length} of ${results.length} checks not ready`);
        }
      },
    );
}
