/**
 * The thin AWS layer of `labkit preflight`: each method makes one kind of AWS call and returns
 * plain data, or the call's error as data, never a throw. The checks (checks.ts) judge the data.
 * `AwsFactSource` is the seam a test or the Pulumi program can hand its own implementation to.
 */
import { DescribeInstanceTypeOfferingsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { GetHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from "@aws-sdk/client-route-53";
import { GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { EC2_SERVICE_CODE } from "../catalog/ec2-vcpu-quotas";

/** Why an AWS call failed, as data. */
export interface AwsCallError {
  /** The AWS error code (`NoSuchHostedZone`, `AccessDenied`…), or the SDK's error name. */
  readonly code: string;
  readonly message: string;
  /** HTTP status of the answer; absent when nothing answered (no credentials, no network). */
  readonly httpStatus?: number;
}

/** The value an AWS call returned, or why it failed. */
export type Fetched<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: AwsCallError };

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

/** IAM's verdict on one action. */
export interface ActionDecision {
  readonly action: string;
  readonly decision: "allowed" | "explicitDeny" | "implicitDeny";
}

export interface HostedZone {
  /** Zone id without the `/hostedzone/` prefix, e.g. `Z0123456789ABCDEFGHIJ`. */
  readonly id: string;
  /** Zone name without the trailing dot, e.g. `example.org`. */
  readonly name: string;
  readonly privateZone: boolean;
}

/** Whether an image is in its ECR repository. */
export type ImagePresence = "present" | "no-image" | "no-repository";

/** One kind of AWS call per method; every method resolves, failures included. */
export interface AwsFactSource {
  /** STS GetCallerIdentity. */
  callerIdentity(): Promise<Fetched<CallerIdentity>>;
  /** IAM GetRole: the role's full ARN (with its path, which an assumed-role ARN leaves out). */
  roleArn(roleName: string): Promise<Fetched<string>>;
  /** IAM SimulatePrincipalPolicy of `actions` on every resource (`*`). */
  simulatePrincipalPolicy(principalArn: string, actions: readonly string[]): Promise<Fetched<ActionDecision[]>>;
  /** EC2 DescribeInstanceTypeOfferings (availability-zone): the region's AZs that offer `instanceType`. */
  offeredAvailabilityZones(instanceType: string): Promise<Fetched<string[]>>;
  /** Service Quotas GetServiceQuota of an EC2 quota: its applied value. */
  ec2QuotaValue(quotaCode: string): Promise<Fetched<number>>;
  /** Route 53 GetHostedZone. */
  hostedZone(id: string): Promise<Fetched<HostedZone>>;
  /** Route 53 ListHostedZonesByName: the zones named exactly `dnsName`. */
  hostedZonesNamed(dnsName: string): Promise<Fetched<HostedZone[]>>;
  /** ECR DescribeImages of one tag or digest. */
  ecrImage(repository: string, image: { tag?: string; digest?: string }): Promise<Fetched<ImagePresence>>;
  /** Release the clients' connections. */
  close(): void;
}

export interface SdkAwsFactsOptions {
  readonly region: string;
  /** One endpoint for every service (an emulator such as moto). Default: AWS's own endpoints. */
  readonly endpointUrl?: string;
}

/** The error of an AWS SDK call as data. */
export function awsCallError(error: unknown): AwsCallError {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const httpStatus = e.$metadata?.httpStatusCode;
  const code = e.Code ?? e.name ?? "Error";
  let message = String(e.message ?? error);
  if (code === "CredentialsProviderError") message = `no AWS credentials were found (${message})`;
  // An endpoint that does not implement an operation (moto, for some) answers an HTML page the SDK cannot parse.
  if (/Deserialization error/.test(message))
    message = `the endpoint answered HTTP ${httpStatus ?? "?"} with a body that is not an AWS API answer (an emulator that does not implement this call?)`;
  return { code, message, ...(httpStatus === undefined ? {} : { httpStatus }) };
}

async function fetched<T>(call: () => Promise<T>): Promise<Fetched<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: awsCallError(error) };
  }
}

function zoneFromApi(zone: { Id?: string; Name?: string; Config?: { PrivateZone?: boolean } }): HostedZone {
  return {
    id: (zone.Id ?? "").replace(/^\/hostedzone\//, ""),
    name: (zone.Name ?? "").replace(/\.$/, ""),
    privateZone: zone.Config?.PrivateZone ?? false,
  };
}

/** `AwsFactSource` over the AWS SDK v3, with the default credential chain. */
export class SdkAwsFacts implements AwsFactSource {
  private readonly sts: STSClient;
  private readonly iam: IAMClient;
  private readonly ec2: EC2Client;
  private readonly quotas: ServiceQuotasClient;
  private readonly route53: Route53Client;
  private readonly ecr: ECRClient;

  constructor(options: SdkAwsFactsOptions) {
    const config = { region: options.region, ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}) };
    this.sts = new STSClient(config);
    this.iam = new IAMClient(config);
    this.ec2 = new EC2Client(config);
    this.quotas = new ServiceQuotasClient(config);
    this.route53 = new Route53Client(config);
    this.ecr = new ECRClient(config);
  }

  callerIdentity() {
    return fetched(async () => {
      const answer = await this.sts.send(new GetCallerIdentityCommand({}));
      return { account: answer.Account ?? "", arn: answer.Arn ?? "" };
    });
  }

  roleArn(roleName: string) {
    return fetched(async () => (await this.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn ?? "");
  }

  simulatePrincipalPolicy(principalArn: string, actions: readonly string[]) {
    return fetched(async () => {
      const decisions: ActionDecision[] = [];
      let Marker: string | undefined;
      do {
        const page = await this.iam.send(
          new SimulatePrincipalPolicyCommand({ PolicySourceArn: principalArn, ActionNames: [...actions], Marker }),
        );
        for (const result of page.EvaluationResults ?? []) {
          decisions.push({
            action: result.EvalActionName ?? "",
            decision: (result.EvalDecision ?? "implicitDeny") as ActionDecision["decision"],
          });
        }
        Marker = page.IsTruncated ? page.Marker : undefined;
      } while (Marker);
      return decisions;
    });
  }

  offeredAvailabilityZones(instanceType: string) {
    return fetched(async () => {
      const zones = new Set<string>();
      let NextToken: string | undefined;
      do {
        const page = await this.ec2.send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: "availability-zone",
            Filters: [{ Name: "instance-type", Values: [instanceType] }],
            NextToken,
          }),
        );
        for (const offering of page.InstanceTypeOfferings ?? []) if (offering.Location) zones.add(offering.Location);
        NextToken = page.NextToken;
      } while (NextToken);
      return [...zones].sort();
    });
  }

  ec2QuotaValue(quotaCode: string) {
    return fetched(async () => {
      const answer = await this.quotas.send(
        new GetServiceQuotaCommand({ ServiceCode: EC2_SERVICE_CODE, QuotaCode: quotaCode }),
      );
      if (answer.Quota?.Value === undefined) throw new Error(`Service Quotas returned no value for ${quotaCode}`);
      return answer.Quota.Value;
    });
  }

  hostedZone(id: string) {
    return fetched(async () => {
      const answer = await this.route53.send(new GetHostedZoneCommand({ Id: id }));
      return zoneFromApi(answer.HostedZone ?? {});
    });
  }

  hostedZonesNamed(dnsName: string) {
    return fetched(async () => {
      // The list is sorted by name and starts at `dnsName`; zones of the same name come first.
      const answer = await this.route53.send(new ListHostedZonesByNameCommand({ DNSName: dnsName, MaxItems: 10 }));
      return (answer.HostedZones ?? []).map(zoneFromApi).filter((zone) => zone.name === dnsName);
    });
  }

  async ecrImage(repository: string, image: { tag?: string; digest?: string }): Promise<Fetched<ImagePresence>> {
    const imageId = image.digest ? { imageDigest: image.digest } : { imageTag: image.tag };
    const answer = await fetched(() =>
      this.ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [imageId] })),
    );
    if (answer.ok) return { ok: true, value: (answer.value.imageDetails ?? []).length > 0 ? "present" : "no-image" };
    if (answer.error.code === "ImageNotFoundException") return { ok: true, value: "no-image" };
    if (answer.error.code === "RepositoryNotFoundException") return { ok: true, value: "no-repository" };
    return answer;
  }

  close(): void {
    for (const client of [this.sts, this.iam, this.ec2, this.quotas, this.route53, this.ecr]) client.destroy();
  }
}
