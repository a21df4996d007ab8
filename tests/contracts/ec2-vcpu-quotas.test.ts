/**
 * Contract: the EC2 vCPU quotas labkit checks are the ones AWS applies to its instance types.
 *
 * Rules: https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html (quotas are
 * per family group, in vCPUs; the AWS CLI example there shows L-1216C47A, "Running On-Demand
 * Standard (A, C, D, H, I, M, R, T, Z) instances"); Spot quotas in vCPUs:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html. The codes
 * L-DB2E81BA, L-417A185B, L-3819A6DF, L-34B43A08 and L-7212CCBC are those the Service Quotas
 * console shows for EC2; no AWS page listing them was found (docs/assumptions.md).
 * vCPU counts per instance type: moto's copy of DescribeInstanceTypes (moto 5.x
 * moto/ec2/resources/instance_types.json.gz), checked in tests/preflight against the emulator.
 */
import { describe, expect, it } from "vitest";
import { instanceFamilyGroup, quotaIncreaseCommand, vcpuNeeds, vcpuQuotaFor } from "../../catalog/ec2-vcpu-quotas";
import { cohortQuotaPools } from "../../core/cost/quota-pools";
import { exampleCohort } from "../infra/example-cohort";

describe("EC2 vCPU quotas", () => {
  it.each([
    ["g6e.xlarge", "onDemand", "L-DB2E81BA"],
    ["g5.12xlarge", "spot", "L-3819A6DF"],
    ["p5.48xlarge", "onDemand", "L-417A185B"],
    ["p4d.24xlarge", "spot", "L-7212CCBC"],
    ["m7i.4xlarge", "onDemand", "L-1216C47A"],
    ["r7i.2xlarge", "spot", "L-34B43A08"],
  ] as const)("counts %s (%s) against %s", (type, capacity, code) => {
    expect(vcpuQuotaFor(type, capacity)?.code).toBe(code);
  });

  it("knows no quota for a family it has not mapped", () => {
    expect(instanceFamilyGroup("inf2.xlarge")).toBeUndefined();
  });

  it("needs 32 G and VT vCPUs (8 × g6e.xlarge) and 64 standard vCPUs (4 × m7i.4xlarge) for the example, one node more during updates", () => {
    const needs = vcpuNeeds(cohortQuotaPools(exampleCohort()));
    expect(needs.map((n) => [n.quota.code, n.vcpus, n.vcpusDuringUpdate])).toEqual([
      ["L-1216C47A", 64, 80],
      ["L-DB2E81BA", 32, 36],
    ]);
    expect(quotaIncreaseCommand(needs[1].quota, "eu-central-1", 36)).toBe(
      "aws service-quotas request-service-quota-increase --region eu-central-1 --service-code ec2 --quota-code L-DB2E81BA --desired-value 36",
    );
  });
});
