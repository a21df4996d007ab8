/**
 * The cohort's container registry: one ECR repository per labkit image (`<cohort>/lab`,
 * `<cohort>/runner`, `<cohort>/controller`) in the deploying account and region, used when
 * cohort.yaml names no `images.registry`. Nodes pull from it with their role's
 * AmazonEC2ContainerRegistryReadOnly policy (node-groups.ts), so no pull secret is needed.
 * The images are built and pushed by the instructor (docs/images.md, `images/push.sh`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_NAMES } from "../../schema/cohort";

/** The ECR registry path of a cohort's images: `<account>.dkr.ecr.<region>.amazonaws.com/<cohort>` (pure). */
export function ecrRegistryPath(accountId: string, region: string, cohortName: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com/${cohortName}`;
}

/** The repository names of a cohort (pure): `<cohort>/lab`, `<cohort>/runner`, `<cohort>/controller`. */
export function imageRepositoryNames(cohortName: string): string[] {
  return IMAGE_NAMES.map((image) => `${cohortName}/${image}`);
}

/** Arguments of one repository (pure): scanned on push, deleted with its images on `pulumi destroy` (they can be rebuilt). */
export function imageRepositoryArgs(repositoryName: string, tags: Record<string, string>): aws.ecr.RepositoryArgs {
  return {
    name: repositoryName,
    imageTagMutability: "MUTABLE",
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfigurations: [{ encryptionType: "AES256" }],
    forceDelete: true,
    tags,
  };
}

export interface ImageRepositoriesArgs {
  readonly cohortName: string;
  readonly tags: Record<string, string>;
}

/** The image repositories component. */
export class ImageRepositories extends pulumi.ComponentResource {
  /** Repository URL of each image, by image name (`lab`, `runner`, `controller`). */
  public readonly repositoryUrls: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ImageRepositoriesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:ImageRepositories", name, {}, opts);
    const repositories = IMAGE_NAMES.map(
      (image) =>
        new aws.ecr.Repository(`${name}-${image}`, imageRepositoryArgs(`${args.cohortName}/${image}`, args.tags), {
          parent: this,
        }),
    );
    this.repositoryUrls = pulumi
      .all(repositories.map((r) => r.repositoryUrl))
      .apply((urls) => Object.fromEntries(IMAGE_NAMES.map((image, i) => [image, urls[i]])));
    this.registerOutputs({ repositoryUrls: this.repositoryUrls });
  }
}
