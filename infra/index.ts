/**
 * The Pulumi program (`pulumi up` runs this file, see Pulumi.yaml). It reads the stack config
 * `labkit:cohortFile` (the path of cohort.yaml, relative to the project folder), validates the
 * cohort, and deploys it; the exports below are the stack outputs.
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadCohort } from "../schema/load-cohort";
import { deployLabkit } from "./labkit-program";

const config = new pulumi.Config("labkit");
const cohortFile = config.require("cohortFile");
const cohort = loadCohort(resolve(cohortFile));
const outputs = deployLabkit(cohort, {
  huggingFaceToken: config.getSecret("huggingFaceToken"),
  clusterName: config.get("clusterName"),
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
