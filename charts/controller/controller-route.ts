/**
 * The route of the instructor dashboard (`/dashboard/`) and the API (`/api/`) from the cohort's
 * Gateway to the controller's Service, on the cohort's `domain.name` only: the labs have hosts of
 * their own (`<learner>.<labsDomain>`). Learners' notebooks reach the API in the cluster instead.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { type GatewayRef, gatewayRoute } from "../gateway-route";
import { API_PATH, CONTROLLER_SERVICE, commonLabels, DASHBOARD_PATH, SYSTEM_NAMESPACE } from "../names";

/** Where the route attaches and which host it answers for. */
export interface ControllerRouteOptions {
  /** Cohort name, for labels. */
  readonly cohortName: string;
  /** The Gateway (and listener) the route attaches to, e.g. `labkit` in `labkit-gateway`. */
  readonly gateway: GatewayRef;
  /**
   * Host name the route answers for: the cohort's `domain.name`, never a lab's host. Default: any
   * host the listener accepts (a cohort without a domain).
   */
  readonly hostname?: string;
  /**
   * Whether clients reach the gateway over TLS, so the controller sees `X-Forwarded-Proto: https`.
   * Default: true with a hostname (a domain always comes with its certificate), else false.
   */
  readonly tls?: boolean;
}

/** The HTTPRoute `lab-controller` in `labkit-system`: `/dashboard/` and `/api/` → `lab-controller:8080`. */
export function controllerRoute(options: ControllerRouteOptions): IHTTPRoute {
  return gatewayRoute({
    name: CONTROLLER_SERVICE.name,
    namespace: SYSTEM_NAMESPACE,
    labels: commonLabels(options.cohortName, "system"),
    gateway: options.gateway,
    hostname: options.hostname,
    tls: options.tls ?? options.hostname !== undefined,
    pathPrefixes: [DASHBOARD_PATH, API_PATH],
    service: CONTROLLER_SERVICE,
  });
}
