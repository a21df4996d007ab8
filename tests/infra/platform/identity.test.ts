/**
 * The runner and controller policies, evaluated by a real IAM policy evaluator
 * (@cloud-copilot/iam-simulate) for sessions tagged the way EKS Pod Identity tags them
 * (tests/contracts/eks-pod-identity-session-tags.test.ts pins the tag names).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cohortArtifactPrefix,
  datasetObjectKey,
  learnerArtifactPrefix,
  learnerNamespace,
  learnersArtifactPrefix,
  RUNNER_SERVICE_ACCOUNT,
  runArtifactPrefix,
} from "../../../charts/names";
import { controllerPolicyDocument, Identity, type PolicyDocument } from "../../../infra/platform/identity";
import { type CreatedResource, recordPulumiResources } from "../../harness/recording-mocks";

const ACCOUNT = "123456789012";
const BUCKET = "labkit-ft-dec26-artifacts";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const COHORT = "ft-dec26";
const CLUSTER = "labkit-ft-dec26";
/** A small roster; `ada` and `ada-2` share a prefix, so a pattern without a closing `/` would leak. */
const ROSTER = ["ada", "ada-2", "bob", "grace"] as const;

type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** The session tags EKS Pod Identity puts on a runner Job's credentials in a learner's namespace. */
function runnerSession(learnerId: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const tags: Record<string, string | undefined> = {
    "aws:PrincipalTag/eks-cluster-arn": `arn:aws:eks:eu-central-1:${ACCOUNT}:cluster/${CLUSTER}`,
    "aws:PrincipalTag/eks-cluster-name": CLUSTER,
    "aws:PrincipalTag/kubernetes-namespace": learnerNamespace(learnerId),
    "aws:PrincipalTag/kubernetes-service-account": RUNNER_SERVICE_ACCOUNT,
    "aws:PrincipalTag/kubernetes-pod-name": "run-abc123def456-x7k2p",
    "aws:PrincipalTag/kubernetes-pod-uid": "0b6f7a4e-6f0c-4c59-9d1e-1f3b8a1c2d3e",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** What IAM decides for one request by a session of `role` holding `policy`. */
async function decide(
  policy: PolicyDocument,
  request: { action: string; key?: string; listPrefix?: string; session: Record<string, string> },
): Promise<Decision> {
  const resource = request.key === undefined ? BUCKET_ARN : `${BUCKET_ARN}/${request.key}`;
  const contextVariables: Record<string, string> = { ...request.session };
  if (request.listPrefix !== undefined) contextVariables["s3:prefix"] = request.listPrefix;
  const response = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/labkit-runner-role/eks-labkit-ft-run-abc123`,
        action: request.action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables,
      },
      identityPolicies: [{ name: "policy", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === "error") {
    throw new Error(`the simulator refused the request: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult as Decision;
}

/** Every request a runner might make on a learner's area: read, write, multipart, list. */
function requestsOn(cohort: string, learnerId: string) {
  const run = runArtifactPrefix(cohort, learnerId, "k3v9q2m7xw4a");
  const dataset = datasetObjectKey(cohort, learnerId, "a".repeat(64));
  return [
    { action: "s3:GetObject", key: `${run}results.json` },
    { action: "s3:PutObject", key: `${run}results.json` },
    { action: "s3:PutObject", key: `${run}adapter.tar.gz` },
    { action: "s3:AbortMultipartUpload", key: `${run}adapter.tar.gz` },
    { action: "s3:GetObject", key: dataset },
    { action: "s3:PutObject", key: dataset },
    { action: "s3:ListBucket", listPrefix: learnerArtifactPrefix(cohort, learnerId) },
    { action: "s3:ListBucket", listPrefix: run },
  ];
}

/** A request as one line, for failure messages. */
const describeRequest = (r: { action: string; key?: string; listPrefix?: string }) =>
  `${r.action} ${r.key ?? `(prefix ${r.listPrefix})`}`;

let created: CreatedResource[] = [];
let runnerPolicy: PolicyDocument;
let controllerPolicy: PolicyDocument;

beforeAll(async () => {
  created = await recordPulumiResources();
  const identity = new Identity("labkit", {
    cohortName: COHORT,
    learnerIds: [...ROSTER],
    clusterName: CLUSTER,
    bucketArn: BUCKET_ARN,
    tags: { "labkit:cohort": COHORT },
  });
  await new Promise((resolve) => pulumi.all([identity.runnerRoleArn, identity.controllerRoleArn]).apply(resolve));
  // The inline policies are registered once the bucket ARN and cluster name resolve.
  for (let i = 0; i < 50 && created.filter((c) => c.type === "aws:iam/rolePolicy:RolePolicy").length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const policyOf = (name: string) => {
    const found = created.find((c) => c.type === "aws:iam/rolePolicy:RolePolicy" && c.name === name);
    if (!found) throw new Error(`no RolePolicy named ${name}; created: ${created.map((c) => c.name).join(", ")}`);
    return JSON.parse(found.inputs.policy) as PolicyDocument;
  };
  runnerPolicy = policyOf("labkit-runner-policy");
  controllerPolicy = policyOf("labkit-controller-policy");
});

describe("the runner role, as Pod Identity hands it to each learner's runner Jobs", () => {
  it("denies learner A's runner every read, write and listing of learner B's area, for every pair of the roster", async () => {
    const leaks: string[] = [];
    for (const a of ROSTER) {
      for (const b of ROSTER) {
        if (a === b) continue;
        for (const request of requestsOn(COHORT, b)) {
          const decision = await decide(runnerPolicy, { ...request, session: runnerSession(a) });
          if (decision === "Allowed") leaks.push(`${a}'s runner may ${describeRequest(request)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it("allows each learner's runner to read, write and list its own area", async () => {
    const refused: string[] = [];
    for (const a of ROSTER) {
      for (const request of requestsOn(COHORT, a)) {
        const decision = await decide(runnerPolicy, { ...request, session: runnerSession(a) });
        if (decision !== "Allowed") refused.push(`${a}'s runner may not ${describeRequest(request)} (${decision})`);
      }
    }
    expect(refused).toEqual([]);
  });

  it("denies listing the cohort, all learners, or the bucket, and any key outside the learner's area", async () => {
    const session = runnerSession("ada");
    for (const listPrefix of [cohortArtifactPrefix(COHORT), learnersArtifactPrefix(COHORT), "", "cohorts/"]) {
      expect(await decide(runnerPolicy, { action: "s3:ListBucket", listPrefix, session }), listPrefix).not.toBe(
        "Allowed",
      );
    }
    for (const key of [
      `${cohortArtifactPrefix(COHORT)}shared.json`,
      `${learnersArtifactPrefix(COHORT)}ada/runs/r1/results.json`,
      `${learnerArtifactPrefix("other-cohort", "ada")}runs/r1/results.json`,
    ]) {
      expect(await decide(runnerPolicy, { action: "s3:PutObject", key, session }), key).not.toBe("Allowed");
    }
  });

  it("grants nothing to a session from another cluster, another service account, or without session tags", async () => {
    const ownResults = `${runArtifactPrefix(COHORT, "ada", "r1")}results.json`;
    const sessions = {
      "another cluster": runnerSession("ada", { "aws:PrincipalTag/eks-cluster-name": "someone-elses-cluster" }),
      "the lab's default service account": runnerSession("ada", {
        "aws:PrincipalTag/kubernetes-service-account": "default",
      }),
      "no session tags (disableSessionTags)": {},
      "no namespace tag": runnerSession("ada", { "aws:PrincipalTag/kubernetes-namespace": undefined }),
    };
    for (const [what, session] of Object.entries(sessions)) {
      expect(await decide(runnerPolicy, { action: "s3:GetObject", key: ownResults, session }), what).not.toBe(
        "Allowed",
      );
    }
  });

  it("keeps session tags on for every runner association, since the policy names the learner's area through them", () => {
    const associations = created.filter(
      (c) =>
        c.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" &&
        c.inputs.serviceAccount === RUNNER_SERVICE_ACCOUNT,
    );
    expect(associations.map((a) => a.inputs.namespace).sort()).toEqual(ROSTER.map(learnerNamespace).sort());
    for (const association of associations) expect(association.inputs.disableSessionTags).toBe(false);
  });
});

describe("the controller role", () => {
  // The controller's sessions carry its own namespace's tags; its policy does not depend on them.
  const session = runnerSession("ada", {
    "aws:PrincipalTag/kubernetes-namespace": "labkit-system",
    "aws:PrincipalTag/kubernetes-service-account": "lab-controller",
  });

  it("still reads every learner's runs and datasets, lists the cohort, and writes every learner's dataset uploads", async () => {
    for (const learner of ROSTER) {
      const run = runArtifactPrefix(COHORT, learner, "r1");
      const dataset = datasetObjectKey(COHORT, learner, "b".repeat(64));
      expect(await decide(controllerPolicy, { action: "s3:GetObject", key: `${run}adapter.tar.gz`, session })).toBe(
        "Allowed",
      );
      expect(await decide(controllerPolicy, { action: "s3:PutObject", key: dataset, session })).toBe("Allowed");
    }
    expect(
      await decide(controllerPolicy, {
        action: "s3:ListBucket",
        listPrefix: cohortArtifactPrefix(COHORT),
        session,
      }),
    ).toBe("Allowed");
  });

  it("cannot write run artifacts, which only the learner's own runner writes", async () => {
    const key = `${runArtifactPrefix(COHORT, "ada", "r1")}results.json`;
    expect(await decide(controllerPolicy, { action: "s3:PutObject", key, session })).not.toBe("Allowed");
    expect(controllerPolicyDocument(BUCKET_ARN, COHORT)).toEqual(controllerPolicy);
  });
});
