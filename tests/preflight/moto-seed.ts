/**
 * Puts into moto what a ready account has: images in ECR, a public hosted zone, a deploy role.
 * Everything goes through moto's own AWS APIs.
 */
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from "@aws-sdk/client-ecr";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";

const REGION = "eu-central-1";

/** Creates the repository (if needed) and puts a minimal image manifest at `tag`, as `docker push` would. */
export async function pushImage(endpointUrl: string, repositoryName: string, tag: string): Promise<void> {
  const ecr = new ECRClient({ region: REGION, endpoint: endpointUrl });
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName })).catch((error) => {
      if ((error as Error).name !== "RepositoryAlreadyExistsException") throw error;
    });
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: {
        mediaType: "application/vnd.docker.container.image.v1+json",
        size: 2,
        digest: `sha256:${"0".repeat(64)}`,
      },
      layers: [],
    };
    await ecr.send(new PutImageCommand({ repositoryName, imageTag: tag, imageManifest: JSON.stringify(manifest) }));
  } finally {
    ecr.destroy();
  }
}

/**
 * Creates a public hosted zone and returns its id. Real Route 53 ids start with `Z` (and the
 * cohort schema requires it); moto draws all 22 characters from A–Z0–9, so zones are drawn
 * (and the others deleted) until one starts with `Z`.
 */
export async function createHostedZone(endpointUrl: string, name: string): Promise<string> {
  const route53 = new Route53Client({ region: REGION, endpoint: endpointUrl });
  try {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const created = await route53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `t${attempt}` }));
      const id = (created.HostedZone?.Id ?? "").replace("/hostedzone/", "");
      if (id.startsWith("Z")) return id;
      await route53.send(new DeleteHostedZoneCommand({ Id: id }));
    }
    throw new Error("moto drew no hosted zone id starting with Z in 1000 tries");
  } finally {
    route53.destroy();
  }
}

/** Creates a role at `path` and assumes it: the credentials of an instructor's deploy session. */
export async function assumeDeployRole(
  endpointUrl: string,
  path: string,
  roleName: string,
): Promise<Record<string, string>> {
  const iam = new IAMClient({ region: REGION, endpoint: endpointUrl });
  const sts = new STSClient({ region: REGION, endpoint: endpointUrl });
  try {
    const trust = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
    };
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, Path: path, AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    const session = await sts.send(new AssumeRoleCommand({ RoleArn: role.Role?.Arn, RoleSessionName: "maria" }));
    const credentials = session.Credentials;
    return {
      AWS_ACCESS_KEY_ID: credentials?.AccessKeyId ?? "",
      AWS_SECRET_ACCESS_KEY: credentials?.SecretAccessKey ?? "",
      AWS_SESSION_TOKEN: credentials?.SessionToken ?? "",
    };
  } finally {
    iam.destroy();
    sts.destroy();
  }
}
