/**
 * What `labkit preflight` found: one `PreflightCheck` per thing it looked at, and whether the
 * account is ready for `pulumi up`. Plain data, printed as text or JSON.
 */

/** How one check came out. `fail` is fatal; `warn` and `not-checked` are not. */
export type CheckStatus = "ok" | "warn" | "fail" | "not-checked";

/** The kinds of check, in the order they are reported. */
export type CheckKind =
  | "identity"
  | "permissions"
  | "instance-offering"
  | "vcpu-quota"
  | "domain"
  | "kubernetes-version"
  | "image";

/** One finding. */
export interface PreflightCheck {
  readonly kind: CheckKind;
  /** What was checked, e.g. `g6e.xlarge`, `L-DB2E81BA`, `lab image`. */
  readonly subject: string;
  readonly status: CheckStatus;
  /** What was found, in a sentence a person can act on. */
  readonly message: string;
  /** Exactly what to do about it: commands or edits, one per entry. Empty when there is nothing to do. */
  readonly fix: readonly string[];
  /** The AWS API the facts came from, e.g. `sts:GetCallerIdentity`; absent for table lookups. */
  readonly source?: string;
}

/** Everything one preflight run found. */
export interface PreflightReport {
  readonly cohort: string;
  readonly region: string;
  /** The caller's account, when STS answered. */
  readonly account?: string;
  /** The caller's ARN (an IAM user or role, or an STS assumed-role session), when STS answered. */
  readonly callerArn?: string;
  /** True when no check failed. */
  readonly ready: boolean;
  readonly checks: readonly PreflightCheck[];
}

/** The checks that stop a deploy (status `fail`). */
export function fatalChecks(report: Pick<PreflightReport, "checks">): PreflightCheck[] {
  return report.checks.filter((check) => check.status === "fail");
}
