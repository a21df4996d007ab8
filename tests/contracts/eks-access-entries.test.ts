/**
 * Contract: EKS accepts every access entry labkit asks for.
 *
 * Rules:
 * - One access entry per principal: a second CreateAccessEntry for the same principal fails with
 *   409 ResourceInUseException "The specified access entry resource is already in use on this
 *   cluster" (observed in terraform-aws-modules/terraform-aws-eks #2968 and #3293; AWS's API
 *   reference lists ResourceInUseException for CreateAccessEntry). Recorded in docs/assumptions.md
 *   as observed behaviour.
 * - With API authentication @pulumi/eks 4.x sets `accessConfig.bootstrapClusterCreatorAdminPermissions:
 *   true` (nodejs/eks/cluster/cluster.ts, v4.0.0–v4.3.0), and EKS then makes an admin entry for
 *   the IAM principal that creates the cluster (API_CreateAccessConfigRequest: "the cluster
 *   creator IAM principal was set as a cluster admin access entry"); STS session ARNs cannot be
 *   principals (API_CreateAccessEntry `principalArn`), so that entry is the role's.
 * - A role ARN may carry a path (creating-access-entries.html: "If the ARN is for an IAM role, it
 *   can include a path"); EKS matches the principal by its id (containers-roadmap #185).
 */
import { describe, expect, it } from "vitest";
import { listResources } from "../../infra/list-resources";
import { accessEntries, principalRoleArn, sameRole } from "../../infra/platform/cluster";
import { exampleCohort, withCreate } from "../infra/example-cohort";

const INSTRUCTORS = "arn:aws:iam::123456789012:role/WorkshopInstructors";
const PLATFORM = "arn:aws:iam::123456789012:role/PlatformAdmins";
const principals = (entries: ReturnType<typeof accessEntries>) => Object.values(entries).map((e) => e.principalArn);

describe("EKS access entries", () => {
  it("turns the deployer's STS session into its role, and matches a role with or without its path", () => {
    expect(principalRoleArn("arn:aws:sts::123456789012:assumed-role/PlatformAdmins/alice@example.org")).toBe(PLATFORM);
    expect(principalRoleArn(PLATFORM)).toBe(PLATFORM);
    expect(sameRole("arn:aws:iam::123456789012:role/teams/PlatformAdmins", PLATFORM)).toBe(true);
    expect(sameRole("arn:aws:iam::210987654321:role/PlatformAdmins", PLATFORM)).toBe(false);
  });

  it("gives the deploying role no entry of its own: EKS already made its admin entry (a second is a 409)", () => {
    const entries = accessEntries({ instructorRoles: [INSTRUCTORS], platformRoles: [PLATFORM] }, PLATFORM);
    expect(principals(entries)).toEqual([INSTRUCTORS]);
  });

  it("enters a role listed twice, or in both lists, once, with the admin policy when it is a platform role", () => {
    const entries = accessEntries({
      instructorRoles: [INSTRUCTORS, PLATFORM, INSTRUCTORS],
      platformRoles: [PLATFORM, PLATFORM],
    });
    expect(principals(entries)).toEqual([PLATFORM, INSTRUCTORS]);
    const admin = Object.values(entries).find((e) => e.principalArn === PLATFORM);
    expect(Object.values(admin?.accessPolicies ?? {}).map((p) => (p as { policyArn: string }).policyArn)).toEqual([
      "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    ]);
  });

  it("passes the program's entries to @pulumi/eks without the deployer's role, under mocks", async () => {
    const cohort = withCreate(exampleCohort(), {
      access: { instructorRoles: [INSTRUCTORS, INSTRUCTORS], platformRoles: [PLATFORM] },
    });
    const resources = await listResources(cohort, {
      deployer: {
        accountId: "123456789012",
        principalArn: "arn:aws:sts::123456789012:assumed-role/PlatformAdmins/pulumi-up",
      },
    });
    const cluster = resources.find((r) => r.type === "eks:index:Cluster");
    expect(cluster).toBeDefined();
    const inputs = cluster?.inputs as { accessEntries: Record<string, { principalArn: string }> };
    const entries = Object.values(inputs.accessEntries);
    expect(entries.map((e) => e.principalArn)).toEqual([INSTRUCTORS]);
    expect(new Set(entries.map((e) => e.principalArn)).size).toBe(entries.length);
  });
});
