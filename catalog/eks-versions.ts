/**
 * Amazon EKS's Kubernetes versions and their support windows, dated. A version is in standard
 * support for 14 months after its EKS release, then in extended support for 12 more at a higher
 * control-plane price, then EKS upgrades the cluster itself. Pure facts and date arithmetic:
 * `validate` and `plan` warn about a cohort that meets a support boundary, `plan` prices the
 * control plane by the window the cohort falls in, and `preflight` repeats the check.
 *
 * Sources (pinned by tests/contracts/eks-versions.test.ts):
 * - https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html ("Amazon EKS
 *   Kubernetes release calendar"), read 2026-12-04, for 1.31–1.35.
 * - 1.36: AWS's page was not in the stored copies; the dates come from third-party trackers
 *   (EKS release 2026-06-02, 14 + 12 months) and amazon-eks-ami v20260714 ships 1.36 AMIs.
 *   Recorded as an assumption in docs/assumptions.md.
 * - Prices: https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/
 *   ($0.10 per cluster-hour in standard support, $0.60 in extended support, from April 2024).
 */

/** One EKS Kubernetes minor version. Dates are ISO days (UTC). */
export interface EksVersion {
  readonly version: string;
  readonly eksRelease: string;
  readonly endOfStandardSupport: string;
  readonly endOfExtendedSupport: string;
  /** False where the dates come from outside AWS's own calendar (see the module comment). */
  readonly confirmedByAws: boolean;
}

/** The calendar, newest first. */
export const EKS_VERSIONS: readonly EksVersion[] = [
  {
    version: "1.36",
    eksRelease: "2026-06-02",
    endOfStandardSupport: "2027-08-02",
    endOfExtendedSupport: "2028-08-02",
    confirmedByAws: false,
  },
  {
    version: "1.35",
    eksRelease: "2026-01-27",
    endOfStandardSupport: "2027-03-27",
    endOfExtendedSupport: "2028-03-27",
    confirmedByAws: true,
  },
  {
    version: "1.34",
    eksRelease: "2025-10-02",
    endOfStandardSupport: "2026-12-02",
    endOfExtendedSupport: "2027-12-02",
    confirmedByAws: true,
  },
  {
    version: "1.33",
    eksRelease: "2025-05-29",
    endOfStandardSupport: "2026-07-29",
    endOfExtendedSupport: "2027-07-29",
    confirmedByAws: true,
  },
  {
    version: "1.32",
    eksRelease: "2025-01-23",
    endOfStandardSupport: "2026-03-23",
    endOfExtendedSupport: "2027-03-23",
    confirmedByAws: true,
  },
  {
    version: "1.31",
    eksRelease: "2024-09-26",
    endOfStandardSupport: "2025-11-26",
    endOfExtendedSupport: "2026-11-26",
    confirmedByAws: true,
  },
];

/** Control-plane prices, USD per cluster-hour. */
export const EKS_CONTROL_PLANE_PRICES = { standardUsdPerHour: 0.1, extendedUsdPerHour: 0.6 } as const;

/**
 * The version new cohorts get: the newest one AWS's own calendar confirms. Checked by a test to
 * be in standard support on the day the table was last read; bump it with the table.
 */
export const DEFAULT_KUBERNETES_VERSION = "1.35";

/** The day the table was last compared with AWS's calendar. */
export const EKS_VERSIONS_READ_ON = "2026-12-04";

export type EksSupportStatus = "standard" | "extended" | "unsupported" | "unknown";

/** A version's support on one day. */
export interface EksVersionSupport {
  readonly version: string;
  readonly status: EksSupportStatus;
  readonly endOfStandardSupport?: string;
  readonly endOfExtendedSupport?: string;
  /** The control plane's price on that day, USD per hour (extended price for unknown or unsupported versions). */
  readonly controlPlaneUsdPerHour: number;
}

/** The calendar entry of a version, or undefined when labkit has no dates for it. */
export function findEksVersion(version: string): EksVersion | undefined {
  return EKS_VERSIONS.find((v) => v.version === version);
}

/** The support of `version` on the day `dateIso` (`YYYY-MM-DD` or a full ISO time; the day counts in UTC). */
export function eksVersionSupport(version: string, dateIso: string): EksVersionSupport {
  const entry = findEksVersion(version);
  const day = dateIso.slice(0, 10);
  if (!entry)
    return { version, status: "unknown", controlPlaneUsdPerHour: EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour };
  // Days compare as strings in ISO form; a boundary day belongs to the later window.
  const status: EksSupportStatus =
    day < entry.eksRelease
      ? "unknown"
      : day < entry.endOfStandardSupport
        ? "standard"
        : day < entry.endOfExtendedSupport
          ? "extended"
          : "unsupported";
  return {
    version,
    status,
    endOfStandardSupport: entry.endOfStandardSupport,
    endOfExtendedSupport: entry.endOfExtendedSupport,
    controlPlaneUsdPerHour:
      status === "standard" ? EKS_CONTROL_PLANE_PRICES.standardUsdPerHour : EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour,
  };
}

/** Versions in standard support on `dateIso`, newest first (for suggestions). */
export function versionsInStandardSupport(dateIso: string): string[] {
  return EKS_VERSIONS.filter((v) => eksVersionSupport(v.version, dateIso).status === "standard").map((v) => v.version);
}

/** A problem with a cohort's Kubernetes version over its dates. */
export interface VersionFinding {
  readonly severity: "error" | "warning";
  readonly message: string;
}

/**
 * What is wrong with running `version` from `startIso` to `endIso` (the cohort's dates, or from
 * today when the cohort is already under way): an error for a version labkit has no dates for or
 * that is past extended support before the cohort ends; a warning for extended support (6× the
 * control-plane price) at any moment of the cohort.
 */
export function versionFindings(version: string, startIso: string, endIso: string): VersionFinding[] {
  const suggestion = () => {
    // Versions AWS's own calendar confirms come first.
    const fresh = versionsInStandardSupport(endIso).sort(
      (a, b) => Number(findEksVersion(b)?.confirmedByAws) - Number(findEksVersion(a)?.confirmedByAws),
    );
    return fresh.length > 0
      ? `use ${fresh.map((v) => `\`${v}\``).join(" or ")} (in standard support through ${endIso.slice(0, 10)})`
      : `no version labkit knows is in standard support through ${endIso.slice(0, 10)}; update catalog/eks-versions.ts from AWS's calendar`;
  };
  const entry = findEksVersion(version);
  if (!entry) {
    return [
      {
        severity: "error",
        message: `labkit has no support dates for Kubernetes ${version} on EKS (it knows ${EKS_VERSIONS.map((v) => v.version).join(", ")}): ${suggestion()}`,
      },
    ];
  }
  const atStart = eksVersionSupport(version, startIso);
  const atEnd = eksVersionSupport(version, endIso);
  if (atStart.status === "unknown") {
    return [
      {
        severity: "error",
        message: `Kubernetes ${version} is not released on EKS before ${entry.eksRelease}, after the cohort starts: ${suggestion()}`,
      },
    ];
  }
  if (atEnd.status === "unsupported") {
    return [
      {
        severity: "error",
        message: `Kubernetes ${version} leaves EKS extended support on ${entry.endOfExtendedSupport}, before the cohort ends, and EKS then upgrades the cluster by itself: ${suggestion()}`,
      },
    ];
  }
  if (atStart.status === "extended") {
    return [
      {
        severity: "warning",
        message: `Kubernetes ${version} is in EKS extended support since ${entry.endOfStandardSupport}: the control plane costs $${EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour.toFixed(2)}/h instead of $${EKS_CONTROL_PLANE_PRICES.standardUsdPerHour.toFixed(2)}/h; ${suggestion()}`,
      },
    ];
  }
  if (atEnd.status === "extended") {
    return [
      {
        severity: "warning",
        message: `Kubernetes ${version} leaves EKS standard support on ${entry.endOfStandardSupport}, during the cohort: from then on the control plane costs $${EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour.toFixed(2)}/h; ${suggestion()}`,
      },
    ];
  }
  return [];
}

/** Hours of `[startMs, endMs)` the version spends in standard and in extended support, and what the control plane costs over them. */
export function controlPlaneCost(
  version: string,
  startMs: number,
  endMs: number,
): { standardHours: number; extendedHours: number; usd: number } {
  const entry = findEksVersion(version);
  const hours = Math.max(0, endMs - startMs) / 3_600_000;
  if (!entry)
    return { standardHours: 0, extendedHours: hours, usd: hours * EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour };
  const standardEndMs = Date.parse(`${entry.endOfStandardSupport}T00:00:00Z`);
  const standardHours = Math.max(0, Math.min(endMs, standardEndMs) - startMs) / 3_600_000;
  const extendedHours = hours - Math.min(hours, standardHours);
  return {
    standardHours: Math.min(hours, standardHours),
    extendedHours,
    usd:
      Math.min(hours, standardHours) * EKS_CONTROL_PLANE_PRICES.standardUsdPerHour +
      extendedHours * EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour,
  };
}
