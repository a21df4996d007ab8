/**
 * The route of the instructor dashboard (`/dashboard/`) and the API (`/api/`) from the cohort's
 * Gateway to the controller's Service. Learners' notebooks reach the API through it too.
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
  /** Host name the route answers for. Default: any host the listener accepts. */
  readonly hostname?: string;
}

/** The HTTPRoute `lab-controller` in `labkit-system`: `/dashboard/` and `/api/` → `lab-controller:8080`. */
export function controllerRoute(options: ControllerRouteOptions): IHTTPRoute {
  return gatewayRoute({
    name: CONTROLLER_SERVICE.name,
    namespace: SYSTEM_NAMESPACE,
    labels: commonLabels(options.cohortName, "system"),
    gateway: options.gateway,
    hostname: options.hostname,
    pathPrefixes: [DASHBOARD_PATH, API_PATH],
    service: CONTROLLER_SERVICE,
  });
}
