/**
 * Runs the real `labkit` command as a subprocess (node bin/labkit.js), as a user would, and
 * returns its exit code and output.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcessForResult } from "../../lib/run-process";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LABKIT_BIN = resolve(REPO_ROOT, "bin/labkit.js");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `labkit <args>` from the repository root (or `cwd`) and collect its output. */
export function runLabkit(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return runProcessForResult(process.execPath, [LABKIT_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { NO_COLOR: "1", ...options.env },
    input: options.input ?? "",
    timeoutMs: options.timeoutMs ?? 60_000,
    maxBufferBytes: 64 * 1024 * 1024,
  }).then((result) => ({
    code: result.exitCode < 0 ? 1 : result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
  }));
}
