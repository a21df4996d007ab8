/**
 * What a runner Job and its pod say about a run: still pending, running (where, since when), or
 * finished, and if it failed, why in words a learner can act on. The termination message (the
 * runner's `RunSummary`) is the source of truth for the end state, since events may be lost.
 * Pure: reads Job and Pod objects, returns plain data.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { type RunSummary, RunSummarySchema } from "../schema/run-result";
import { RUNNER_CONTAINER } from "./runner-job";

/** Pod status reasons that mean the node went away, not that the runner failed. */
const DISRUPTION_REASONS = new Set(["NodeLost", "Evicted", "Terminated", "Shutdown", "NodeShutdown", "NodeAffinity"]);

/** The state of a run as seen in the cluster. */
export type JobOutcome =
  | { readonly kind: "pending" }
  | { readonly kind: "running"; readonly node?: string; readonly startedAt?: string }
  | { readonly kind: "succeeded"; readonly summary?: RunSummary; readonly finishedAt?: string }
  | {
      readonly kind: "failed";
      readonly reason: string;
      /** True for a run that ran out of memory: past its VRAM grant (CUDA OOM) or its host-memory share (OOMKilled). */
      readonly outOfMemory: boolean;
      readonly summary?: RunSummary;
      readonly finishedAt?: string;
    }
  /** The node was lost or reclaimed (spot interruption, drain): the run may be requeued. */
  | { readonly kind: "disrupted"; readonly reason: string };

/** The reason a run that exceeded its grant fails with. */
export function vramLimitReason(grantedMiB: number, detail?: string): string {
  const base = `exceeded its VRAM limit of ${Math.round(grantedMiB)} MiB`;
  return detail ? `${base} (${detail})` : base;
}

/** The reason a run killed for host memory fails with. */
export function hostMemoryLimitReason(limit: string | undefined): string {
  return `ran out of host memory (RAM)${limit ? `: its limit is ${limit}, its share of the node` : ""}, not of GPU memory; load the model with less host memory (a smaller model, or fewer dataloader workers), or run it on a pool with more memory per GPU`;
}

/** Parse a termination message as a RunSummary; undefined when it is not one (e.g. a log tail). */
export function parseTerminationMessage(message: string | undefined): RunSummary | undefined {
  if (!message) return undefined;
  try {
    const parsed = RunSummarySchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Interpret a run's Job and its pods (newest pod decides). */
export function interpretJob(job: V1Job, pods: readonly V1Pod[], grantedMiB: number): JobOutcome {
  const pod = [...pods].sort((a, b) =>
    String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")),
  )[0];
  const container = pod?.status?.containerStatuses?.find((c) => c.name === RUNNER_CONTAINER);
  const terminated = container?.state?.terminated;
  const summary = parseTerminationMessage(terminated?.message);
  const finishedAt = toIso(terminated?.finishedAt) ?? toIso(job.status?.completionTime);

  const disruption = pod?.status?.conditions?.find((c) => c.type === "DisruptionTarget" && c.status === "True");
  if (disruption || (pod?.status?.reason && DISRUPTION_REASONS.has(pod.status.reason))) {
    const why = disruption?.reason ?? pod?.status?.reason ?? "node lost";
    return { kind: "disrupted", reason: `its node ${pod?.spec?.nodeName ?? ""} went away (${why})`.replace("  ", " ") };
  }

  const conditions = job.status?.conditions ?? [];
  const complete = conditions.some((c) => c.type === "Complete" && c.status === "True");
  const failedCondition = conditions.find((c) => c.type === "Failed" && c.status === "True");

  if (summary?.status === "failed" || (terminated && terminated.exitCode !== 0) || failedCondition) {
    if (summary?.failureKind === "oom") {
      return {
        kind: "failed",
        reason: vramLimitReason(grantedMiB, summary.reason),
        outOfMemory: true,
        summary,
        finishedAt,
      };
    }
    if (terminated?.reason === "OOMKilled") {
      return {
        kind: "failed",
        // OOMKilled is the kernel's cgroup limit on host memory (RAM), not the GPU's: say so.
        reason: hostMemoryLimitReason(
          pod?.spec?.containers?.find((c) => c.name === RUNNER_CONTAINER)?.resources?.limits?.memory,
        ),
        outOfMemory: true,
        summary,
        finishedAt,
      };
    }
    if (failedCondition?.reason === "DeadlineExceeded") {
      return {
        kind: "failed",
        reason: `stopped after ${job.spec?.activeDeadlineSeconds ?? "?"} s: the learner's GPU-minutes ran out`,
        outOfMemory: false,
        summary,
        finishedAt,
      };
    }
    const reason =
      summary?.reason ??
      (terminated?.message
        ? `the runner exited with code ${terminated.exitCode}: ${lastLine(terminated.message)}`
        : undefined) ??
      (terminated
        ? `the runner exited with code ${terminated.exitCode} (${terminated.reason ?? "Error"})`
        : undefined) ??
      failedCondition?.message ??
      "the Job failed";
    return { kind: "failed", reason, outOfMemory: false, summary, finishedAt };
  }
  if (summary?.status === "succeeded" || complete || (terminated && terminated.exitCode === 0)) {
    return { kind: "succeeded", summary, finishedAt };
  }
  if (pod?.status?.phase === "Running") {
    return {
      kind: "running",
      node: pod.spec?.nodeName,
      startedAt: toIso(container?.state?.running?.startedAt) ?? toIso(pod.status.startTime),
    };
  }
  return { kind: "pending" };
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return value instanceof Date ? value.toISOString() : String(value);
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1].slice(0, 300);
}
