/**
 * A real AWS emulator for tests: moto's server from the project's Python venv, on a free
 * loopback port, answering every service moto implements on one endpoint. Start it in
 * `beforeAll`, stop it in `afterAll`.
 */
import { join } from "node:path";
import { startProcess } from "../../lib/run-process";
import { freePort } from "./free-port";

const VENV_BIN = join(import.meta.dirname, "..", "..", ".venv", "bin");
const MOTO_SERVER = join(VENV_BIN, "moto_server");
const MOTO_WITH_EC2_QUOTAS = join(import.meta.dirname, "moto_with_ec2_quotas.py");

/** Dummy credentials moto accepts; set in the environment so the AWS SDK's default chain finds them. */
export const DUMMY_AWS_ENV = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "eu-central-1",
} as const;

/** The account moto answers as (STS GetCallerIdentity). */
export const MOTO_ACCOUNT_ID = "123456789012";

export interface MotoAwsOptions {
  /**
   * EC2 vCPU quotas Service Quotas should answer, by quota code (`{ "L-DB2E81BA": 8 }`), vCPUs.
   * Default: none, as in plain moto, where every EC2 quota answers NoSuchResourceException.
   */
  readonly ec2VcpuQuotas?: Readonly<Record<string, number>>;
}

export interface MotoAws {
  readonly endpointUrl: string;
  /** The variables a child process (the real CLI) needs to reach this server with dummy credentials. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Starts moto's server (through tests/harness/moto_with_ec2_quotas.py when EC2 quotas are
 * asked for) and waits until it answers (up to 30 s). Sets the dummy credentials in this process.
 */
export async function startMotoAws(options: MotoAwsOptions = {}): Promise<MotoAws> {
  Object.assign(process.env, DUMMY_AWS_ENV);
  const port = await freePort();
  const hostArgs = ["-H", "127.0.0.1", "-p", String(port)];
  const child = options.ec2VcpuQuotas
    ? startProcess(join(VENV_BIN, "python"), [MOTO_WITH_EC2_QUOTAS, ...hostArgs], {
        env: { MOTO_EC2_QUOTAS: JSON.stringify(options.ec2VcpuQuotas) },
      })
    : startProcess(MOTO_SERVER, hostArgs);
  const endpointUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exited()) throw new Error(`moto's server exited early:\n${child.output()}`);
    try {
      const response = await fetch(`${endpointUrl}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`moto's server did not answer on ${endpointUrl} within 30 s:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpointUrl,
    env: { ...DUMMY_AWS_ENV, AWS_ENDPOINT_URL: endpointUrl },
    stop: () => child.stop(),
  };
}
