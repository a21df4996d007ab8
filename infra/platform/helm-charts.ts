import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Every Helm chart labkit installs, pinned to one version. Bump a version here and nowhere else;
 * `tests/infra` fails if a release is created without a pinned version.
 */

/** A chart: where it lives, which version, and where that version was taken from. */
export interface PinnedChart {
  /** Chart name in its repository, or a full `oci://` reference. */
  readonly chart: string;
  /** HTTP(S) Helm repository; absent for OCI charts. */
  readonly repo?: string;
  /** Exact chart version. */
  readonly version: string;
}

/**
 * HAMi (CNCF sandbox): GPU memory slicing with a scheduler extender and an in-container limiter.
 * Source: https://github.com/Project-HAMi/HAMi charts/hami (values: global.imageTag v2.10.0),
 * repository https://project-hami.github.io/HAMi/.
 */
export const HAMI_CHART: PinnedChart = {
  chart: "hami",
  repo: "https://project-hami.github.io/HAMi/",
  version: "2.10.0",
};

/**
 * NVIDIA's Kubernetes device plugin, for pools that give each run a whole GPU.
 * Source: https://github.com/NVIDIA/k8s-device-plugin releases, repository https://nvidia.github.io/k8s-device-plugin.
 */
export const NVIDIA_DEVICE_PLUGIN_CHART: PinnedChart = {
  chart: "nvidia-device-plugin",
  repo: "https://nvidia.github.io/k8s-device-plugin",
  version: "0.17.1",
};

/**
 * Envoy Gateway (Gateway API implementation; websocket upgrades are on by default for HTTPRoutes,
 * envoyproxy/gateway PR #867). Source: https://gateway.envoyproxy.io install docs, OCI chart on Docker Hub.
 */
export const ENVOY_GATEWAY_CHART: PinnedChart = {
  chart: "oci://docker.io/envoyproxy/gateway-helm",
  version: "v1.5.0",
};

/**
 * How long Pulumi waits for one release's objects to become ready, seconds. Pulumi's default is
 * 300 (pulumi-kubernetes provider/pkg/provider/helm_release.go `defaultTimeoutSeconds`), but the
 * device plugins' DaemonSets become ready only once the GPU nodes, which join in parallel, have
 * booted the NVIDIA AMI (often 5–10 minutes) and the gateway's proxy waits for the system nodes.
 */
export const HELM_RELEASE_TIMEOUT_SECONDS = 1200;

/**
 * A Helm release's arguments for a pinned chart (pure). Not `atomic`: Helm's atomic install purges
 * the release when the wait times out, so a slow GPU node would roll back a working install; a
 * release that is not ready in time stays in place and the next `pulumi up` picks it up.
 */
export function pinnedReleaseArgs(
  chart: PinnedChart,
  namespace: pulumi.Input<string>,
  values: Record<string, unknown>,
): k8s.helm.v3.ReleaseArgs {
  return {
    chart: chart.chart,
    version: chart.version,
    ...(chart.repo ? { repositoryOpts: { repo: chart.repo } } : {}),
    namespace,
    values,
    atomic: false,
    timeout: HELM_RELEASE_TIMEOUT_SECONDS,
  };
}

/** Every pinned chart, for tests and the plan. */
export const PINNED_CHARTS: readonly PinnedChart[] = [HAMI_CHART, NVIDIA_DEVICE_PLUGIN_CHART, ENVOY_GATEWAY_CHART];

/**
 * kube-scheduler image HAMi runs next to its extender; its minor version must match the cluster's
 * (HAMi install docs). Taken from the Kubernetes project's registry, registry.k8s.io.
 */
export function kubeSchedulerImage(kubernetesVersion: string): { registry: string; repository: string; tag: string } {
  return { registry: "registry.k8s.io", repository: "kube-scheduler", tag: `v${kubernetesVersion}.0` };
}
