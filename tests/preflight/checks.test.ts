/**
 * The pure checks of `labkit preflight`, over plain facts: no AWS, no emulator.
 */
import { describe, expect, it } from "vitest";
import { EC2_VCPU_QUOTAS, type VcpuNeed } from "../../catalog/ec2-vcpu-quotas";
import { eksVersionSupport, versionFindings } from "../../catalog/eks-versions";
import { formatPreflightReport } from "../../cli/commands/preflight";
import type { Fetched, HostedZone } from "../../preflight/aws-facts";
import {
  candidateZoneNames,
  checkDomain,
  checkIdentity,
  checkImage,
  checkInstanceOffering,
  checkKubernetesVersion,
  checkPermissions,
  checkVcpuQuota,
  simulationPrincipal,
  zoneHoldsName,
} from "../../preflight/checks";
import { DEPLOY_ACTIONS } from "../../preflight/deploy-actions";
import { parseEcrImageRef, type ResolvedImageRef, resolvedImageRefs } from "../../preflight/image-refs";
import { fatalChecks } from "../../preflight/preflight-report";

const failed = (code: string, message = "it failed", httpStatus = 400) =>
  ({ ok: false, error: { code, message, httpStatus } }) as const;
const found = <T>(value: T) => ({ ok: true, value }) as const;

const quota = (code: string) => {
  const q = EC2_VCPU_QUOTAS.find((candidate) => candidate.code === code);
  if (!q) throw new Error(code);
  return q;
};
const gNeed: VcpuNeed = { quota: quota("L-DB2E81BA"), vcpus: 32, vcpusDuringUpdate: 36, pools: ["l40s"] };

describe("identity", () => {
  it("names the account and ARN when STS answers", () => {
    const check = checkIdentity(found({ account: "123456789012", arn: "arn:aws:iam::123456789012:user/maria" }));
    expect(check.status).toBe("ok");
    expect(check.message).toBe("account 123456789012 as arn:aws:iam::123456789012:user/maria");
  });

  it("fails with how to configure credentials when STS does not answer", () => {
    const check = checkIdentity(failed("CredentialsProviderError", "no AWS credentials were found"));
    expect(check.status).toBe("fail");
    expect(check.fix.join("\n")).toContain("configure AWS credentials (aws configure / AWS_PROFILE)");
  });
});

describe("permissions", () => {
  it("simulates an assumed role's session as its role", () => {
    expect(simulationPrincipal("arn:aws:sts::123456789012:assumed-role/Deployer/maria@example.org")).toEqual({
      kind: "role",
      arn: "arn:aws:iam::123456789012:role/Deployer",
      roleName: "Deployer",
    });
    expect(simulationPrincipal("arn:aws-cn:sts::123456789012:assumed-role/Deployer/s").kind).toBe("role");
    expect(simulationPrincipal("arn:aws:iam::123456789012:user/maria")).toEqual({
      kind: "user",
      arn: "arn:aws:iam::123456789012:user/maria",
    });
    expect(simulationPrincipal("arn:aws:iam::123456789012:root").kind).toBe("unsupported");
  });

  const role = simulationPrincipal("arn:aws:sts::123456789012:assumed-role/Deployer/s");
  const decisions = (denied: Record<string, "explicitDeny" | "implicitDeny">) =>
    found(DEPLOY_ACTIONS.map(({ action }) => ({ action, decision: denied[action] ?? ("allowed" as const) })));

  it("is OK when every action the deploy needs is allowed", () => {
    expect(checkPermissions(role, decisions({})).status).toBe("ok");
  });

  it("fails listing the denied actions and what they are for", () => {
    const check = checkPermissions(
      role,
      decisions({ "eks:CreateCluster": "implicitDeny", "iam:PassRole": "explicitDeny" }),
    );
    expect(check.status).toBe("fail");
    expect(check.message).toBe(
      "arn:aws:iam::123456789012:role/Deployer may not: eks:CreateCluster (the EKS cluster), iam:PassRole (handing the roles to EKS, explicitly denied)",
    );
    expect(check.fix.join("\n")).toContain("explicit deny");
  });

  it.each([
    ["not allowed to simulate", failed("AccessDenied", "not authorized to perform iam:SimulatePrincipalPolicy", 403)],
    ["an emulator without the call", failed("Error", "the endpoint answered HTTP 500 …", 500)],
  ])("is NOT CHECKED, not fatal, when IAM cannot simulate (%s)", (_, answer) => {
    const check = checkPermissions(role, answer);
    expect(check.status).toBe("not-checked");
    expect(check.message).toContain(answer.error.code);
    expect(check.fix[0]).toContain(
      "aws iam simulate-principal-policy --policy-source-arn arn:aws:iam::123456789012:role/Deployer",
    );
  });
});

describe("instance offerings", () => {
  const need = { instanceType: "g6e.xlarge", pools: ["l40s"] };

  it("is OK when the type is offered in at least as many zones as the subnets span", () => {
    const check = checkInstanceOffering(need, found(["eu-central-1a", "eu-central-1b"]), "eu-central-1", 2);
    expect(check.status).toBe("ok");
  });

  it("fails when the type is offered in fewer zones than the cohort spans, listing where it is", () => {
    const check = checkInstanceOffering(need, found(["eu-central-1a", "eu-central-1b"]), "eu-central-1", 3);
    expect(check.status).toBe("fail");
    expect(check.message).toBe(
      "g6e.xlarge (pool l40s) is offered only in eu-central-1a, eu-central-1b of eu-central-1, and the cohort's subnets span 3 zones",
    );
    expect(check.fix.join("\n")).toMatch(/choose a region .*or choose another instance type/s);
  });

  it("fails when the type is offered nowhere in the region", () => {
    const check = checkInstanceOffering(need, found([]), "ca-west-1", 2);
    expect(check.message).toContain("is not offered in any availability zone of ca-west-1");
  });
});

describe("vCPU quotas", () => {
  it("fails below the pools' full size, with the exact increase request naming the quota and the vCPUs", () => {
    const check = checkVcpuQuota(gNeed, found(8), "eu-central-1");
    expect(check.status).toBe("fail");
    expect(check.fix[0]).toBe(
      "aws service-quotas request-service-quota-increase --region eu-central-1 --service-code ec2 --quota-code L-DB2E81BA --desired-value 32",
    );
    expect(check.fix[1]).toContain(
      "https://eu-central-1.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/L-DB2E81BA",
    );
  });

  it("warns when the pools fit but a rolling update's extra node would not", () => {
    for (const value of [32, 35]) {
      const check = checkVcpuQuota(gNeed, found(value), "eu-central-1");
      expect(check.status).toBe("warn");
      expect(check.fix[0]).toContain("--desired-value 36");
    }
  });

  it("is OK with room for the rolling update", () => {
    expect(checkVcpuQuota(gNeed, found(36), "eu-central-1").status).toBe("ok");
  });

  it("is NOT CHECKED when Service Quotas has no such quota, and fails on any other error", () => {
    expect(checkVcpuQuota(gNeed, failed("NoSuchResourceException"), "eu-central-1").status).toBe("not-checked");
    expect(checkVcpuQuota(gNeed, failed("AccessDeniedException"), "eu-central-1").status).toBe("fail");
  });
});

describe("domain", () => {
  const zone = (name: string, privateZone = false): HostedZone => ({ id: "Z0123456789ABC", name, privateZone });
  const noCandidates: Fetched<HostedZone[]> = found([]);

  it("looks for a zone named like the domain or one of its parents, not the top-level domain", () => {
    expect(candidateZoneNames("labs.eu.example.org")).toEqual(["labs.eu.example.org", "eu.example.org", "example.org"]);
    expect(zoneHoldsName("example.org.", "labs.example.org")).toBe(true);
    expect(zoneHoldsName("ample.org", "labs.example.org")).toBe(false);
  });

  it("is OK when the hosted zone exists and holds the name", () => {
    const check = checkDomain(
      { name: "labs.example.org", hostedZoneId: "Z0123456789ABC" },
      { hostedZone: found(zone("example.org")), candidateZones: noCandidates },
    );
    expect(check.status).toBe("ok");
  });

  it("fails when the hosted zone does not exist, suggesting the zone that does", () => {
    const check = checkDomain(
      { name: "labs.example.org", hostedZoneId: "Z0NOPE" },
      {
        hostedZone: failed("NoSuchHostedZone", "No hosted zone found", 404),
        candidateZones: found([zone("example.org")]),
      },
    );
    expect(check.status).toBe("fail");
    expect(check.message).toBe("hosted zone Z0NOPE does not exist in this account");
    expect(check.fix).toEqual([
      "the public zone example.org (Z0123456789ABC) holds labs.example.org: set domain.hostedZoneId: Z0123456789ABC",
    ]);
  });

  it("fails when the zone found is another domain's, saying which zone it is", () => {
    const check = checkDomain(
      { name: "labs.example.org", hostedZoneId: "Z0123456789ABC" },
      { hostedZone: found(zone("example.com")), candidateZones: noCandidates },
    );
    expect(check.message).toBe(
      "hosted zone Z0123456789ABC is example.com, which cannot hold records for labs.example.org",
    );
  });

  it("fails for a private zone, which ACM cannot validate through", () => {
    const check = checkDomain(
      { name: "labs.example.org", hostedZoneId: "Z0123456789ABC" },
      { hostedZone: found(zone("example.org", true)), candidateZones: noCandidates },
    );
    expect(check.status).toBe("fail");
    expect(check.message).toContain("is private");
  });

  it("is OK with a note to add the record by hand when only a certificate is given", () => {
    const check = checkDomain(
      { name: "labs.example.org", certificateArn: "arn:aws:acm:eu-central-1:123456789012:certificate/abc" },
      { candidateZones: noCandidates },
    );
    expect(check.status).toBe("ok");
    expect(check.message).toContain("add the DNS record for labs.example.org by hand");
  });

  it("fails with neither zone nor certificate, because ACM would wait forever, and suggests a zone id", () => {
    const check = checkDomain({ name: "labs.example.org" }, { candidateZones: found([zone("example.org")]) });
    expect(check.status).toBe("fail");
    expect(check.message).toContain("ACM DNS validation would wait forever");
    expect(check.fix.join("\n")).toContain("set domain.hostedZoneId: Z0123456789ABC");
    expect(check.fix.join("\n")).toContain("aws route53 list-hosted-zones-by-name --dns-name example.org");
  });
});

describe("Kubernetes version", () => {
  const check = (version: string, today: string, start: string, end: string) =>
    checkKubernetesVersion(eksVersionSupport(version, today), versionFindings(version, start, end));

  it("is OK in standard support through the cohort, with the control-plane price", () => {
    const result = check("1.35", "2026-12-04", "2026-12-07", "2026-12-08");
    expect(result.status).toBe("ok");
    expect(result.message).toBe("in standard support until 2027-03-27 today, control plane $0.10/h");
  });

  it("warns when the version leaves standard support during the cohort", () => {
    expect(check("1.35", "2027-03-01", "2027-03-20", "2027-04-02").status).toBe("warn");
  });

  it("warns in extended support and fails when unsupported or unknown", () => {
    expect(check("1.33", "2026-12-04", "2026-12-07", "2026-12-08").status).toBe("warn");
    expect(check("1.31", "2026-12-04", "2026-12-07", "2026-12-08").status).toBe("fail");
    expect(check("1.99", "2026-12-04", "2026-12-07", "2026-12-08").status).toBe("fail");
  });

  it("is NOT CHECKED for an existing cluster", () => {
    expect(checkKubernetesVersion(undefined, []).status).toBe("not-checked");
  });
});

describe("images", () => {
  const cohort = { name: "ft-dec26", images: { tag: "0.1.0" }, labs: {} } as Parameters<typeof resolvedImageRefs>[0];

  it("resolves refs to the program's ECR repositories when no registry is given", () => {
    expect(resolvedImageRefs(cohort, "123456789012", "eu-central-1").map((i) => i.ref)).toEqual([
      "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/lab:0.1.0",
      "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/runner:0.1.0",
      "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/controller:0.1.0",
    ]);
  });

  it("uses the registry and labs.image when they are given", () => {
    const refs = resolvedImageRefs(
      {
        ...cohort,
        images: { registry: "ghcr.io/labkit-dev", tag: "0.2.0" },
        labs: { image: "my/lab:1" },
      } as typeof cohort,
      "123456789012",
      "eu-central-1",
    );
    expect(refs.map((i) => [i.ref, i.custom])).toEqual([
      ["my/lab:1", true],
      ["ghcr.io/labkit-dev/runner:0.2.0", false],
      ["ghcr.io/labkit-dev/controller:0.2.0", false],
    ]);
  });

  it("reads ECR refs by tag or digest and nothing else", () => {
    expect(parseEcrImageRef("123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/lab:0.1.0")).toEqual({
      account: "123456789012",
      region: "eu-central-1",
      repository: "ft-dec26/lab",
      tag: "0.1.0",
    });
    expect(
      parseEcrImageRef(`123456789012.dkr.ecr.eu-central-1.amazonaws.com/lab@sha256:${"a".repeat(64)}`)?.digest,
    ).toBe(`sha256:${"a".repeat(64)}`);
    expect(parseEcrImageRef("ghcr.io/labkit-dev/lab:0.1.0")).toBeUndefined();
  });

  const image = (repositoryCreatedByProgram: boolean): ResolvedImageRef => ({
    which: "runner",
    ref: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/runner:0.1.0",
    custom: false,
    repositoryCreatedByProgram,
  });
  const ecr = parseEcrImageRef(image(false).ref);
  if (!ecr) throw new Error("ECR ref expected");

  it("fails with the build and push commands when the tag is missing", () => {
    const check = checkImage(image(true), { checkable: true, ecr, presence: found("no-image") });
    expect(check.status).toBe("fail");
    expect(check.fix.join("\n")).toContain("docker login --username AWS");
    expect(check.fix.join("\n")).toContain(
      "docker build -f images/runner/Dockerfile -t 123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26/runner:0.1.0 .",
    );
    expect(check.fix.join("\n")).toContain("see docs/images.md");
  });

  it("fails for a missing repository of a given registry, but only warns for one `pulumi up` creates", () => {
    expect(checkImage(image(false), { checkable: true, ecr, presence: found("no-repository") }).fix[0]).toBe(
      "aws ecr create-repository --region eu-central-1 --repository-name ft-dec26/runner",
    );
    expect(checkImage(image(true), { checkable: true, ecr, presence: found("no-repository") }).status).toBe("warn");
    expect(checkImage(image(false), { checkable: true, ecr, presence: found("present") }).status).toBe("ok");
  });

  it("is NOT CHECKED for another registry, saying how to check it", () => {
    const other = { ...image(false), ref: "ghcr.io/labkit-dev/runner:0.1.0" };
    const check = checkImage(other, { checkable: false });
    expect(check.status).toBe("not-checked");
    expect(check.message).toBe("labkit cannot check registry ghcr.io from here (ghcr.io/labkit-dev/runner:0.1.0)");
    expect(check.fix[0]).toBe(
      "make sure `docker manifest inspect ghcr.io/labkit-dev/runner:0.1.0` works from the cluster's nodes",
    );
  });
});

describe("the report", () => {
  it("is fatal only through FAIL checks, and prints one line per check with its fixes below", () => {
    const checks = [
      checkIdentity(found({ account: "123456789012", arn: "arn:aws:iam::123456789012:user/maria" })),
      checkVcpuQuota(gNeed, found(8), "eu-central-1"),
      checkVcpuQuota(gNeed, failed("NoSuchResourceException"), "eu-central-1"),
    ];
    const report = { cohort: "ft-dec26", region: "eu-central-1", account: "123456789012", ready: false, checks };
    expect(fatalChecks(report)).toEqual([checks[1]]);
    const lines = formatPreflightReport(report).split("\n");
    expect(lines[2]).toMatch(/^OK {11}identity /);
    expect(lines[3]).toMatch(/^FAIL {9}vcpu-quota L-DB2E81BA /);
    expect(lines[4]).toMatch(/^ {13}fix: aws service-quotas request-service-quota-increase /);
    expect(lines.some((l) => l.startsWith("NOT CHECKED  vcpu-quota"))).toBe(true);
  });
});
