/**
 * `runPreflight`: fetch the facts a cohort's deploy depends on from AWS, run every check over
 * them and return the report. Called by `labkit preflight` and usable from the Pulumi program.
 */
import { vcpuNeeds } from "../catalog/ec2-vcpu-quotas";
import { eksVersionSupport, versionFindings } from "../catalog/eks-versions";
import { cohortQuotaPools } from "../core/cost/quota-pools";
import type { Cohort } from "../schema/cohort";
import { type AwsFactSource, SdkAwsFacts } from "./aws-facts";
import {
  candidateZoneNames,
  checkDomain,
  checkIdentity,
  checkImage,
  checkInstanceOffering,
  checkKubernetesVersion,
  checkPermissions,
  checkVcpuQuota,
  type DomainFacts,
  type ImageFacts,
  type OfferingNeed,
  simulationPrincipal,
} from "./checks";
import { DEPLOY_ACTIONS } from "./deploy-actions";
import { parseEcrImageRef, resolvedImageRefs } from "./image-refs";
import type { CheckKind, PreflightCheck, PreflightReport } from "./preflight-report";

export type { PreflightCheck, PreflightReport } from "./preflight-report";
export { fatalChecks } from "./preflight-report";

/** Availability zones a new cluster's subnets span when the cohort does not say (schema default). */
const DEFAULT_AVAILABILITY_ZONES = 2;

export interface PreflightOptions {
  /** AWS region to check; normally the cohort's `cloud.region`. */
  readonly region: string;
  /** One endpoint for every AWS service (an emulator). Default: AWS itself. */
  readonly endpointUrl?: string;
  /** The moment the check happens, for the Kubernetes support window. Default: now. */
  readonly now?: Date;
  /** Where the facts come from. Default: the AWS SDK with the default credential chain. */
  readonly facts?: AwsFactSource;
}

function notCheckedWithoutIdentity(kind: CheckKind, subject: string): PreflightCheck {
  return {
    kind,
    subject,
    status: "not-checked",
    message: "skipped: AWS did not accept the credentials (see the identity check)",
    fix: [],
  };
}

/** The instance types of the cohort's pools, each with the pools that use it. */
function offeringNeeds(cohort: Cohort): OfferingNeed[] {
  const byType = new Map<string, string[]>();
  for (const pool of cohortQuotaPools(cohort)) {
    byType.set(pool.instanceType, [...(byType.get(pool.instanceType) ?? []), pool.name]);
  }
  return [...byType].map(([instanceType, pools]) => ({ instanceType, pools }));
}

async function domainFacts(cohort: Cohort, facts: AwsFactSource): Promise<DomainFacts> {
  const domain = cohort.domain;
  if (!domain) return {};
  const [hostedZone, ...named] = await Promise.all([
    domain.hostedZoneId ? facts.hostedZone(domain.hostedZoneId) : undefined,
    ...candidateZoneNames(domain.name).map((name) => facts.hostedZonesNamed(name)),
  ]);
  // A failed lookup only loses the suggestion, so it is left out rather than reported.
  const candidates = named.flatMap((answer) => (answer?.ok ? answer.value.filter((z) => !z.privateZone) : []));
  return {
    ...(hostedZone ? { hostedZone } : {}),
    candidateZones: { ok: true, value: candidates },
  };
}

async function permissionsCheck(callerArn: string, facts: AwsFactSource): Promise<PreflightCheck> {
  const principal = simulationPrincipal(callerArn);
  if (principal.kind === "unsupported") return checkPermissions(principal, undefined);
  let arn = principal.arn;
  if (principal.kind === "role") {
    // The session ARN drops the role's path (`/aws-reserved/sso.amazonaws.com/`); IAM needs it.
    const full = await facts.roleArn(principal.roleName);
    if (full.ok && full.value) arn = full.value;
  }
  const decisions = await facts.simulatePrincipalPolicy(
    arn,
    DEPLOY_ACTIONS.map((a) => a.action),
  );
  return checkPermissions({ ...principal, arn }, decisions);
}

/**
 * Check the AWS account against what `cohort` needs in `options.region`: credentials,
 * permissions, instance offerings, vCPU quotas, the domain's hosted zone, the Kubernetes
 * version and the images. Never throws for an AWS failure: it becomes a check.
 */
export async function runPreflight(cohort: Cohort, options: PreflightOptions): Promise<PreflightReport> {
  const { region } = options;
  const facts = options.facts ?? new SdkAwsFacts({ region, endpointUrl: options.endpointUrl });
  try {
    const nowMs = (options.now ?? new Date()).getTime();
    const now = new Date(nowMs).toISOString();
    const create = cohort.cloud.cluster.create;
    // Once the cohort is under way, the window that matters starts today.
    // (The schedule is in local time; a day's precision is all the support calendar has.)
    const from = Date.parse(`${cohort.schedule.start}Z`) > nowMs ? cohort.schedule.start : now;
    const kubernetes = checkKubernetesVersion(
      create ? eksVersionSupport(create.kubernetesVersion, now) : undefined,
      create ? versionFindings(create.kubernetesVersion, from, cohort.schedule.end) : [],
    );

    const identity = await facts.callerIdentity();
    const checks: PreflightCheck[] = [checkIdentity(identity)];
    const needs = offeringNeeds(cohort);
    const quotaNeeds = vcpuNeeds(cohortQuotaPools(cohort));
    if (!identity.ok) {
      checks.push(
        notCheckedWithoutIdentity("permissions", "IAM actions of the deploy"),
        ...needs.map((n) => notCheckedWithoutIdentity("instance-offering", n.instanceType)),
        ...quotaNeeds.map((n) => notCheckedWithoutIdentity("vcpu-quota", `${n.quota.code} ${n.quota.name}`)),
        notCheckedWithoutIdentity("domain", cohort.domain?.name ?? "(none)"),
        kubernetes,
        ...resolvedImageRefs(cohort, "<account>", region).map((i) =>
          notCheckedWithoutIdentity("image", `${i.which} image`),
        ),
      );
      return { cohort: cohort.name, region, ready: false, checks };
    }
    const { account } = identity.value;
    const zonesNeeded = create?.availabilityZones ?? DEFAULT_AVAILABILITY_ZONES;
    const images = resolvedImageRefs(cohort, account, region);

    const [permissions, offerings, quotas, domain, imageChecks] = await Promise.all([
      permissionsCheck(identity.value.arn, facts),
      Promise.all(
        needs.map(async (n) =>
          checkInstanceOffering(n, await facts.offeredAvailabilityZones(n.instanceType), region, zonesNeeded),
        ),
      ),
      Promise.all(quotaNeeds.map(async (n) => checkVcpuQuota(n, await facts.ec2QuotaValue(n.quota.code), region))),
      domainFacts(cohort, facts).then((found) => checkDomain(cohort.domain, found)),
      Promise.all(
        images.map(async (image) => {
          const ecr = parseEcrImageRef(image.ref);
          const imageFacts: ImageFacts =
            ecr && ecr.account === account && ecr.region === region
              ? { checkable: true, ecr, presence: await facts.ecrImage(ecr.repository, ecr) }
              : { checkable: false };
          return checkImage(image, imageFacts);
        }),
      ),
    ]);
    checks.push(permissions, ...offerings, ...quotas, domain, kubernetes, ...imageChecks);
    return {
      cohort: cohort.name,
      region,
      account,
      callerArn: identity.value.arn,
      ready: !checks.some((c) => c.status === "fail"),
      checks,
    };
  } finally {
    if (!options.facts) facts.close();
  }
}
