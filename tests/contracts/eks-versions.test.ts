/**
 * Contract: labkit's table of EKS Kubernetes versions is AWS's calendar, and the cohort's version
 * is priced and checked by it.
 *
 * Rules: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (release
 * calendar; standard support for 14 months after the EKS release, then 12 months of extended
 * support); prices from https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/
 * ($0.10 per cluster-hour standard, $0.60 extended). 1.36's dates are not from AWS's page
 * (docs/assumptions.md).
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_KUBERNETES_VERSION,
  EKS_CONTROL_PLANE_PRICES,
  EKS_VERSIONS,
  EKS_VERSIONS_READ_ON,
  eksVersionSupport,
  versionFindings,
} from "../../catalog/eks-versions";
import { estimateCohortCost } from "../../core/cost/cohort-cost";
import { cohortWarnings } from "../../schema/cohort-warnings";
import { exampleCohort, withCreate } from "../infra/example-cohort";

/** AWS's calendar as read on 2026-12-04: version, EKS release, end of standard, end of extended support. */
const AWS_CALENDAR = [
  ["1.35", "2026-01-27", "2027-03-27", "2028-03-27"],
  ["1.34", "2025-10-02", "2026-12-02", "2027-12-02"],
  ["1.33", "2025-05-29", "2026-07-29", "2027-07-29"],
  ["1.32", "2025-01-23", "2026-03-23", "2027-03-23"],
  ["1.31", "2024-09-26", "2025-11-26", "2026-11-26"],
];

const addMonths = (iso: string, months: number) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

describe("the EKS version calendar", () => {
  it("matches AWS's calendar for every version AWS confirms", () => {
    const confirmed = EKS_VERSIONS.filter((v) => v.confirmedByAws).map((v) => [
      v.version,
      v.eksRelease,
      v.endOfStandardSupport,
      v.endOfExtendedSupport,
    ]);
    expect(confirmed).toEqual(AWS_CALENDAR);
  });

  it("follows the 14 + 12 month rule for every version, the unconfirmed one included", () => {
    for (const v of EKS_VERSIONS) {
      expect(v.endOfStandardSupport, v.version).toBe(addMonths(v.eksRelease, 14));
      expect(v.endOfExtendedSupport, v.version).toBe(addMonths(v.endOfStandardSupport, 12));
    }
  });

  it("defaults new cohorts to a version AWS confirms, in standard support on the day the table was read", () => {
    expect(EKS_VERSIONS.find((v) => v.version === DEFAULT_KUBERNETES_VERSION)?.confirmedByAws).toBe(true);
    expect(eksVersionSupport(DEFAULT_KUBERNETES_VERSION, EKS_VERSIONS_READ_ON).status).toBe("standard");
  });

  it("prices 1.33 in December 2026 at extended support (it left standard support on 2026-07-29) and warns", () => {
    const support = eksVersionSupport("1.33", "2026-12-07");
    expect(support).toMatchObject({
      status: "extended",
      controlPlaneUsdPerHour: EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour,
    });
    const cohort = withCreate(exampleCohort(), { kubernetesVersion: "1.33" });
    const plane = estimateCohortCost(cohort).lines.filter((l) => l.item.startsWith("EKS control plane"));
    expect(plane).toEqual([
      expect.objectContaining({ unitUsdPerHour: 0.6, item: expect.stringContaining("extended support") }),
    ]);
    expect(cohortWarnings(cohort).map((w) => w.path)).toContain("cloud.cluster.create.kubernetesVersion");
  });

  it("splits the price of a cohort that crosses the end of standard support, and warns", () => {
    const findings = versionFindings("1.35", "2027-03-20T09:00", "2027-04-02T17:00");
    expect(findings).toEqual([expect.objectContaining({ severity: "warning" })]);
    expect(findings[0].message).toContain("2027-03-27");
  });

  it("refuses a version labkit has no dates for, and one past extended support before the cohort ends", () => {
    expect(versionFindings("1.29", "2026-12-07", "2026-12-08")[0]).toMatchObject({ severity: "error" });
    expect(versionFindings("1.31", "2026-12-07", "2026-12-08")[0].message).toContain(
      "leaves EKS extended support on 2026-11-26",
    );
  });
});
