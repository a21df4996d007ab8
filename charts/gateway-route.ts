/**
 * An HTTPRoute from the cohort's Gateway to one Service, for a set of path prefixes. The labs
 * (`/u/<learner>/`) and the lab-controller (`/dashboard/`, `/api/`) both attach this way.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";

/** The Gateway (and listener) a route attaches to, e.g. `labkit` in `labkit-gateway`. */
export interface GatewayRef {
  readonly name: string;
  readonly namespace: string;
  readonly sectionName?: string;
}

export interface GatewayRouteOptions {
  /** Name of the route, and its namespace (the Service's). */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly gateway: GatewayRef;
  /** Host name the route answers for. Default: any host the listener accepts. */
  readonly hostname?: string;
  /** Path prefixes sent to the Service; Gateway API prefixes match whole segments. */
  readonly pathPrefixes: readonly string[];
  readonly service: { readonly name: string; readonly port: number };
}

export function gatewayRoute(options: GatewayRouteOptions): IHTTPRoute {
  const { gateway } = options;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    spec: {
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: gateway.name,
          namespace: gateway.namespace,
          ...(gateway.sectionName ? { sectionName: gateway.sectionName } : {}),
        },
      ],
      ...(options.hostname ? { hostnames: [options.hostname] } : {}),
      rules: [
        {
          matches: options.pathPrefixes.map((value) => ({ path: { type: "PathPrefix", value } })),
          backendRefs: [{ kind: "Service", name: options.service.name, port: options.service.port }],
        },
      ],
    },
  };
}
