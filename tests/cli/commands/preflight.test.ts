/**
 * `labkit preflight` end to end: the real CLI as a subprocess against moto, with an account
 * that is short (low quotas, no hosted zone, no images) and one that is ready.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../harness/free-port";
import { MOTO_ACCOUNT_ID, type MotoAws, startMotoAws } from "../../harness/moto-aws";
import { runLabkit } from "../../harness/run-cli";
import { exampleCohortWith } from "../../preflight/cohort-fixture";
import { assumeDeployRole, createHostedZone, pushImage } from "../../preflight/moto-seed";

/** The day the fixtures are judged on: the week before the example cohort (its Kubernetes 1.35 is in standard support). */
const AS_OF = "2026-11-30";

const REGISTRY = `${MOTO_ACCOUNT_ID}.dkr.ecr.eu-central-1.amazonaws.com/labkit`;

/** The example cohort (8 × g6e.xlarge = 32 vCPUs of G, a 4 × m7i.4xlarge system pool) with a zone id and an ECR registry. */
const cohortFile = (hostedZoneId: string) =>
  exampleCohortWith([
    [["cloud", "cluster", "create", "kubernetesVersion"], "1.35"],
    [["domain", "hostedZoneId"], hostedZoneId],
    [["images", "registry"], REGISTRY],
  ]);

describe("labkit preflight against a short account", () => {
  let moto: MotoAws;
  let file: string;
  beforeAll(async () => {
    moto = await startMotoAws({ ec2VcpuQuotas: { "L-DB2E81BA": 8, "L-1216C47A": 64 } });
    file = cohortFile("Z0000000000NOPE");
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("exits 1 and says, per check, what to fix: the G quota, the hosted zone, the images", async () => {
    const result = await runLabkit(["preflight", file, "--as-of", AS_OF, "--endpoint-url", moto.endpointUrl], {
      env: moto.env,
    });
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n");
    const quota = lines.findIndex((l) => l.startsWith("FAIL         vcpu-quota L-DB2E81BA"));
    expect(lines[quota]).toContain("eu-central-1 allows 8 vCPUs; l40s need 32 at full size");
    expect(lines[quota + 1]).toBe(
      "             fix: aws service-quotas request-service-quota-increase --region eu-central-1 --service-code ec2 --quota-code L-DB2E81BA --desired-value 32",
    );
    expect(result.stdout).toMatch(/^WARN {9}vcpu-quota L-1216C47A .*allows 64 vCPUs: enough for system/m);
    expect(result.stdout).toContain(
      "FAIL         domain labs.example.org: hosted zone Z0000000000NOPE does not exist in this account",
    );
    for (const which of ["lab", "runner", "controller"]) {
      expect(result.stdout).toContain(
        `FAIL         image ${which} image: the ECR repository labkit/${which} does not exist`,
      );
    }
    expect(result.stdout).toMatch(/^NOT CHECKED {2}permissions /m);
    expect(result.stderr).toContain("error: not ready: 5 checks failed (vcpu-quota, domain, image)");
  });

  it("prints { ready: false, checks } with --json, taking the endpoint from AWS_ENDPOINT_URL", async () => {
    const result = await runLabkit(["preflight", file, "--as-of", AS_OF, "--json"], { env: moto.env });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      ready: false,
      cohort: "ft-dec26",
      region: "eu-central-1",
      account: MOTO_ACCOUNT_ID,
    });
    const failing = report.checks.filter((c: { status: string }) => c.status === "fail");
    expect(failing.map((c: { kind: string; subject: string }) => `${c.kind} ${c.subject.split(" ")[0]}`)).toEqual([
      "vcpu-quota L-DB2E81BA",
      "domain labs.example.org",
      "image lab",
      "image runner",
      "image controller",
    ]);
  });
});

describe("labkit preflight against a ready account", () => {
  let moto: MotoAws;
  let file: string;
  let deployer: Record<string, string>;
  beforeAll(async () => {
    moto = await startMotoAws({ ec2VcpuQuotas: { "L-DB2E81BA": 64, "L-1216C47A": 128 } });
    file = cohortFile(await createHostedZone(moto.endpointUrl, "example.org"));
    for (const which of ["lab", "runner", "controller"]) await pushImage(moto.endpointUrl, `labkit/${which}`, "0.1.0");
    deployer = await assumeDeployRole(moto.endpointUrl, "/deploy/", "LabkitDeployer");
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("exits 0, with the permissions NOT CHECKED because moto cannot simulate them", async () => {
    const result = await runLabkit(["preflight", file, "--as-of", AS_OF, "--endpoint-url", moto.endpointUrl], {
      env: { ...moto.env, ...deployer },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/^FAIL/m);
    expect(result.stdout).toMatch(/^OK {11}identity .*assumed-role\/LabkitDeployer\/maria/m);
    // The session ARN drops the role's path; GetRole puts it back before the simulation.
    expect(result.stdout).toMatch(
      /^NOT CHECKED {2}permissions .*IAM could not simulate the policies of arn:aws:iam::123456789012:role\/deploy\/LabkitDeployer/m,
    );
    expect(result.stdout).toMatch(/^OK {11}domain labs\.example\.org: hosted zone Z\w+ \(example\.org\) holds/m);
    expect(result.stdout).toMatch(/^OK {11}image controller image: /m);
    expect(result.stdout).toMatch(/ready for `pulumi up` \(1 not checked\)\n$/);
  });

  it("prints ready: true with --json", async () => {
    const result = await runLabkit(
      ["preflight", file, "--as-of", AS_OF, "--json", "--endpoint-url", moto.endpointUrl],
      {
        env: moto.env,
      },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).ready).toBe(true);
  });
});

describe("labkit preflight on bad input or without AWS", () => {
  const valid = cohortFile("Z0000000000NOPE");

  it.each([
    ["a cohort file that does not exist", ["preflight", "no-such-cohort.yaml"], "cannot read the cohort file"],
    [
      "a cohort that is not valid",
      ["preflight", exampleCohortWith([[["cloud", "region"], "mars"]])],
      "cloud.region: expected an AWS region",
    ],
    ["a region that is not one", ["preflight", valid, "--region", "Europe"], "--region must be an AWS region"],
    ["an endpoint that is not a URL", ["preflight", valid, "--endpoint-url", "localhost"], "--endpoint-url must be"],
  ])("exits 2 for %s", async (_, args, message) => {
    const result = await runLabkit(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("exits 1 with how to configure credentials when AWS does not answer", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await runLabkit(["preflight", valid, "--endpoint-url", closed], {
      env: { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_MAX_ATTEMPTS: "1" },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {9}identity AWS credentials: AWS did not say who you are/m);
    expect(result.stdout).toContain("fix: configure AWS credentials (aws configure / AWS_PROFILE)");
    expect(result.stdout).toMatch(/^NOT CHECKED {2}vcpu-quota L-DB2E81BA .*skipped/m);
  });
});
