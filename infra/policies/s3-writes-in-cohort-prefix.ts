/**
 * Policy: an IAM role policy that writes to S3 writes only below a cohort's prefix
 * (`cohorts/<name>/`), and never lets one principal write every learner's run artifacts: a role
 * that writes runs must name the learner's area through the `kubernetes-namespace` session tag,
 * as the runner policy does (infra/platform/identity.ts).
 */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { learnerNamespace, runArtifactPrefix } from "../../charts/names";
import { POD_IDENTITY_SESSION_TAGS, principalTagVariable } from "../platform/pod-identity-role";

/** S3 actions that change or remove data. */
const WRITE_ACTION = /^s3:(\*|Put.*|Delete.*|Abort.*|Restore.*|Replicate.*|\*Object.*)$/;
/** An object ARN under a cohort's prefix; captures the bucket ARN and the cohort's name. */
const COHORT_OBJECT_ARN = /^(arn:aws[a-z-]*:s3:::[^/]+)\/cohorts\/([a-z0-9-]+)\/.*$/;
/** The namespace policy variable, and any other policy variable (which could resolve to anything). */
const NAMESPACE_VARIABLE = principalTagVariable(POD_IDENTITY_SESSION_TAGS.namespace);
const ANY_VARIABLE = /\$\{[^}]*\}/g;

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

/** The Allow statements of a policy document that write to S3, with their write actions and resources. */
function s3Writes(policy: string): Array<{ writes: string[]; resources: string[] }> {
  const document = JSON.parse(policy) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(document.Statement)
    ? document.Statement
    : document.Statement
      ? [document.Statement]
      : [];
  return statements
    .filter((statement) => statement.Effect === "Allow")
    .map((statement) => ({
      writes: ([] as string[]).concat(statement.Action ?? []).filter((a) => WRITE_ACTION.test(a)),
      resources: ([] as string[]).concat(statement.Resource ?? []),
    }))
    .filter((statement) => statement.writes.length > 0);
}

/** The write statements of a policy document that reach outside a cohort prefix (pure). */
export function writesOutsideCohortPrefix(policy: string): string[] {
  const problems: string[] = [];
  for (const { writes, resources } of s3Writes(policy)) {
    for (const resource of resources) {
      if (!COHORT_OBJECT_ARN.test(resource)) problems.push(`${writes.join(", ")} on ${resource}`);
    }
  }
  return problems;
}

/** An IAM resource pattern as a regular expression: `*` any characters (slashes too), `?` one. */
function resourcePattern(resource: string): RegExp {
  const glob = resource
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${glob}$`);
}

/**
 * The write statements inside a cohort's prefix that would let one session write another
 * learner's run artifacts (pure). The session is taken to be learner `self`'s runner, so the
 * namespace variable stands for `lab-self`; any other policy variable could be anything. A
 * resource is refused when it matches `self`'s neighbour's `results.json` or `adapter.tar.gz`.
 */
export function writesToOtherLearnersRuns(policy: string): string[] {
  const problems: string[] = [];
  for (const { writes, resources } of s3Writes(policy)) {
    for (const resource of resources) {
      const inCohort = COHORT_OBJECT_ARN.exec(resource);
      if (!inCohort) continue;
      const [, bucketArn, cohortName] = inCohort;
      const asSelf = resource.split(NAMESPACE_VARIABLE).join(learnerNamespace("self")).replace(ANY_VARIABLE, "*");
      const pattern = resourcePattern(asSelf);
      const neighbourRun = `${bucketArn}/${runArtifactPrefix(cohortName, "neighbour", "r1")}`;
      if (pattern.test(`${neighbourRun}results.json`) || pattern.test(`${neighbourRun}adapter.tar.gz`)) {
        problems.push(`${writes.join(", ")} on ${resource}`);
      }
    }
  }
  return problems;
}

export const s3WritesInCohortPrefixPolicy: ResourceValidationPolicy = {
  name: "labkit-s3-writes-in-cohort-prefix",
  description:
    "Role policies allow S3 writes only on objects under cohorts/<cohort>/, and on run artifacts only in the session's own learner area.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.iam.RolePolicy, (rolePolicy, _args, reportViolation) => {
    if (typeof rolePolicy.policy !== "string") return;
    for (const problem of writesOutsideCohortPrefix(rolePolicy.policy)) {
      reportViolation(`role policy allows ${problem}: writes must stay below the cohort's prefix cohorts/<cohort>/`);
    }
    for (const problem of writesToOtherLearnersRuns(rolePolicy.policy)) {
      reportViolation(
        `role policy allows ${problem}, so one session can overwrite every learner's run artifacts: scope the resource to the session's own learner area, cohorts/<cohort>/learners/${NAMESPACE_VARIABLE}/… (see runnerPolicyDocument in infra/platform/identity.ts)`,
      );
    }
  }),
};
