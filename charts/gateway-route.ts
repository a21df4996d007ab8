/**
 * An HTTPRoute from the cohort's Gateway to one Service, for a set of path prefixes. The labs
 * (`/u/<learner>/`) and the lab-controller (`/dashboard/`, `/api/`) both attach this way.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";

type HTTPRouteFilter = NonNullable<NonNullable<NonNullable<IHTTPRoute["spec"]>["rules"]>[number]["filters"]>[number];

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
  /**
   * Host name the route answers for; Gateway API matches it exactly (a name without `*.`), so a
   * request for any other host never reaches the Service. Default: any host the listener accepts.
   */
  readonly hostname?: string;
  /**
   * Whether clients reach the gateway over TLS (terminated at the load balancer). Then the route
   * sets `X-Forwarded-Proto: https` for the Service: Envoy sets that header from its own
   * connection, which is plain TCP from the NLB, and would say `http`. Default false.
   */
  readonly tls?: boolean;
  /** Path prefixes sent to the Service; Gateway API prefixes match whole segments. */
  readonly pathPrefixes: readonly string[];
  readonly service: { readonly name: string; readonly port: number };
}

/**
 * The request timeout of every labkit route: `0s`, none. Without one Envoy Gateway (v1.5) sets no
 * route timeout and Envoy's default of 15 s applies to the whole response, which would cut the
 * dashboard's event streams, JupyterLab's long requests and large uploads and downloads after 15 s
 * (envoyproxy/gateway internal/xds/translator/route.go; site/content/en/v1.5/tasks/traffic/http-timeouts.md).
 * Gateway API says `0s` SHOULD disable the timeout (HTTPRouteTimeouts, standard since v1.2.0), and
 * Envoy Gateway turns it into route timeout 0, which Envoy reads as disabled. `backendRequest` is
 * left unset on purpose: Envoy Gateway v1.5 lets it override `request` when no retry is set.
 * Hung connections still end: Envoy's stream idle timeout (5 min by default) closes a stream with
 * no bytes, and every long-lived stream labkit serves sends a heartbeat well inside it (SSE every
 * 15 s, Jupyter WebSocket pings every 30 s). Pinned by tests/contracts/gateway.test.ts.
 */
export const ROUTE_REQUEST_TIMEOUT = "0s";

/**
 * The filter that tells a Service its clients used TLS. Behind the NLB's TLS listener Envoy sees
 * plain TCP, and for a client it does not trust it sets `X-Forwarded-Proto` "based on downstream
 * encryption level" (Envoy, HTTP header manipulation: x-forwarded-proto), i.e. `http`. The load
 * balancer has only its TLS port when a domain is set, so `https` is the truth. Gateway API's
 * `RequestHeaderModifier.set` overwrites the header (apis/v1/httproute_types.go, v1.3.0). Pinned by
 * tests/contracts/separate-origins.test.ts.
 */
export const FORWARDED_PROTO_HTTPS: HTTPRouteFilter = {
  type: "RequestHeaderModifier",
  requestHeaderModifier: { set: [{ name: "X-Forwarded-Proto", value: "https" }] },
};

/** An HTTPRoute from the cohort's Gateway to one Service, for the given hosts and path prefixes. */
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
          ...(options.tls ? { filters: [FORWARDED_PROTO_HTTPS] } : {}),
          backendRefs: [{ kind: "Service", name: options.service.name, port: options.service.port }],
          timeouts: { request: ROUTE_REQUEST_TIMEOUT },
        },
      ],
    },
  };
}
