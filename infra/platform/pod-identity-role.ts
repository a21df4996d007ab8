/**
 * IAM roles that Kubernetes service accounts assume through EKS Pod Identity. The trust policy
 * names only the Pod Identity service, so a role is usable solely through an association
 * (cluster + namespace + service account) that labkit creates.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Session tags EKS Pod Identity puts on every role session it starts (unless an association sets
 * `disableSessionTags`): policies read them as `aws:PrincipalTag/<key>`. Source: EKS User Guide,
 * "Grant Pods access to AWS resources based on tags" (pod-id-abac).
 */
export const POD_IDENTITY_SESSION_TAGS = {
  clusterArn: "eks-cluster-arn",
  clusterName: "eks-cluster-name",
  namespace: "kubernetes-namespace",
  serviceAccount: "kubernetes-service-account",
  podName: "kubernetes-pod-name",
  podUid: "kubernetes-pod-uid",
} as const;

/** Key of a Pod Identity session tag. */
export type PodIdentitySessionTag = (typeof POD_IDENTITY_SESSION_TAGS)[keyof typeof POD_IDENTITY_SESSION_TAGS];

/** The condition key of a session tag, e.g. `aws:PrincipalTag/kubernetes-namespace`. */
export function principalTagKey(tag: PodIdentitySessionTag): string {
  return `aws:PrincipalTag/${tag}`;
}

/**
 * The IAM policy variable IAM replaces with a session tag's value when it evaluates a request,
 * e.g. `${aws:PrincipalTag/kubernetes-namespace}` (needs policy Version 2012-10-17). If the tag is
 * missing, IAM cannot resolve the variable and the statement grants nothing.
 */
export function principalTagVariable(tag: PodIdentitySessionTag): string {
  return `\${${principalTagKey(tag)}}`;
}

/**
 * Trust policy of every Pod Identity role: `pods.eks.amazonaws.com` may assume it and tag the
 * session (`sts:TagSession`); without that permission there would be no session tags and every
 * statement keyed on them would grant nothing.
 */
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
  // A role tag stands in for a session tag of the same key when the session has none (pod-id-abac),
  // so a role tagged `kubernetes-namespace` would hand every session that learner's area.
  const sessionTagKeys: readonly string[] = Object.values(POD_IDENTITY_SESSION_TAGS);
  const shadowing = Object.keys(tags).filter((key) => sessionTagKeys.includes(key));
  if (shadowing.length > 0) {
    throw new Error(
      `role ${name}: tag ${shadowing.map((k) => `\`${k}\``).join(", ")} has the name of an EKS Pod Identity session tag, which policies read as the pod's identity; rename the tag`,
    );
  }
  const role = new aws.iam.Role(name, { assumeRolePolicy: podIdentityTrustPolicy(), tags }, { parent });
  (permissions.managedPolicyArns ?? []).forEach((policyArn, index) => {
    new aws.iam.RolePolicyAttachment(`${name}-${index}`, { role: role.name, policyArn }, { parent });
  });
  if (permissions.inlinePolicy !== undefined) {
    new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: permissions.inlinePolicy }, { parent });
  }
  return role;
}
