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
  /**
   * Mark the login cookie `Secure` (browsers send it over HTTPS only). Set it when learners come
   * through TLS: the NLB terminates TLS, so JupyterLab's own guess from the request would say
   * plain HTTP. Default false (Jupyter then decides from the request's protocol).
   */
  readonly secureCookie?: boolean;
}

/** Folder of the workshop notebooks and datasets, relative to the root dir; the landing page opens it. */
export const WORKSHOP_DIR = "workshop";

/** Seconds between WebSocket pings, below the 60 s idle timeout of AWS load balancers. */
const WEBSOCKET_PING_INTERVAL_S = 30;

/**
 * How the login cookie is set. jupyter_server (2.21.1, the version jupyterlab 4.6.6 installs)
 * passes `IdentityProvider.cookie_options` to tornado's `set_secure_cookie`, after
 * `setdefault("httponly", True)`, `setdefault("secure", True)` when `secure_cookie` (or an HTTPS
 * request) says so, and `setdefault("path", base_url)` (jupyter_server/auth/identity.py,
 * `set_login_cookie`). A traitlets Dict takes `key=value` on the command line, once per key;
 * tornado 6.6's `set_cookie` takes `samesite`. No `domain` key: the cookie stays host-only.
 * Pinned by tests/charts/jupyter-command.test.ts against a real JupyterLab.
 */
export const LOGIN_COOKIE_ARGS: readonly string[] = ["--IdentityProvider.cookie_options=samesite=Lax"];

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
    // The login cookie: no Domain attribute (host-only: sent back to this lab's host only),
    // HttpOnly (jupyter_server's default), and SameSite=Lax, so another site's form cannot use it.
    ...LOGIN_COOKIE_ARGS,
  ];
  if (options.secureCookie) args.push("--IdentityProvider.secure_cookie=True");
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
