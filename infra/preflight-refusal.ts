/** The message `pulumi up` stops with when a preflight check fails (pure). */
import type { PreflightCheck } from "../preflight/run-preflight";

/** Why the program refuses to deploy, and what to do: each failed check with its fixes, then how to recheck. */
export function preflightRefusal(failed: readonly PreflightCheck[], cohortFile: string): string {
  const lines = [
    `labkit will not deploy ${cohortFile}: ${failed.length} preflight check${failed.length === 1 ? "" : "s"} failed, and the deploy would fail or stall part-way.`,
  ];
  for (const check of failed) {
    lines.push(`  FAIL ${check.kind} ${check.subject}: ${check.message}`);
    for (const fix of check.fix) lines.push(`       fix: ${fix}`);
  }
  lines.push(
    `Fix them, check with \`labkit preflight ${cohortFile}\`, then run \`pulumi up\` again. Nothing was created or changed.`,
  );
  return lines.join("\n");
}
