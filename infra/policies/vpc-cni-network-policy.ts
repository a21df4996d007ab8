/** Policy: the VPC CNI addon enforces NetworkPolicy; without it no learner isolation holds. */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

export const vpcCniNetworkPolicyPolicy: ResourceValidationPolicy = {
  name: "labkit-vpc-cni-network-policy",
  description: 'The vpc-cni addon is configured with enableNetworkPolicy: "true".',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.eks.Addon, (addon, _args, reportViolation) => {
    if (addon.addonName !== "vpc-cni") return;
    let config: { enableNetworkPolicy?: unknown } = {};
    try {
      config = JSON.parse(addon.configurationValues ?? "{}");
    } catch {
      reportViolation("vpc-cni configurationValues is not JSON");
      return;
    }
    if (config.enableNetworkPolicy !== "true") {
      reportViolation(
        'vpc-cni does not enforce NetworkPolicy: set configurationValues {"enableNetworkPolicy": "true"}',
      );
    }
  }),
};
