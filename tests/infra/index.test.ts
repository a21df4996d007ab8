/**
 * The Pulumi program's own entry point (infra/index.ts, what `pulumi up` runs), under Pulumi's
 * mocks for the resources and moto for the AWS calls preflight makes: it refuses to start when a
 * preflight check fails, and deploys, with the deployer's identity, when the account is ready.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { versionsInStandardSupport } from "../../catalog/eks-versions";
import { offlineMocks } from "../../infra/offline-mocks";
import { type MotoAws, startMotoAws } from "../harness/moto-aws";
import { exampleCohortWith } from "../preflight/cohort-fixture";
import { assumeDeployRole, createHostedZone, pushImage } from "../preflight/moto-seed";

/** The example cohort a week from today (so its dates are always ahead), on a version in standard support then. */
function upcomingCohort(hostedZoneId: string): string {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const version = versionsInStandardSupport(day(8))[0];
  if (!version)
    throw new Error("catalog/eks-versions.ts knows no version in standard support a week from now: update it");
  return exampleCohortWith([
    [["schedule", "start"], `${day(7)}T09:00`],
    [["schedule", "end"], `${day(8)}T17:00`],
    [["cloud", "cluster", "create", "kubernetesVersion"], version],
    [["domain", "hostedZoneId"], hostedZoneId],
  ]);
}

const registered: Array<{ type: string; inputs: Record<string, unknown> }> = [];
let moto: MotoAws;

beforeAll(async () => {
  moto = await startMotoAws({ ec2VcpuQuotas: { "L-DB2E81BA": 8, "L-1216C47A": 128 } });
  Object.assign(process.env, moto.env, { AWS_ENDPOINT_URL: moto.endpointUrl });
  const mocks = offlineMocks();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, inputs: args.inputs });
        return mocks.newResource(args);
      },
      call: mocks.call,
    },
    "labkit",
    "entrypoint",
    false,
  );
});
afterAll(async () => {
  await moto?.stop();
});

async function runProgram(cohortFile: string): Promise<unknown> {
  pulumi.runtime.setConfig("labkit:cohortFile", cohortFile);
  // A fresh module instance per run, as each `pulumi up` is a fresh process.
  vi.resetModules();
  return import("../../infra/index");
}

describe("pulumi up's program", () => {
  it("refuses to start, creating nothing, when the account's G and VT quota is short, naming the request to file", async () => {
    const before = registered.length;
    const file = upcomingCohort(await createHostedZone(moto.endpointUrl, "example.org"));
    await expect(runProgram(file)).rejects.toThrow(/labkit will not deploy .*1 preflight check failed/s);
    await expect(runProgram(file)).rejects.toThrow(/--quota-code L-DB2E81BA --desired-value 32/);
    expect(registered.length).toBe(before);
  }, 60_000);

  it("deploys when the account is ready, without an access entry for the deploying role", async () => {
    await moto.stop();
    moto = await startMotoAws({ ec2VcpuQuotas: { "L-DB2E81BA": 64, "L-1216C47A": 128 } });
    Object.assign(process.env, moto.env, { AWS_ENDPOINT_URL: moto.endpointUrl });
    const file = upcomingCohort(await createHostedZone(moto.endpointUrl, "example.org"));
    Object.assign(process.env, await assumeDeployRole(moto.endpointUrl, "/", "PlatformAdmins"));
    for (const which of ["lab", "runner", "controller"])
      await pushImage(moto.endpointUrl, `ft-dec26/${which}`, "0.1.0");
    const program = (await runProgram(file)) as { imageRegistry: string };
    expect(program.imageRegistry).toBe("123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26");
    await new Promise((r) => setTimeout(r, 500));
    const cluster = registered.find((r) => r.type === "eks:index:Cluster");
    const entries = Object.values(cluster?.inputs.accessEntries as Record<string, { principalArn: string }>);
    // The example lists PlatformAdmins as a platform role; it deploys, so EKS's own entry covers it.
    expect(entries.map((e) => e.principalArn)).toEqual(["arn:aws:iam::123456789012:role/WorkshopInstructors"]);
  }, 60_000);
});
