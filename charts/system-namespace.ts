/**
 * The `labkit-system` Namespace (the lab-controller, the warm-up Job, the image pre-pull), under
 * the `restricted` Pod Security Standard like the learners' namespaces. Pulumi (CohortApps) and
 * `labkit render` both create it from here.
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { RESTRICTED_POD_SECURITY_LABELS } from "./lab/namespace";
import { commonLabels, SYSTEM_NAMESPACE } from "./names";

export function systemNamespaceManifest(cohortName: string): INamespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: SYSTEM_NAMESPACE,
      labels: { ...commonLabels(cohortName, "system"), ...RESTRICTED_POD_SECURITY_LABELS },
    },
  };
}
