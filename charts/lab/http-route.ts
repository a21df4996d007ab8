/**
 * The learner's route on the cohort's gateway: `/u/<learner>/` → the lab Service. Gateway API
 * path prefixes match whole segments, so `/u/ada/` never matches `/u/adam/`.
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { learnerNamespace, learnerPath } from "../names";
import { LAB_NAME, LAB_PORT, type LabOptions, labLabels } from "./lab-options";

/** The HTTPRoute `lab` in the learner's namespace, attached to `platform.gateway`. */
export function labHttpRoute(options: LabOptions): IHTTPRoute {
  const { gateway } = options.platform;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: LAB_NAME, namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
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
          matches: [{ path: { type: "PathPrefix", value: learnerPath(options.learnerId) } }],
          backendRefs: [{ kind: "Service", name: LAB_NAME, port: LAB_PORT }],
        },
      ],
    },
  };
}
