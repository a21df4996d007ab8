/**
 * A small evaluator of standard Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), for
 * asserting isolation invariants on the rendered policies: a connection is allowed when the
 * source pod's egress and the destination pod's ingress both allow it; a pod no policy selects
 * (for that direction) allows everything. matchLabels only (labkit's policies use no expressions).
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";

/** A pod: its namespace (with the namespace's labels), its labels and IP. */
export interface Pod {
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip: string;
}
/** An address outside the cluster's pods (metadata service, internet, node). */
export interface External {
  readonly ip: string;
}
export type Endpoint = Pod | External;

function isPod(endpoint: Endpoint): endpoint is Pod {
  return "namespace" in endpoint;
}

function matches(
  selector: { matchLabels?: Record<string, string> } | undefined,
  labels: Readonly<Record<string, string>>,
) {
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Whether an IPv4 address lies in a CIDR block. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base) / size) * size;
  const value = ipToInt(ip);
  return value >= start && value < start + size;
}

function peerMatches(peer: INetworkPolicyPeer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  }
  if (!isPod(other)) return false;
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, other.namespaceLabels)
    : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? matches(peer.podSelector, other.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(ports: INetworkPolicyPort[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port));
}

function selecting(policies: readonly INetworkPolicy[], pod: Pod, type: "Ingress" | "Egress") {
  return policies.filter(
    (p) =>
      p.metadata?.namespace === pod.namespace &&
      matches(p.spec?.podSelector, pod.labels) &&
      (p.spec?.policyTypes ?? ["Ingress"]).includes(type),
  );
}

/** Whether `from` may open a connection to `to` on `port`/`protocol` under `policies`. */
export function connectionAllowed(
  policies: readonly INetworkPolicy[],
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: "TCP" | "UDP" = "TCP",
): boolean {
  if (isPod(from)) {
    const egress = selecting(policies, from, "Egress");
    const ok =
      egress.length === 0 ||
      egress.some((p) =>
        (p.spec?.egress ?? []).some(
          (rule) =>
            (!rule.to || rule.to.length === 0 || rule.to.some((peer) => peerMatches(peer, from.namespace, to))) &&
            portMatches(rule.ports, port, protocol),
        ),
      );
    if (!ok) return false;
  }
  if (isPod(to)) {
    const ingress = selecting(policies, to, "Ingress");
    return (
      ingress.length === 0 ||
      ingress.some((p) =>
        (p.spec?.ingress ?? []).some(
          (rule) =>
            (!rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, to.namespace, from))) &&
            portMatches(rule.ports, port, protocol),
        ),
      )
    );
  }
  return true;
}
