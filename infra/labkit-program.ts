/**
 * The whole Pulumi program as one function of a loaded cohort, so `pulumi up` (infra/index.ts),
 * `labkit plan` (list-resources.ts, under mocks) and the tests run exactly the same code.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DASHBOARD_PATH, GATEWAY_NAMESPACE } from "../charts/names";
import type { Cohort } from "../schema/cohort";
import { CohortApps } from "./cohort";
import { cohortTags } from "./cost-tags";
import { connectExistingCluster, existingLoadBalancerBaseUrl } from "./existing-cluster";
import { principalRoleArn } from "./platform/cluster";
import { GATEWAY_NAME } from "./platform/gateway";
import { Identity } from "./platform/identity";
import { ecrRegistryPath, ImageRepositories } from "./platform/image-repositories";
import { Platform } from "./platform/platform";
import { Storage } from "./platform/storage";

/** Settings that come from the stack's config rather than cohort.yaml. */
export interface LabkitSettings {
  /** Hugging Face token for gated models (`pulumi config set --secret labkit:huggingFaceToken`). */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** EKS cluster name, for an existing cluster named by a kubeconfig context that is not an EKS ARN. */
  readonly clusterName?: string;
  /**
   * Who runs `pulumi up` (STS GetCallerIdentity): the account names the default image registry,
   * and the principal's role gets no access entry of labkit's (EKS makes one for the cluster's
   * creator). Default: the offline account `123456789012` and no principal (plan and tests).
   */
  readonly deployer?: { readonly accountId: string; readonly principalArn: string };
}

/** The account `labkit plan` and the tests deploy into under mocks. */
export const OFFLINE_ACCOUNT_ID = "123456789012";

/**
 * The cohort as deployed (pure): `images.registry` filled with the cohort's own ECR registry
 * when cohort.yaml names none, so every image reference below is complete.
 */
export function cohortWithRegistry(cohort: Cohort, accountId: string): Cohort {
  if (cohort.images.registry !== undefined) return cohort;
  return {
    ...cohort,
    images: { ...cohort.images, registry: ecrRegistryPath(accountId, cohort.cloud.region, cohort.name) },
  };
}

/** The stack outputs. */
export interface LabkitOutputs {
  /** EKS cluster name. */
  readonly clusterName: pulumi.Output<string>;
  /** Kubeconfig of the cluster (secret); absent for a kubeconfig-context cluster (you already have it). */
  readonly kubeconfig?: pulumi.Output<string>;
  /** The cohort's base URL: `https://<domain>` or `http://<load balancer name>`. */
  readonly baseUrl: pulumi.Output<string>;
  /** Where the instructor opens the dashboard. */
  readonly dashboardUrl: pulumi.Output<string>;
  /** Cohort name (the CLI's `labkit export`/`reset` read it). */
  readonly cohortName: string;
  /** The artifact bucket. */
  readonly artifactBucket: pulumi.Output<string>;
  /** What `pulumi destroy` does with the bucket: `keep` or `purge`. */
  readonly artifactsOnDestroy: string;
  /** AWS region. */
  readonly region: string;
  /** The cohort's VPC (new clusters); `labkit destroy-check` lists the ENIs left in it. */
  readonly vpcId?: pulumi.Output<string>;
  /** EFS file system of the model cache (new clusters). */
  readonly modelCacheFileSystemId?: pulumi.Output<string | undefined>;
  /** EKS managed node group name of each GPU pool, by pool name (new clusters). */
  readonly gpuNodeGroups?: pulumi.Output<Record<string, string>>;
  /** Each learner's JupyterLab URL, by learner id. */
  readonly learnerUrls?: pulumi.Output<Record<string, string>>;
  /** Each learner's lab token, by learner id (secret). */
  readonly learnerTokens?: pulumi.Output<Record<string, string>>;
  /** Each instructor's dashboard and API token, by instructor id (secret). */
  readonly instructorTokens?: pulumi.Output<Record<string, string>>;
  /** The Gateway learners' routes attach to, `<namespace>/<name>`. */
  readonly gateway: string;
  /** Registry path the cohort's images are pulled from, `<registry>/{lab,runner,controller}:<tag>` (images/push.sh pushes there). */
  readonly imageRegistry: string;
  /** Tag of the cohort's images. */
  readonly imageTag: string;
  /** The cohort's ECR repository of each image (`lab`, `runner`, `controller`), when labkit created them: push there. */
  readonly imageRepositoryUrls?: pulumi.Output<Record<string, string>>;
}

/** Create every resource of a cohort and return the stack outputs. */
export function deployLabkit(cohortFile: Cohort, settings: LabkitSettings = {}): LabkitOutputs {
  const cohort = cohortWithRegistry(cohortFile, settings.deployer?.accountId ?? OFFLINE_ACCOUNT_ID);
  const tags = cohortTags(cohort);
  const name = cohort.name;
  // One AWS provider pinned to the cohort's region; its default tags reach resources inside
  // @pulumi/eks and awsx components too.
  const awsProvider = new aws.Provider(`${name}-aws`, { region: cohort.cloud.region, defaultTags: { tags } });
  const providers = [awsProvider];
  // The cohort's own ECR repositories, unless cohort.yaml points at a registry of its own.
  const imageRepositories =
    cohortFile.images.registry === undefined
      ? new ImageRepositories(name, { cohortName: cohort.name, tags }, { providers })
      : undefined;
  const imageRepositoryUrls = imageRepositories?.repositoryUrls;

  if (cohort.cloud.cluster.create) {
    const deployerRoleArn = settings.deployer ? principalRoleArn(settings.deployer.principalArn) : undefined;
    const platform = new Platform(name, { cohort, tags, deployerRoleArn }, { providers });
    const baseUrl = platform.gateway.baseUrl;
    const cohortApps = new CohortApps(
      name,
      {
        cohort,
        provider: platform.cluster.kubernetesProvider,
        baseUrl,
        huggingFaceToken: settings.huggingFaceToken,
        gateway: platform.gateway.gatewayRef,
        bucketName: platform.storage.bucketName,
      },
      {
        // Claims (lab homes, the model cache, the controller's volume) go before the StorageClasses
        // and CSI drivers on destroy; routes before the Gateway.
        dependsOn: [platform.gateway, platform.gpuStack, ...platform.storage.storageClasses],
      },
    );
    return {
      clusterName: platform.cluster.clusterName,
      kubeconfig: platform.cluster.kubeconfig,
      baseUrl,
      dashboardUrl: pulumi.interpolate`${baseUrl}${DASHBOARD_PATH}`,
      cohortName: cohort.name,
      artifactBucket: platform.storage.bucketName,
      artifactsOnDestroy: cohort.artifacts.onDestroy,
      region: cohort.cloud.region,
      vpcId: platform.network.vpcId,
      modelCacheFileSystemId: platform.storage.modelCacheFileSystemId,
      gpuNodeGroups: pulumi.all(
        Object.fromEntries(Object.entries(platform.gpuNodeGroups).map(([pool, group]) => [pool, group.nodeGroupName])),
      ),
      gateway: `${cohortApps.gateway.namespace}/${cohortApps.gateway.name}`,
      learnerUrls: cohortApps.learnerUrls,
      learnerTokens: pulumi.secret(cohortApps.learnerTokens),
      instructorTokens: pulumi.secret(cohortApps.instructorTokens),
      imageRepositoryUrls,
      imageRegistry: cohort.images.registry as string,
      imageTag: cohort.images.tag,
    };
  }

  const existing = connectExistingCluster(
    name,
    cohort.cloud.cluster.existing as NonNullable<typeof cohort.cloud.cluster.existing>,
    settings.clusterName,
  );
  const storage = new Storage(name, { cohort, tags }, { providers });
  new Identity(
    name,
    {
      cohortName: cohort.name,
      learnerIds: cohort.learners.map((l) => l.id),
      clusterName: existing.clusterName,
      bucketArn: storage.bucketArn,
      tags,
    },
    { providers },
  );
  const baseUrl = cohort.domain
    ? pulumi.output(`https://${cohort.domain.name}`)
    : (existing.baseUrl ?? existingLoadBalancerBaseUrl(name, existing.provider));
  const cohortApps = new CohortApps(name, {
    cohort,
    provider: existing.provider,
    baseUrl,
    huggingFaceToken: settings.huggingFaceToken,
    bucketName: storage.bucketName,
  });
  return {
    clusterName: existing.clusterName,
    kubeconfig: existing.kubeconfig,
    baseUrl,
    dashboardUrl: pulumi.interpolate`${baseUrl}${DASHBOARD_PATH}`,
    cohortName: cohort.name,
    artifactBucket: storage.bucketName,
    artifactsOnDestroy: cohort.artifacts.onDestroy,
    region: cohort.cloud.region,
    modelCacheFileSystemId: existing.modelCacheFileSystemId,
    gateway: `${GATEWAY_NAMESPACE}/${GATEWAY_NAME}`,
    learnerUrls: cohortApps.learnerUrls,
    learnerTokens: pulumi.secret(cohortApps.learnerTokens),
    instructorTokens: pulumi.secret(cohortApps.instructorTokens),
    imageRepositoryUrls,
    imageRegistry: cohort.images.registry as string,
    imageTag: cohort.images.tag,
  };
}
