/** Policy: node launch templates require IMDSv2 with a hop limit of 1, so pods cannot read node credentials. */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

export const imdsV2HopLimitPolicy: ResourceValidationPolicy = {
  name: "labkit-imds-v2-hop-limit",
  description: "Launch templates require IMDSv2 tokens and a PUT response hop limit of 1.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.ec2.LaunchTemplate, (template, _args, reportViolation) => {
    const metadata = template.metadataOptions;
    if (metadata?.httpTokens !== "required") {
      reportViolation("launch template allows IMDSv1: set metadataOptions.httpTokens to `required`");
    }
    if (metadata?.httpPutResponseHopLimit !== 1) {
      reportViolation(
        `launch template's IMDS hop limit is ${metadata?.httpPutResponseHopLimit ?? "unset"}; set metadataOptions.httpPutResponseHopLimit to 1 so pods cannot reach the node's credentials`,
      );
    }
  }),
};
