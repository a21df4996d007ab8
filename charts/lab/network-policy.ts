/**
 * The learner namespace's NetworkPolicy, for the lab and the learner's runner Jobs alike:
 * - ingress only from the gateway's proxy pods, to JupyterLab's port; nothing from other
 *   learners, the controller or anywhere else;
 * - egress to cluster DNS, to the lab-controller API, and to public addresses only: private
 *   ranges (so other learners' pods, nodes and VPC services) and the instance metadata service
 *   are excluded. The EKS Pod Identity agent (169.254.170.23) stays reachable for runner Jobs.
 * The EKS VPC CNI enforces it only when its network policy support is switched on.
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { CONTROLLER_SERVICE, learnerNamespace, SYSTEM_NAMESPACE } from "../names";
import { LAB_PORT, type LabOptions, labLabels } from "./lab-options";

/** The cloud metadata endpoint (IMDS); a pod that reaches it could take the node's credentials. */
export const METADATA_CIDR = "169.254.169.254/32";

/** Private and shared address ranges that labs may not reach (RFC 1918, RFC 6598 carrier-grade NAT). */
export const PRIVATE_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] as const;

/** Label every namespace carries with its own name (set by Kubernetes since 1.22). */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The NetworkPolicy `lab-isolation` of the learner's namespace. */
export function labNetworkPolicy(options: LabOptions): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "lab-isolation", namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: options.platform.gatewayProxyNamespace } } },
          ],
          ports: [{ protocol: "TCP", port: LAB_PORT }],
        },
      ],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        {
          to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: SYSTEM_NAMESPACE } } }],
          ports: [{ protocol: "TCP", port: CONTROLLER_SERVICE.port }],
        },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_CIDRS, METADATA_CIDR] } }] },
      ],
    },
  };
}
