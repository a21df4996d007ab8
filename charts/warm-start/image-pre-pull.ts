/**
 * Image pre-pull: a DaemonSet whose init container starts the image once on every node it
 * targets (so the kubelet pulls it before class), then idles in a pause container. A lab or a
 * runner Job scheduled later starts without a multi-GiB pull at 9am.
 */
import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { labPlacement, restrictedContainerSecurity } from "../lab/stateful-set";
import { commonLabels, LABELS, SYSTEM_NAMESPACE } from "../names";

/** The pause image the DaemonSet idles in (tiny; from the Kubernetes project's registry). */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";

/** What to pre-pull where. */
export interface ImagePrePullOptions {
  readonly cohortName: string;
  /** DaemonSet name, e.g. `pre-pull-lab`. */
  readonly name: string;
  /** The image to pull. */
  readonly image: string;
  /** `gpu`: GPU nodes (tolerating their taint); `cpu`: every node without a GPU. */
  readonly nodes: "gpu" | "cpu";
}

/** The pre-pull DaemonSet in `labkit-system`. */
export function imagePrePullDaemonSet(options: ImagePrePullOptions): IDaemonSet {
  const selector = { [LABELS.name]: options.name };
  const tiny = { cpu: "10m", memory: "16Mi" };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: {
      name: options.name,
      namespace: SYSTEM_NAMESPACE,
      labels: { ...commonLabels(options.cohortName, "warm-start"), ...selector },
    },
    spec: {
      selector: { matchLabels: selector },
      // Pull on many nodes at once: the registry, not the rollout, is the limit.
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } },
      template: {
        metadata: { labels: { ...commonLabels(options.cohortName, "warm-start"), ...selector } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          terminationGracePeriodSeconds: 1,
          initContainers: [
            {
              name: "pull",
              image: options.image,
              command: ["sh", "-c", "true"],
              resources: { requests: tiny, limits: { cpu: "100m", memory: "64Mi" } },
              securityContext: restrictedContainerSecurity(true),
            },
          ],
          containers: [
            {
              name: "pause",
              image: PAUSE_IMAGE,
              resources: { requests: tiny, limits: tiny },
              securityContext: restrictedContainerSecurity(true),
            },
          ],
          ...labPlacement(options.nodes === "gpu"),
        },
      },
    },
  };
}
