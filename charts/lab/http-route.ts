/**
 * The learner's route on the cohort's gateway: `<learner>.<labsDomain>/u/<learner>/` → the lab
 * Service. With a domain the route answers only for the learner's own host, never the
 * dashboard's, so the lab's pages run on an origin of their own. Gateway API path prefixes
 * match whole segments, so `/u/ada/` never matches `/u/adam/`. Without a domain (`insecure: true`)
 * every host reaches it, and the path alone separates labs.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { gatewayRoute } from "../gateway-route";
import { learnerNamespace, learnerPath } from "../names";
import { LAB_NAME, LAB_PORT, type LabOptions, labLabels } from "./lab-options";

/** The HTTPRoute `lab` in the learner's namespace, attached to `platform.gateway`. */
export function labHttpRoute(options: LabOptions): IHTTPRoute {
  return gatewayRoute({
    name: LAB_NAME,
    namespace: learnerNamespace(options.learnerId),
    labels: labLabels(options),
    gateway: options.platform.gateway,
    hostname: options.hostname,
    tls: options.hostname !== undefined,
    pathPrefixes: [learnerPath(options.learnerId)],
    service: { name: LAB_NAME, port: LAB_PORT },
  });
}
