/**
 * The checks of `labkit preflight`, each a pure function from plain facts (what aws-facts.ts
 * fetched, or a table lookup) to a `PreflightCheck` that says what was found and how to fix it.
 */
import { type Ec2VcpuQuota, quotaIncreaseCommand, type VcpuNeed } from "../catalog/ec2-vcpu-quotas";
import type { EksVersionSupport, VersionFinding } from "../catalog/eks-versions";
import type { Cohort } from "../schema/cohort";
import type { ActionDecision, AwsCallError, CallerIdentity, Fetched, HostedZone, ImagePresence } from "./aws-facts";
import { DEPLOY_ACTIONS } from "./deploy-actions";
import { type EcrImageRef, ecrRegistryHost, type ResolvedImageRef, registryHost } from "./image-refs";
import type { PreflightCheck } from "./preflight-report";

function describe(error: AwsCallError): string {
  return `${error.code}: ${error.message}`;
}

/** Identity: who the AWS credentials are. Everything else needs them. */
export function checkIdentity(identity: Fetched<CallerIdentity>): PreflightCheck {
  const base = { kind: "identity", subject: "AWS credentials", source: "sts:GetCallerIdentity" } as const;
  if (!identity.ok) {
    return {
      ...base,
      status: "fail",
      message: `AWS did not say who you are (${describe(identity.error)})`,
      fix: [
        "configure AWS credentials (aws configure / AWS_PROFILE), then check that `aws sts get-caller-identity` answers",
      ],
    };
  }
  return {
    ...base,
    status: "ok",
    message: `account ${identity.value.account} as ${identity.value.arn}`,
    fix: [],
  };
}

/** The principal IAM can simulate for a caller ARN, or why there is none. */
export type SimulationPrincipal =
  | { readonly kind: "role"; readonly arn: string; readonly roleName: string }
  | { readonly kind: "user"; readonly arn: string }
  | { readonly kind: "unsupported"; readonly reason: string };

/**
 * The IAM principal behind a caller ARN: an assumed role's session
 * (`arn:aws:sts::ACCT:assumed-role/NAME/SESSION`) becomes its role (`arn:aws:iam::ACCT:role/NAME`,
 * without the role's path, which the session ARN does not carry); users and roles stay as they are.
 */
export function simulationPrincipal(callerArn: string): SimulationPrincipal {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed) {
    const [, partition, account, roleName = ""] = assumed;
    return { kind: "role", arn: `arn:${partition}:iam::${account}:role/${roleName}`, roleName };
  }
  if (/^arn:aws[a-z-]*:iam::\d{12}:user\/.+$/.test(callerArn)) return { kind: "user", arn: callerArn };
  if (/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(callerArn)) {
    return { kind: "role", arn: callerArn, roleName: callerArn.split("/").pop() ?? "" };
  }
  if (/^arn:aws[a-z-]*:iam::\d{12}:root$/.test(callerArn)) {
    return { kind: "unsupported", reason: "you are signed in as the account's root user, which IAM cannot simulate" };
  }
  return { kind: "unsupported", reason: `IAM cannot simulate the policies of ${callerArn}` };
}

/**
 * Permissions: IAM's simulation of the deploy's actions for the caller's principal. A simulation
 * that cannot run (not allowed, not implemented by an emulator) is NOT CHECKED, never fatal.
 */
export function checkPermissions(
  principal: SimulationPrincipal,
  decisions: Fetched<ActionDecision[]> | undefined,
): PreflightCheck {
  const base = {
    kind: "permissions",
    subject: "IAM actions of the deploy",
    source: "iam:SimulatePrincipalPolicy",
  } as const;
  const actions = DEPLOY_ACTIONS.map((a) => a.action);
  const byHand =
    principal.kind === "unsupported"
      ? "deploy with an IAM role or user that is allowed the actions listed in docs/preflight.md"
      : `aws iam simulate-principal-policy --policy-source-arn ${principal.arn} --action-names ${actions.join(" ")} --query "EvaluationResults[?EvalDecision!='allowed'].EvalActionName"`;
  if (principal.kind === "unsupported" || decisions === undefined) {
    return {
      ...base,
      status: "not-checked",
      message: principal.kind === "unsupported" ? principal.reason : "the simulation did not run",
      fix: [byHand],
    };
  }
  if (!decisions.ok) {
    return {
      ...base,
      status: "not-checked",
      message: `IAM could not simulate the policies of ${principal.arn} (${describe(decisions.error)}); the deploy may still be allowed`,
      fix: [`to check by hand, with a principal allowed iam:SimulatePrincipalPolicy: ${byHand}`],
    };
  }
  const denied = decisions.value.filter((d) => d.decision !== "allowed");
  if (denied.length === 0) {
    return { ...base, status: "ok", message: `${principal.arn} is allowed all ${actions.length} actions`, fix: [] };
  }
  const purposes = new Map(DEPLOY_ACTIONS.map((a) => [a.action, a.purpose]));
  const listed = denied.map(
    (d) =>
      `${d.action} (${purposes.get(d.action) ?? "the deploy"}${d.decision === "explicitDeny" ? ", explicitly denied" : ""})`,
  );
  return {
    ...base,
    status: "fail",
    message: `${principal.arn} may not: ${listed.join(", ")}`,
    fix: [
      `attach a policy to ${principal.arn} that allows ${denied.map((d) => d.action).join(", ")}, or deploy as a principal that has them`,
      ...(denied.some((d) => d.decision === "explicitDeny")
        ? ["an explicit deny wins over any allow: find it in the principal's policies, permission boundary or an SCP"]
        : []),
    ],
  };
}

/** An instance type some pools use. */
export interface OfferingNeed {
  readonly instanceType: string;
  /** The pools that use it. */
  readonly pools: readonly string[];
}

/**
 * Instance offerings: the type must be offered in at least `zonesNeeded` availability zones
 * of the region, because the cohort's subnets span that many and a node group uses them all.
 */
export function checkInstanceOffering(
  need: OfferingNeed,
  offeredZones: Fetched<readonly string[]>,
  region: string,
  zonesNeeded: number,
): PreflightCheck {
  const base = {
    kind: "instance-offering",
    subject: need.instanceType,
    source: "ec2:DescribeInstanceTypeOfferings",
  } as const;
  const pools = `pool${need.pools.length === 1 ? "" : "s"} ${need.pools.join(", ")}`;
  if (!offeredZones.ok) {
    return {
      ...base,
      status: "fail",
      message: `could not list where ${need.instanceType} is offered in ${region} (${describe(offeredZones.error)})`,
      fix: ["allow ec2:DescribeInstanceTypeOfferings, then run labkit preflight again"],
    };
  }
  const zones = offeredZones.value;
  const lookUp = `aws ec2 describe-instance-type-offerings --region <region> --location-type availability-zone --filters Name=instance-type,Values=${need.instanceType} --query "InstanceTypeOfferings[].Location"`;
  if (zones.length >= zonesNeeded) {
    return {
      ...base,
      status: "ok",
      message: `offered in ${zones.length} zones of ${region} (${zones.join(", ")}) for ${pools}`,
      fix: [],
    };
  }
  const where =
    zones.length === 0
      ? `is not offered in any availability zone of ${region}`
      : `is offered only in ${zones.join(", ")} of ${region}, and the cohort's subnets span ${zonesNeeded} zones`;
  return {
    ...base,
    status: "fail",
    message: `${need.instanceType} (${pools}) ${where}`,
    fix: [
      `choose a region where it is offered in at least ${zonesNeeded} zones (cloud.region; look one up with: ${lookUp})`,
      `or choose another instance type for ${pools}`,
    ],
  };
}

/** The Service Quotas console page of an EC2 quota. */
export function quotaConsoleUrl(quota: Ec2VcpuQuota, region: string): string {
  return `https://${region}.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/${quota.code}`;
}

/**
 * vCPU quota: the applied value must cover the pools at their maximum size (else FAIL with the
 * request to file) and should cover one extra node per pool for rolling updates (else WARN).
 */
export function checkVcpuQuota(need: VcpuNeed, applied: Fetched<number>, region: string): PreflightCheck {
  const { quota } = need;
  const base = {
    kind: "vcpu-quota",
    subject: `${quota.code} ${quota.name}`,
    source: "service-quotas:GetServiceQuota",
  } as const;
  const pools = need.pools.join(", ");
  const console = `or in the console: Service Quotas → AWS services → Amazon Elastic Compute Cloud (Amazon EC2) → "${quota.name}" → Request increase at account level (${quotaConsoleUrl(quota, region)})`;
  if (!applied.ok) {
    const byHand = `aws service-quotas get-service-quota --region ${region} --service-code ec2 --quota-code ${quota.code} --query Quota.Value`;
    if (applied.error.code === "NoSuchResourceException") {
      return {
        ...base,
        status: "not-checked",
        message: `Service Quotas has no ${quota.code} in ${region} (${describe(applied.error)}); ${pools} need ${need.vcpus} vCPUs (${need.vcpusDuringUpdate} during a rolling update)`,
        fix: [`check by hand that it is at least ${need.vcpus}: ${byHand}`],
      };
    }
    return {
      ...base,
      status: "fail",
      message: `could not read ${quota.code} in ${region} (${describe(applied.error)}); ${pools} need ${need.vcpus} vCPUs`,
      fix: ["allow servicequotas:GetServiceQuota and run labkit preflight again, or check by hand:", byHand],
    };
  }
  const value = applied.value;
  if (value < need.vcpus) {
    return {
      ...base,
      status: "fail",
      message: `${region} allows ${value} vCPUs; ${pools} need ${need.vcpus} at full size, so nodes beyond the quota will never start`,
      fix: [
        quotaIncreaseCommand(quota, region, need.vcpus),
        console,
        `asking for ${need.vcpusDuringUpdate} instead leaves room for a node group's rolling update; increases can take a day or more, so ask early`,
      ],
    };
  }
  if (value < need.vcpusDuringUpdate) {
    return {
      ...base,
      status: "warn",
      message: `${region} allows ${value} vCPUs: enough for ${pools} at full size (${need.vcpus}), but a rolling update of a full pool needs ${need.vcpusDuringUpdate} and will stall`,
      fix: [quotaIncreaseCommand(quota, region, need.vcpusDuringUpdate), console],
    };
  }
  return {
    ...base,
    status: "ok",
    message: `${region} allows ${value} vCPUs; ${pools} need ${need.vcpus} (${need.vcpusDuringUpdate} during a rolling update)`,
    fix: [],
  };
}

/** The names a domain's hosted zone could have, most specific first: `labs.example.org`, `example.org`. */
export function candidateZoneNames(domainName: string): string[] {
  const labels = domainName.replace(/\.$/, "").split(".");
  const names: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) names.push(labels.slice(i).join("."));
  return names;
}

/** True when `zoneName` can hold records for `domainName` (the same name or a parent of it). */
export function zoneHoldsName(zoneName: string, domainName: string): boolean {
  const zone = zoneName.replace(/\.$/, "").toLowerCase();
  const name = domainName.replace(/\.$/, "").toLowerCase();
  return name === zone || name.endsWith(`.${zone}`);
}

/** What Route 53 said about the cohort's domain. */
export interface DomainFacts {
  /** GetHostedZone of `domain.hostedZoneId`, when one is given. */
  readonly hostedZone?: Fetched<HostedZone>;
  /** Public zones named like the domain or a parent of it, most specific first (ListHostedZonesByName). */
  readonly candidateZones?: Fetched<readonly HostedZone[]>;
}

/**
 * Domain: the DNS records and ACM's DNS validation need a public hosted zone that holds the
 * name, or the instructor brings an issued certificate and adds the record by hand.
 */
export function checkDomain(domain: Cohort["domain"], facts: DomainFacts): PreflightCheck {
  if (!domain) {
    return {
      kind: "domain",
      subject: "(none)",
      status: "ok",
      message: "no domain: labs are served over plain HTTP on the load balancer's name",
      fix: [],
    };
  }
  const base = { kind: "domain", subject: domain.name, source: "route53:GetHostedZone" } as const;
  const found = facts.candidateZones?.ok ? facts.candidateZones.value[0] : undefined;
  const lookUp = `aws route53 list-hosted-zones-by-name --dns-name ${candidateZoneNames(domain.name).at(-1) ?? domain.name}`;
  const suggestion = found
    ? [`the public zone ${found.name} (${found.id}) holds ${domain.name}: set domain.hostedZoneId: ${found.id}`]
    : [];
  if (domain.hostedZoneId) {
    const zone = facts.hostedZone;
    if (!zone?.ok) {
      const missing = zone?.ok === false && zone.error.code === "NoSuchHostedZone";
      return {
        ...base,
        status: "fail",
        message: missing
          ? `hosted zone ${domain.hostedZoneId} does not exist in this account`
          : `could not read hosted zone ${domain.hostedZoneId} (${zone ? describe(zone.error) : "not looked up"})`,
        fix:
          suggestion.length > 0
            ? suggestion
            : [`set domain.hostedZoneId to the public zone that holds ${domain.name}: ${lookUp}`],
      };
    }
    if (!zoneHoldsName(zone.value.name, domain.name)) {
      return {
        ...base,
        status: "fail",
        message: `hosted zone ${domain.hostedZoneId} is ${zone.value.name}, which cannot hold records for ${domain.name}`,
        fix: suggestion.length > 0 ? suggestion : [`use the zone of ${domain.name} or a parent of it: ${lookUp}`],
      };
    }
    if (zone.value.privateZone) {
      return {
        ...base,
        status: "fail",
        message: `hosted zone ${domain.hostedZoneId} (${zone.value.name}) is private: neither ACM's validation nor learners can see its records`,
        fix: suggestion.length > 0 ? suggestion : [`use the public zone of ${domain.name}: ${lookUp}`],
      };
    }
    return {
      ...base,
      status: "ok",
      message: `hosted zone ${zone.value.id} (${zone.value.name}) holds ${domain.name}; the program adds its records${domain.certificateArn ? "" : " and validates the certificate"} there`,
      fix: [],
    };
  }
  const listed = { ...base, source: "route53:ListHostedZonesByName" } as const;
  if (domain.certificateArn) {
    return {
      ...listed,
      status: "ok",
      message: `certificate given and no hosted zone: after \`pulumi up\`, add the DNS record for ${domain.name} by hand, pointing at the load balancer's name`,
      fix: suggestion.length > 0 ? [`${suggestion[0]} to have the program add the record`] : [],
    };
  }
  return {
    ...listed,
    status: "fail",
    message: `${domain.name} has neither hostedZoneId nor certificateArn: ACM DNS validation would wait forever`,
    fix: [
      ...suggestion,
      `add domain.hostedZoneId (${lookUp}) or domain.certificateArn (an issued ACM certificate for ${domain.name})`,
    ],
  };
}

/** Kubernetes version: its EKS support on the day of the check, and over the cohort's dates. */
export function checkKubernetesVersion(
  support: EksVersionSupport | undefined,
  findings: readonly VersionFinding[],
): PreflightCheck {
  const base = {
    kind: "kubernetes-version",
    subject: support ? `Kubernetes ${support.version}` : "Kubernetes",
  } as const;
  if (!support) {
    return {
      ...base,
      status: "not-checked",
      message: "the cohort deploys into an existing cluster, whose version labkit does not read",
      fix: ["check it with: aws eks describe-cluster --name <cluster> --query cluster.version"],
    };
  }
  const price = `control plane $${support.controlPlaneUsdPerHour.toFixed(2)}/h`;
  const window =
    support.status === "standard"
      ? `in standard support until ${support.endOfStandardSupport}`
      : support.status === "extended"
        ? `in extended support until ${support.endOfExtendedSupport}`
        : support.status === "unsupported"
          ? `out of EKS support since ${support.endOfExtendedSupport}`
          : "not in labkit's EKS calendar (catalog/eks-versions.ts)";
  const errors = findings.filter((f) => f.severity === "error");
  const warnings = findings.filter((f) => f.severity === "warning");
  const status =
    support.status === "unsupported" || support.status === "unknown" || errors.length > 0
      ? "fail"
      : support.status === "extended" || warnings.length > 0
        ? "warn"
        : "ok";
  return {
    ...base,
    status,
    message: `${window} today, ${price}`,
    fix:
      status === "ok"
        ? []
        : findings.length > 0
          ? findings.map((f) => f.message)
          : ["set cloud.cluster.create.kubernetesVersion to a version in standard support"],
  };
}

/** What ECR said about one image, when labkit could ask. */
export type ImageFacts =
  | { readonly checkable: false }
  | { readonly checkable: true; readonly ecr: EcrImageRef; readonly presence: Fetched<ImagePresence> };

function pushSteps(image: ResolvedImageRef, ecr: EcrImageRef): string[] {
  const login = `aws ecr get-login-password --region ${ecr.region} | docker login --username AWS --password-stdin ${ecrRegistryHost(ecr.account, ecr.region)}`;
  const build = image.custom
    ? `docker push ${image.ref}   (your own image, labs.image)`
    : `docker build -f images/${image.which}/Dockerfile -t ${image.ref} . && docker push ${image.ref}   (from the repository root; see docs/images.md)`;
  return [login, build];
}

/**
 * Image: an ECR image of the deploying account and region must be there before learners pull
 * it; images in any other registry cannot be seen from here and are NOT CHECKED.
 */
export function checkImage(image: ResolvedImageRef, facts: ImageFacts): PreflightCheck {
  const base = { kind: "image", subject: `${image.which} image`, source: "ecr:DescribeImages" } as const;
  if (!facts.checkable) {
    return {
      ...base,
      status: "not-checked",
      message: `labkit cannot check registry ${registryHost(image.ref)} from here (${image.ref})`,
      fix: [`make sure \`docker manifest inspect ${image.ref}\` works from the cluster's nodes`],
    };
  }
  const { ecr, presence } = facts;
  if (!presence.ok) {
    return {
      ...base,
      status: "fail",
      message: `could not look up ${image.ref} in ECR (${describe(presence.error)})`,
      fix: ["allow ecr:DescribeImages on the repository, then run labkit preflight again"],
    };
  }
  if (presence.value === "present") {
    return { ...base, status: "ok", message: `${image.ref} is in ECR`, fix: [] };
  }
  if (presence.value === "no-repository" && image.repositoryCreatedByProgram) {
    return {
      ...base,
      status: "warn",
      message: `the repository ${ecr.repository} does not exist yet: \`pulumi up\` creates it, and the ${image.which} pods cannot start until ${image.ref} is pushed`,
      fix: [`after \`pulumi up\`, push it (see docs/images.md):`, ...pushSteps(image, ecr)],
    };
  }
  if (presence.value === "no-repository") {
    return {
      ...base,
      status: "fail",
      message: `the ECR repository ${ecr.repository} does not exist, so ${image.ref} cannot be pulled`,
      fix: [
        `aws ecr create-repository --region ${ecr.region} --repository-name ${ecr.repository}`,
        ...pushSteps(image, ecr),
      ],
    };
  }
  return {
    ...base,
    status: "fail",
    message: `${image.ref} is not in ECR (the repository ${ecr.repository} has no ${ecr.tag ? `tag ${ecr.tag}` : `digest ${ecr.digest}`})`,
    fix: pushSteps(image, ecr),
  };
}
