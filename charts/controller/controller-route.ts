/**
 * The route of the instructor dashboard (`/dashboard/`) and the API (`/api/`) from the cohort's
 * Gateway to the controller's Service. Learners' notebooks reach the API through it too.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { API_PATH, CONTROLLER_SERVICE, commonLabels, DASHBOARD_PATH, SYSTEM_NAMESPACE } from "../names";

/** Where the route attaches and which host it answers for. */
export interface ControllerRouteOptions {
  /** Cohort name, for labels. */
  readonly cohortName: string;
  /** The Gateway (and listener) the route attaches to, e.g. `labkit` in `labkit-gateway`. */
  readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName?: string };
  /** Host name the route answers for. Default: any host the listener accepts. */
  readonly hostname?: string;
}

/** The HTTPRoute `lab-controller` in `labkit-system`: `/dashboard/` and `/api/` → `lab-controller:8080`. */
export function controllerRoute(options: ControllerRouteOptions): IHTTPRoute {
  const { gateway } = options;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: CONTROLLER_SERVICE.name,
      namespace: SYSTEM_NAMESPACE,
      labels: commonLabels(options.cohortName, "system"),
    },
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
          matches: [DASHBOARD_PATH, API_PATH].map((value) => ({ path: { type: "PathPrefix", value } })),
          backendRefs: [{ kind: "Service", name: CONTROLLER_SERVICE.name, port: CONTROLLER_SERVICE.port }],
        },
      ],
    },
  };
}
