/**
 * labkit's resource policies as plain @pulumi/policy objects. Tests call them directly on the
 * resources the program registers under mocks; a policy pack can wrap them with
 * `new PolicyPack("labkit", { policies: LABKIT_POLICIES })`.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { bucketEncryptionPolicy, bucketPublicAccessPolicy } from "./artifact-bucket";
import { gpuNodeGroupPolicy } from "./gpu-node-group";
import { imdsV2HopLimitPolicy } from "./imds-v2-hop-limit";
import { pinnedHelmChartPolicy } from "./pinned-helm-chart";
import { s3WritesInCohortPrefixPolicy } from "./s3-writes-in-cohort-prefix";
import { vpcCniNetworkPolicyPolicy } from "./vpc-cni-network-policy";

/** Every labkit policy. */
export const LABKIT_POLICIES: readonly ResourceValidationPolicy[] = [
  gpuNodeGroupPolicy,
  imdsV2HopLimitPolicy,
  bucketPublicAccessPolicy,
  bucketEncryptionPolicy,
  vpcCniNetworkPolicyPolicy,
  pinnedHelmChartPolicy,
  s3WritesInCohortPrefixPolicy,
];

/** Thrown by `notApplicable()`: the policy skips this resource (as the policy engine does). */
const NOT_APPLICABLE = Symbol("not applicable");

/** The arguments the policy engine passes a resource validation, built from a recorded resource. */
function validationArgs(resource: { type: string; name: string; urn: string; inputs: Record<string, unknown> }) {
  const isType = (cls: { __pulumiType?: string }) => cls.__pulumiType === resource.type;
  return {
    type: resource.type,
    props: resource.inputs,
    urn: resource.urn,
    name: resource.name,
    opts: {},
    isType,
    asType: (cls: { __pulumiType?: string }) => (isType(cls) ? resource.inputs : undefined),
    getConfig: () => ({}),
    notApplicable: (): never => {
      throw NOT_APPLICABLE;
    },
  };
}

/** Run every policy on one resource's inputs and return the violations (for tests and `labkit plan`). */
export async function checkResource(resource: {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly inputs: Record<string, unknown>;
}): Promise<Array<{ policy: string; message: string }>> {
  const violations: Array<{ policy: string; message: string }> = [];
  for (const policy of LABKIT_POLICIES) {
    const validations = ([] as unknown[]).concat(policy.validateResource ?? []) as Array<
      (args: unknown, report: (message: string) => void) => unknown
    >;
    for (const validate of validations) {
      try {
        await validate(validationArgs(resource), (message) => violations.push({ policy: policy.name, message }));
      } catch (error) {
        if (error !== NOT_APPLICABLE) throw error;
      }
    }
  }
  return violations;
}
