/**
 * A kubeconfig for an EKS cluster, built from the cluster's endpoint and CA (not from
 * `eks.Cluster.getKubeconfig()`, which fails under Pulumi's mocks). It authenticates with
 * `aws eks get-token`, so whoever runs `pulumi up` or `kubectl` uses their own AWS identity.
 */

export interface KubeconfigInputs {
  /** EKS cluster name. */
  readonly clusterName: string;
  /** API server URL, `https://...`. */
  readonly endpoint: string;
  /** Base64 PEM of the cluster's certificate authority. */
  readonly certificateAuthorityData: string;
  /** AWS region of the cluster. */
  readonly region: string;
}

/** The kubeconfig document (an object; `JSON.stringify` it for the Kubernetes provider). */
export function buildKubeconfig(inputs: KubeconfigInputs): Record<string, unknown> {
  const name = inputs.clusterName;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name, cluster: { server: inputs.endpoint, "certificate-authority-data": inputs.certificateAuthorityData } },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", name, "--region", inputs.region, "--output", "json"],
            interactiveMode: "Never",
          },
        },
      },
    ],
  };
}
