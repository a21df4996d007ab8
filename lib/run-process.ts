/**
 * The one place labkit starts other programs (the Pulumi CLI, moto, JupyterLab, Python, Go), over
 * execa. A failure comes back as a sentence a person can act on: "`pulumi stack export` failed:
 * <first line of its stderr>", or "<tool> is not installed (no `<tool>` on PATH)".
 */
import { execa, execaSync, type Options, type SyncOptions } from "execa";

/** What a finished program left. */
export interface ProcessResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Variables added to this process's environment (or, with `extendEnv: false`, the whole environment). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from this process's environment. Default true. */
  readonly extendEnv?: boolean;
  /** Text written to the program's standard input. */
  readonly input?: string;
  /** Kill the program after this long, ms. Default: no limit. */
  readonly timeoutMs?: number;
  /** Largest stdout or stderr kept, bytes. Default 256 MiB. */
  readonly maxBufferBytes?: number;
}

/** A program that could not run or exited non-zero; `message` says which and why. */
export class ProcessError extends Error {
  constructor(
    message: string,
    readonly result?: ProcessResult,
    readonly notInstalled = false,
  ) {
    super(message);
    this.name = "ProcessError";
  }
}

function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].join(" ");
}

function execaOptions(options: RunOptions): Options {
  return {
    cwd: options.cwd,
    env: options.env as Record<string, string>,
    extendEnv: options.extendEnv ?? true,
    input: options.input,
    timeout: options.timeoutMs,
    maxBuffer: options.maxBufferBytes ?? 256 * 1024 * 1024,
    reject: false,
    stripFinalNewline: false,
  };
}

function settle(
  file: string,
  args: readonly string[],
  result: {
    exitCode?: number;
    stdout?: unknown;
    stderr?: unknown;
    code?: string;
    timedOut?: boolean;
    failed?: boolean;
    shortMessage?: string;
  },
): ProcessResult {
  const outcome = {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
  };
  if (result.code === "ENOENT") {
    throw new ProcessError(`${file} is not installed (no \`${file}\` on PATH)`, undefined, true);
  }
  if (result.timedOut) throw new ProcessError(`\`${commandLine(file, args)}\` took too long and was stopped`, outcome);
  if (result.failed) {
    const detail = (outcome.stderr || result.shortMessage || "").trim().split("\n")[0];
    throw new ProcessError(
      `\`${commandLine(file, args)}\` failed (exit ${outcome.exitCode})${detail ? `: ${detail}` : ""}`,
      outcome,
    );
  }
  return outcome;
}

/** Run a program to its end; throws `ProcessError` when it cannot start, times out or exits non-zero. */
export async function runProcess(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  return settle(file, args, await execa(file, [...args], execaOptions(options)));
}

/** `runProcess`, blocking (for test set-up and scripts). */
export function runProcessSync(file: string, args: readonly string[], options: RunOptions = {}): ProcessResult {
  return settle(file, args, execaSync(file, [...args], execaOptions(options) as SyncOptions));
}

/** Run a program to its end and return what it left, whatever its exit code (throws only when it cannot start). */
export async function runProcessForResult(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  const result = await execa(file, [...args], execaOptions(options));
  if ((result as { code?: string }).code === "ENOENT") {
    throw new ProcessError(`${file} is not installed (no \`${file}\` on PATH)`, undefined, true);
  }
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/** `runProcessForResult`, blocking. */
export function runProcessSyncForResult(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): ProcessResult {
  const result = execaSync(file, [...args], execaOptions(options) as SyncOptions);
  if ((result as { code?: string }).code === "ENOENT") {
    throw new ProcessError(`${file} is not installed (no \`${file}\` on PATH)`, undefined, true);
  }
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/** A program left running in the background (a server for tests): its output so far, and a way to stop it. */
export interface BackgroundProcess {
  readonly pid: number | undefined;
  /** The last 4,000 characters of its stderr (and stdout when `captureStdout`). */
  output(): string;
  /** Whether it has exited, and with which code. */
  exited(): { exitCode: number | null } | undefined;
  /** Resolves with the first match of `pattern` in its output; rejects if it exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Ask it to stop (SIGTERM, then SIGKILL after 5 s), and wait until it has. */
  stop(): Promise<void>;
}

/** Start a long-running program; its stdout is ignored unless `captureStdout`, its stderr kept for messages. */
export function startProcess(
  file: string,
  args: readonly string[],
  options: RunOptions & { readonly captureStdout?: boolean } = {},
): BackgroundProcess {
  const child = execa(file, [...args], {
    ...execaOptions(options),
    stdin: "ignore",
    stdout: options.captureStdout ? "pipe" : "ignore",
    stderr: "pipe",
    buffer: false,
    // `stop()` sends SIGTERM; a program still running this long after it gets SIGKILL.
    forceKillAfterDelay: 5000,
  });
  let output = "";
  let exit: { exitCode: number | null } | undefined;
  const listeners = new Set<() => void>();
  const keep = (chunk: unknown) => {
    output = (output + String(chunk)).slice(-4000);
    for (const listener of listeners) listener();
  };
  child.stderr?.on("data", keep);
  child.stdout?.on("data", keep);
  const done = child.then(
    (r) => {
      exit = { exitCode: r.exitCode ?? null };
      for (const listener of listeners) listener();
    },
    () => {
      exit = { exitCode: null };
      for (const listener of listeners) listener();
    },
  );
  return {
    pid: child.pid,
    output: () => output,
    exited: () => exit,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} in ${file}'s output within ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
        const check = () => {
          const match = output.match(pattern);
          if (match) finish(undefined, match);
          else if (exit)
            finish(new Error(`${file} exited (code ${exit.exitCode}) before printing ${pattern}:\n${output}`));
        };
        function finish(error?: Error, match?: RegExpMatchArray) {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(match as RegExpMatchArray);
        }
        listeners.add(check);
        check();
      }),
    async stop() {
      if (exit) return;
      child.kill("SIGTERM");
      await done;
    },
  };
}
