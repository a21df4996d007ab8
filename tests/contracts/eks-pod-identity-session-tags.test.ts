/**
 * Contract: the EKS Pod Identity session tags and the IAM policy-variable syntax the runner
 * policy relies on to confine each learner's runner Jobs to that learner's area of the bucket.
 *
 * Rules:
 * - EKS Pod Identity tags every role session it starts with six keys: `eks-cluster-arn`,
 *   `eks-cluster-name`, `kubernetes-namespace`, `kubernetes-service-account`,
 *   `kubernetes-pod-name`, `kubernetes-pod-uid`; policies read them as
 *   `${aws:PrincipalTag/<key>}`, e.g. `${aws:PrincipalTag/kubernetes-namespace}`. Session tags
 *   are on by default; an association's `disableSessionTags: true` turns them off. A tag on the
 *   role itself is readable the same way, and a session tag wins over a role tag of the same key.
 *   Source: EKS User Guide, "Grant Pods access to AWS resources based on tags",
 *   https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html (awsdocs/amazon-eks-user-guide
 *   latest/ug/manage-access/aws-access/pod-id-abac.adoc @ 0fc2ccb3); `disableSessionTags`:
 *   https://docs.aws.amazon.com/eks/latest/APIReference/API_PodIdentityAssociation.html.
 * - The role's trust policy must allow `pods.eks.amazonaws.com` both `sts:AssumeRole` and
 *   `sts:TagSession` ("EKS Pod Identity uses TagSession to include session tags"), and the
 *   `kubernetes-namespace` tag's value is the pod's namespace name (the guide's trust-policy
 *   example compares `aws:RequestTag/kubernetes-namespace` with `<Namespace>`). Source:
 *   https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html (pod-id-role.adoc @ 2edffcb1).
 * - IAM replaces `${key}` in a Resource or a condition value with the request's value of that
 *   context key, including `s3:prefix` under `StringLike` (the guide's per-user S3 example);
 *   variables work only with `"Version": "2012-10-17"` (otherwise they are literal text); and
 *   "if AWS cannot resolve a variable this might cause the entire statement to be invalid", so a
 *   session without the tag is granted nothing by that statement. Source: IAM User Guide,
 *   "IAM policy elements: Variables and tags",
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html.
 */
import { describe, expect, it } from "vitest";
import {
  learnerArtifactPrefix,
  learnerNamespace,
  learnerOfArtifactSegment,
  RUNNER_SERVICE_ACCOUNT,
} from "../../charts/names";
import {
  controllerPolicyDocument,
  runnerArtifactPrefixPattern,
  runnerPolicyDocument,
} from "../../infra/platform/identity";
import {
  POD_IDENTITY_SESSION_TAGS,
  podIdentityTrustPolicy,
  principalTagKey,
  principalTagVariable,
} from "../../infra/platform/pod-identity-role";

describe("EKS Pod Identity session tags", () => {
  it("names exactly the six session tags the EKS user guide lists", () => {
    expect(Object.values(POD_IDENTITY_SESSION_TAGS).sort()).toEqual(
      [
        "eks-cluster-arn",
        "eks-cluster-name",
        "kubernetes-namespace",
        "kubernetes-service-account",
        "kubernetes-pod-name",
        "kubernetes-pod-uid",
      ].sort(),
    );
  });

  it("writes the policy variable and the condition key exactly as the guide's example does", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, written literally
    expect(principalTagVariable(POD_IDENTITY_SESSION_TAGS.namespace)).toBe("${aws:PrincipalTag/kubernetes-namespace}");
    expect(principalTagKey(POD_IDENTITY_SESSION_TAGS.clusterName)).toBe("aws:PrincipalTag/eks-cluster-name");
  });

  it("lets Pod Identity tag the session: the trust policy allows sts:TagSession beside sts:AssumeRole", () => {
    expect(JSON.parse(podIdentityTrustPolicy())).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
        },
      ],
    });
  });
});

describe("the runner policy's use of them", () => {
  const policy = runnerPolicyDocument("arn:aws:s3:::b", "ft-dec26", "labkit-ft-dec26");

  it("uses policy language 2012-10-17, the version that resolves variables", () => {
    expect(policy.Version).toBe("2012-10-17");
    expect(controllerPolicyDocument("arn:aws:s3:::b", "ft-dec26").Version).toBe("2012-10-17");
  });

  it("names the learner's area by the whole namespace segment, so the tag's value (the namespace) resolves to learnerArtifactPrefix", () => {
    const variable = principalTagVariable(POD_IDENTITY_SESSION_TAGS.namespace);
    const pattern = runnerArtifactPrefixPattern("ft-dec26");
    expect(pattern).toBe(`cohorts/ft-dec26/learners/${variable}/`);
    for (const learner of ["ada", "ada-2", "x".repeat(59)]) {
      expect(pattern.replace(variable, learnerNamespace(learner))).toBe(learnerArtifactPrefix("ft-dec26", learner));
      expect(learnerOfArtifactSegment(learnerNamespace(learner))).toBe(learner);
    }
    expect(policy.Statement.map((s) => s.Resource)).toEqual([`arn:aws:s3:::b/${pattern}*`, "arn:aws:s3:::b"]);
    expect(policy.Statement[1].Condition?.StringLike).toEqual({ "s3:prefix": [`${pattern}*`] });
  });

  it("pins the session to this cluster's runner service account by its tags", () => {
    for (const statement of policy.Statement) {
      expect(statement.Condition?.StringEquals).toEqual({
        [principalTagKey(POD_IDENTITY_SESSION_TAGS.clusterName)]: "labkit-ft-dec26",
        [principalTagKey(POD_IDENTITY_SESSION_TAGS.serviceAccount)]: RUNNER_SERVICE_ACCOUNT,
      });
    }
  });
});
