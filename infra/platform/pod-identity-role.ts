/**
 * IAM roles that Kubernetes service accounts assume through EKS Pod Identity. The trust policy
 * names only the Pod Identity service, so a role is usable solely through an association
 * (cluster + namespace + service account) that labkit creates.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** Trust policy of every Pod Identity role: `pods.eks.amazonaws.com` may assume it and tag the session. */
export function podIdentityTrustPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
      },
    ],
  });
}

/** A Pod Identity role with either managed policies or one inline policy. */
export function createPodIdentityRole(
  name: string,
  permissions: { readonly managedPolicyArns?: readonly string[]; readonly inlinePolicy?: pulumi.Input<string> },
  tags: Record<string, string>,
  parent: pulumi.Resource,
): aws.iam.Role {
  const role = new aws.iam.Role(name, { assumeRolePolicy: podIdentityTrustPolicy(), tags }, { parent });
  (permissions.managedPolicyArns ?? []).forEach((policyArn, index) => {
    new aws.iam.RolePolicyAttachment(`${name}-${index}`, { role: role.name, policyArn }, { parent });
  });
  if (permissions.inlinePolicy !== undefined) {
    new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: permissions.inlinePolicy }, { parent });
  }
  return role;
}
