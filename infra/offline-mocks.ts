/**
 * Pulumi mocks that stand in for AWS and Kubernetes when the program runs offline (`labkit plan`
 * and tests). Each resource echoes its inputs and adds the few outputs the program reads (ids,
 * ARNs, subnet ids, the cluster's endpoint, the load balancer's host name), shaped like the
 * real providers' outputs. Nothing here decides what gets created; the program does.
 */
import type * as pulumi from "@pulumi/pulumi";

const ACCOUNT = "123456789012";

/** Fake but well-formed outputs for a resource type, from its name and inputs. */
function outputsFor(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "awsx:ec2:Vpc": {
      const zones = (inputs.numberOfAvailabilityZones as number | undefined) ?? 2;
      const ids = (kind: string) => Array.from({ length: zones }, (_, i) => `subnet-${kind}-${name}-${i}`);
      return { vpcId: `vpc-${name}`, privateSubnetIds: ids("private"), publicSubnetIds: ids("public") };
    }
    case "eks:index:Cluster":
      return {
        eksCluster: {
          name: inputs.name,
          endpoint: `https://${String(inputs.name)}.gr7.eks.amazonaws.com`,
          certificateAuthority: { data: Buffer.from("offline-ca").toString("base64") },
        },
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.example/id/${name}`,
      };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name };
    case "aws:s3/bucket:Bucket":
      return { bucket: name, arn: `arn:aws:s3:::${name}` };
    case "aws:eks/nodeGroup:NodeGroup":
      return {
        nodeGroupName: name,
        arn: `arn:aws:eks:region:${ACCOUNT}:nodegroup/${name}`,
        resources: [{ autoscalingGroups: [{ name: `eks-${name}-asg` }] }],
      };
    case "aws:acm/certificate:Certificate":
      return {
        arn: `arn:aws:acm:region:${ACCOUNT}:certificate/${name}`,
        // One option per name, as ACM lists them; `*.x` is validated with the record of `x`.
        domainValidationOptions: [
          inputs.domainName,
          ...((inputs.subjectAlternativeNames as string[] | undefined) ?? []),
        ].map((domainName) => ({
          domainName,
          resourceRecordName: `_validation.${String(domainName).replace(/^\*\./, "")}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: "_validation.acm-validations.aws.",
        })),
      };
    case "aws:route53/record:Record":
      return { fqdn: inputs.name };
    case "kubernetes:core/v1:Service":
      return { status: { loadBalancer: { ingress: [{ hostname: `${name}.elb.amazonaws.com` }] } } };
    case "random:index/randomPassword:RandomPassword":
      // Tokens are generated at deploy time; offline, a per-resource stand-in lets the token-hash file be built.
      return { result: `offline-${name}` };
    case "pulumi:pulumi:StackReference":
      return {
        outputs: {
          clusterName: "labkit-platform",
          kubeconfig: "{}",
          baseUrl: "http://platform.elb.amazonaws.com",
          modelCacheFileSystemId: "fs-platform",
        },
      };
    default:
      return {};
  }
}

/** Mocks for `pulumi.runtime.setMocks`: every resource gets an id `<name>-id` and plausible outputs. */
export function offlineMocks(): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
      return {
        id: args.id || `${args.name}-id`,
        state: { ...args.inputs, ...outputsFor(args.type, args.name, args.inputs) },
      };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      return args.inputs;
    },
  };
}
