/**
 * The AWS layer of `labkit preflight` against moto, a real AWS emulator: what each call returns
 * as data, and the checks over moto's own answers (its per-region instance offerings are AWS's).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vcpuNeeds } from "../../catalog/ec2-vcpu-quotas";
import { SdkAwsFacts } from "../../preflight/aws-facts";
import { checkInstanceOffering, checkPermissions, checkVcpuQuota, simulationPrincipal } from "../../preflight/checks";
import { MOTO_ACCOUNT_ID, type MotoAws, startMotoAws } from "../harness/moto-aws";
import { createHostedZone, pushImage } from "./moto-seed";

let moto: MotoAws;
const facts = (region = "eu-central-1") => new SdkAwsFacts({ region, endpointUrl: moto.endpointUrl });

beforeAll(async () => {
  moto = await startMotoAws({ ec2VcpuQuotas: { "L-DB2E81BA": 8 } });
});
afterAll(async () => {
  await moto?.stop();
});

describe("the AWS layer against moto", () => {
  it("reads the caller's account", async () => {
    const identity = await facts().callerIdentity();
    expect(identity.ok && identity.value.account).toBe(MOTO_ACCOUNT_ID);
  });

  it("returns the zones moto's offering data lists, and none for a type a region lacks", async () => {
    expect(await facts().offeredAvailabilityZones("g6e.xlarge")).toEqual({
      ok: true,
      value: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
    });
    expect(await facts().offeredAvailabilityZones("p5.48xlarge")).toEqual({ ok: true, value: [] });
  });

  it("fails the offering check for p5.48xlarge in eu-central-1 (nowhere) and ap-northeast-2 (one zone)", async () => {
    const need = { instanceType: "p5.48xlarge", pools: ["h100"] };
    const nowhere = checkInstanceOffering(
      need,
      await facts().offeredAvailabilityZones("p5.48xlarge"),
      "eu-central-1",
      2,
    );
    expect(nowhere.status).toBe("fail");
    expect(nowhere.message).toBe("p5.48xlarge (pool h100) is not offered in any availability zone of eu-central-1");
    const oneZone = await facts("ap-northeast-2").offeredAvailabilityZones("p5.48xlarge");
    const check = checkInstanceOffering(need, oneZone, "ap-northeast-2", 2);
    expect(check.status).toBe("fail");
    expect(check.message).toContain("is offered only in ap-northeast-2a of ap-northeast-2");
  });

  it("reads a seeded EC2 quota, and answers a missing one with moto's NoSuchResourceException", async () => {
    expect(await facts().ec2QuotaValue("L-DB2E81BA")).toEqual({ ok: true, value: 8 });
    const missing = await facts().ec2QuotaValue("L-417A185B");
    expect(missing.ok).toBe(false);
    const [need] = vcpuNeeds([{ name: "h100", instanceType: "p5.48xlarge", capacity: "onDemand", maxNodes: 1 }]);
    if (!need) throw new Error("a need was expected");
    expect(checkVcpuQuota(need, missing, "eu-central-1").status).toBe("not-checked");
    expect(checkVcpuQuota(need, missing, "eu-central-1").message).toContain("NoSuchResourceException");
  });

  it("reports the images it finds, the tags that are missing and the repositories that are", async () => {
    await pushImage(moto.endpointUrl, "ft-dec26/lab", "0.1.0");
    expect(await facts().ecrImage("ft-dec26/lab", { tag: "0.1.0" })).toEqual({ ok: true, value: "present" });
    expect(await facts().ecrImage("ft-dec26/lab", { tag: "0.2.0" })).toEqual({ ok: true, value: "no-image" });
    expect(await facts().ecrImage("ft-dec26/runner", { tag: "0.1.0" })).toEqual({ ok: true, value: "no-repository" });
  });

  it("finds hosted zones by id and by exact name", async () => {
    const id = await createHostedZone(moto.endpointUrl, "example.net");
    const zone = { id, name: "example.net", privateZone: false };
    expect(await facts().hostedZone(id)).toEqual({ ok: true, value: zone });
    expect(await facts().hostedZonesNamed("example.net")).toEqual({ ok: true, value: [zone] });
    expect(await facts().hostedZonesNamed("labs.example.net")).toEqual({ ok: true, value: [] });
    const missing = await facts().hostedZone("Z0000000000NOPE");
    expect(missing.ok === false && missing.error.code).toBe("NoSuchHostedZone");
  });

  it("reports moto's missing SimulatePrincipalPolicy as NOT CHECKED, with the reason", async () => {
    const principal = simulationPrincipal(`arn:aws:iam::${MOTO_ACCOUNT_ID}:user/maria`);
    const decisions = await facts().simulatePrincipalPolicy(`arn:aws:iam::${MOTO_ACCOUNT_ID}:user/maria`, [
      "eks:CreateCluster",
    ]);
    expect(decisions.ok).toBe(false);
    const check = checkPermissions(principal, decisions);
    expect(check.status).toBe("not-checked");
    expect(check.message).toContain("not an AWS API answer");
  });
});
