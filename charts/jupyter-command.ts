/**
 * The exact JupyterLab command line of a learner's lab. The lab StatefulSet runs it, and the
 * tests start a real JupyterLab on loopback with the very same arguments, so what is tested is
 * what runs in the cluster.
 *
 * The token is never on the command line (it would show in `ps`): Jupyter reads it from the
 * `JUPYTER_TOKEN` environment variable (jupyter_server's IdentityProvider), which the lab fills
 * from the learner's Secret.
 */
import { learnerPath } from "./names";

/** Where and how one learner's JupyterLab listens. */
export interface JupyterLabServerOptions {
  /** Learner id; the server lives under `/u/<learner>/`. */
  readonly learnerId: string;
  /** Address to listen on. Default `0.0.0.0` (all interfaces of the pod). */
  readonly ip?: string;
  /** TCP port. Default 8888. */
  readonly port?: number;
  /** Directory the file browser opens at (the learner's home). Default `/home/jovyan`. */
  readonly rootDir?: string;
  /** Stop kernels idle this many minutes; 0 never. Default 60. */
  readonly idleTimeoutMinutes?: number;
}

/** Folder of the workshop notebooks and datasets, relative to the root dir; the landing page opens it. */
export const WORKSHOP_DIR = "workshop";

/** Seconds between WebSocket pings, below the 60 s idle timeout of AWS load balancers. */
const WEBSOCKET_PING_INTERVAL_S = 30;

/** The command line (argv) that starts a learner's JupyterLab. */
export function jupyterLabArgs(options: JupyterLabServerOptions): string[] {
  const idleMinutes = options.idleTimeoutMinutes ?? 60;
  const args = [
    "jupyter",
    "lab",
    `--ServerApp.ip=${options.ip ?? "0.0.0.0"}`,
    `--ServerApp.port=${options.port ?? 8888}`,
    // Fail instead of silently moving to another port the Service does not point at.
    "--ServerApp.port_retries=0",
    `--ServerApp.base_url=${learnerPath(options.learnerId)}`,
    `--ServerApp.root_dir=${options.rootDir ?? "/home/jovyan"}`,
    // JupyterLab, as the server's main extension, sets the landing page (ServerApp.default_url is overridden).
    `--LabApp.default_url=/lab/tree/${WORKSHOP_DIR}`,
    "--ServerApp.open_browser=False",
    // Behind the gateway the Host header is the cohort's domain, not a local name.
    "--ServerApp.allow_remote_access=True",
    "--ServerApp.trust_xheaders=True",
    `--ServerApp.websocket_ping_interval=${WEBSOCKET_PING_INTERVAL_S}`,
  ];
  if (idleMinutes > 0) {
    args.push(
      `--MappingKernelManager.cull_idle_timeout=${idleMinutes * 60}`,
      "--MappingKernelManager.cull_interval=300",
      // A forgotten browser tab must not hold a kernel (and its GPU memory) all day.
      "--MappingKernelManager.cull_connected=True",
    );
  }
  return args;
}

/** Path the kubelet probes: Jupyter's version endpoint, which answers without a token. */
export function jupyterProbePath(learnerId: string): string {
  return `${learnerPath(learnerId)}api`;
}

/** Authenticated status endpoint; `labkit check` calls it with the learner's token. */
export function jupyterStatusPath(learnerId: string): string {
  return `${learnerPath(learnerId)}api/status`;
}
