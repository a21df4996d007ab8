/**
 * The Pulumi program (`pulumi up` runs this file, see Pulumi.yaml). It reads the stack config
 * `labkit:cohortFile` (the path of cohort.yaml, relative to the project folder), validates the
 * cohort, runs `labkit preflight`'s checks against the AWS account and refuses to start when one
 * fails, and deploys it; the exports below are the stack outputs.
 *
 * `labkit:skipPreflight: true` turns every failed check but the credentials into a warning (for
 * accounts whose policies forbid the read calls preflight makes); the deployer's identity is
 * always read from STS.
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { fatalChecks, runPreflight } from "../preflight/run-preflight";
import { loadCohort } from "../schema/load-cohort";
import { deployLabkit } from "./labkit-program";
import { preflightRefusal } from "./preflight-refusal";

const config = new pulumi.Config("labkit");
const cohortFile = config.require("cohortFile");
const cohort = loadCohort(resolve(cohortFile));

// Top-level await: Pulumi loads an ES module program with `import()` and waits for it
// (pulumi/pulumi #8655, "top-level await" test cases of the Node.js language host).
const endpointUrl = process.env.AWS_ENDPOINT_URL;
const report = await runPreflight(cohort, { region: cohort.cloud.region, ...(endpointUrl ? { endpointUrl } : {}) });
const fatal = config.getBoolean("skipPreflight")
  ? fatalChecks(report).filter((check) => check.kind === "identity")
  : fatalChecks(report);
if (fatal.length > 0) throw new pulumi.RunError(preflightRefusal(fatal, cohortFile));
for (const check of report.checks.filter((c) => c.status === "warn" || (c.status === "fail" && !fatal.includes(c)))) {
  pulumi.log.warn(`preflight: ${check.subject}: ${check.message}`);
}

const outputs = deployLabkit(cohort, {
  huggingFaceToken: config.getSecret("huggingFaceToken"),
  clusterName: config.get("clusterName"),
  deployer:
    report.account && report.callerArn ? { accountId: report.account, principalArn: report.callerArn } : undefined,
});

export const cohortName = outputs.cohortName;
export const region = outputs.region;
export const clusterName = outputs.clusterName;
export const kubeconfig = outputs.kubeconfig;
export const baseUrl = outputs.baseUrl;
export const dashboardUrl = outputs.dashboardUrl;
export const artifactBucket = outputs.artifactBucket;
export const artifactsOnDestroy = outputs.artifactsOnDestroy;
export const gpuNodeGroups = outputs.gpuNodeGroups;
export const vpcId = outputs.vpcId;
export const modelCacheFileSystemId = outputs.modelCacheFileSystemId;
export const gateway = outputs.gateway;
export const learnerUrls = outputs.learnerUrls;
export const learnerTokens = outputs.learnerTokens;
export const instructorTokens = outputs.instructorTokens;
export const imageRegistry = outputs.imageRegistry;
export const imageTag = outputs.imageTag;
export const imageRepositoryUrls = outputs.imageRepositoryUrls;
