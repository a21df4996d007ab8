/** Policy: an IAM role policy that writes to S3 writes only below a cohort's prefix (`cohorts/<name>/`). */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

/** S3 actions that change or remove data. */
const WRITE_ACTION = /^s3:(\*|Put.*|Delete.*|Abort.*|Restore.*|Replicate.*|\*Object.*)$/;
/** An object ARN under a cohort's prefix. */
const COHORT_OBJECT_ARN = /^arn:aws[a-z-]*:s3:::[^/]+\/cohorts\/[a-z0-9-]+\/.*$/;

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

/** The write statements of a policy document that reach outside a cohort prefix (pure). */
export function writesOutsideCohortPrefix(policy: string): string[] {
  const document = JSON.parse(policy) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(document.Statement)
    ? document.Statement
    : document.Statement
      ? [document.Statement]
      : [];
  const problems: string[] = [];
  for (const statement of statements) {
    if (statement.Effect !== "Allow") continue;
    const actions = ([] as string[]).concat(statement.Action ?? []);
    const resources = ([] as string[]).concat(statement.Resource ?? []);
    const writes = actions.filter((a) => WRITE_ACTION.test(a));
    if (writes.length === 0) continue;
    for (const resource of resources) {
      if (!COHORT_OBJECT_ARN.test(resource)) problems.push(`${writes.join(", ")} on ${resource}`);
    }
  }
  return problems;
}

export const s3WritesInCohortPrefixPolicy: ResourceValidationPolicy = {
  name: "labkit-s3-writes-in-cohort-prefix",
  description: "Role policies allow S3 writes only on objects under cohorts/<cohort>/.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.iam.RolePolicy, (rolePolicy, _args, reportViolation) => {
    if (typeof rolePolicy.policy !== "string") return;
    for (const problem of writesOutsideCohortPrefix(rolePolicy.policy)) {
      reportViolation(`role policy allows ${problem}: writes must stay below the cohort's prefix cohorts/<cohort>/`);
    }
  }),
};
