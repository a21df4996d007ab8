/**
 * Starts a real JupyterLab on 127.0.0.1 with the lab chart's own command line (`jupyterLabArgs`),
 * the token in `JUPYTER_TOKEN` as the lab's Secret provides it, and waits for the probe path.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { jupyterLabArgs, jupyterProbePath } from "../../charts/jupyter-command";
import { startProcess } from "../../lib/run-process";
import { freePort } from "../harness/free-port";
import { REPO_ROOT } from "../harness/run-cli";

export interface RunningJupyter {
  readonly baseUrl: string;
  readonly args: readonly string[];
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Start JupyterLab for `learnerId` serving `rootDir`; resolves once the readiness probe path answers 200. */
export async function startJupyterLab(
  learnerId: string,
  token: string,
  rootDir: string,
  home: string,
): Promise<RunningJupyter> {
  const port = await freePort();
  // As a lab with a domain runs: behind TLS, so its login cookie is Secure.
  const args = jupyterLabArgs({
    learnerId,
    ip: "127.0.0.1",
    port,
    rootDir,
    idleTimeoutMinutes: 60,
    secureCookie: true,
  });
  // The chart runs `jupyter lab ...` from the image's PATH; here the same args go to the venv's jupyter.
  const [program, ...rest] = args;
  mkdirSync(join(home, "runtime"), { recursive: true });
  // The pod never runs as root (runAsNonRoot). A test machine may: the venv's Python lives under
  // root's home, so Jupyter cannot be run as another user here, and refuses root without this flag.
  const rootOnly = process.getuid?.() === 0 ? ["--allow-root"] : [];
  const child = startProcess(join(REPO_ROOT, ".venv/bin", program), [...rest, ...rootOnly], {
    extendEnv: false,
    captureStdout: true,
    env: {
      PATH: `${join(REPO_ROOT, ".venv/bin")}:${process.env.PATH}`,
      HOME: home,
      JUPYTER_TOKEN: token,
      JUPYTER_RUNTIME_DIR: join(home, "runtime"),
      JUPYTER_CONFIG_DIR: join(home, ".jupyter"),
      JUPYTER_PLATFORM_DIRS: "1",
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const exited = child.exited();
    if (exited) throw new Error(`JupyterLab exited with ${exited.exitCode}:\n${child.output()}`);
    try {
      const response = await fetch(`${baseUrl}${jupyterProbePath(learnerId)}`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`JupyterLab did not answer on ${jupyterProbePath(learnerId)} within 90 s:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    args,
    output: () => child.output(),
    stop: () => child.stop(),
  };
}
