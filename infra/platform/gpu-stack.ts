/**
 * The software that makes GPUs schedulable, chosen per pool's sharing mode: HAMi (memory slices)
 * on `hami` pools, NVIDIA's device plugin (whole GPUs, or MIG slices) on `exclusive` and `mig`
 * pools. Each runs only on nodes whose `labkit.dev/gpu-sharing` label names its mode, so the two
 * never run on the same node.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, GPU_NODE_TAINT } from "../../charts/names";
import type { GpuPool, SharingMode } from "../../schema/cohort";
import { HAMI_CHART, kubeSchedulerImage, NVIDIA_DEVICE_PLUGIN_CHART, pinnedReleaseArgs } from "./helm-charts";
import { GPU_SHARING_LABEL } from "./node-groups";

/** Namespace of HAMi and the NVIDIA device plugin (HAMi's install docs use kube-system). */
export const GPU_STACK_NAMESPACE = "kube-system";

/** Toleration of the GPU taint, for the device plugins' DaemonSets. */
export const GPU_TOLERATION = { key: GPU_NODE_TAINT.key, operator: "Exists", effect: GPU_NODE_TAINT.effect } as const;

/** Which sharing modes each device stack serves (pure). */
export const DEVICE_STACK_MODES = {
  hami: ["hami"],
  nvidiaDevicePlugin: ["exclusive", "mig"],
} as const satisfies Record<string, readonly SharingMode[]>;

/** HAMi's Helm values (pure): device plugin only on `hami` GPU nodes, tolerating the GPU taint; kube-scheduler from registry.k8s.io. */
export function hamiValues(kubernetesVersion: string) {
  return {
    scheduler: { kubeScheduler: { image: kubeSchedulerImage(kubernetesVersion) } },
    devicePlugin: {
      nvidiaNodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value, [GPU_SHARING_LABEL]: "hami" },
      tolerations: [GPU_TOLERATION],
    },
  };
}

/** The NVIDIA device plugin's Helm values (pure): only on `exclusive`/`mig` GPU nodes, tolerating the GPU taint. */
export function nvidiaDevicePluginValues(pools: readonly GpuPool[]) {
  const usesMig = pools.some((p) => p.sharing === "mig");
  return {
    // Replaces the chart's default affinity (which waits for NFD labels labkit does not install).
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: GPU_SHARING_LABEL, operator: "In", values: [...DEVICE_STACK_MODES.nvidiaDevicePlugin] },
              ],
            },
          ],
        },
      },
    },
    tolerations: [GPU_TOLERATION],
    // `mixed` advertises MIG slices as nvidia.com/mig-<profile>; GPUs without MIG stay nvidia.com/gpu.
    migStrategy: usesMig ? "mixed" : "none",
  };
}

export interface GpuStackArgs {
  readonly gpuPools: readonly GpuPool[];
  /** Kubernetes minor version of the cluster, e.g. `1.33` (HAMi's kube-scheduler must match it). */
  readonly kubernetesVersion: string;
}

/** The GPU stack component. */
export class GpuStack extends pulumi.ComponentResource {
  /** The HAMi release, when a pool uses `hami`. */
  public readonly hami?: k8s.helm.v3.Release;
  /** The NVIDIA device plugin release, when a pool uses `exclusive` or `mig`. */
  public readonly nvidiaDevicePlugin?: k8s.helm.v3.Release;

  constructor(name: string, args: GpuStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:GpuStack", name, {}, opts);
    const created = createGpuStack(name, args, this);
    this.hami = created.hami;
    this.nvidiaDevicePlugin = created.nvidiaDevicePlugin;
    this.registerOutputs({});
  }
}

/** Create the releases the pools need as children of `parent` (the provider comes from the parent's options). */
export function createGpuStack(name: string, args: GpuStackArgs, parent: pulumi.Resource) {
  const uses = (modes: readonly SharingMode[]) => args.gpuPools.some((p) => modes.includes(p.sharing));
  const hami = uses(DEVICE_STACK_MODES.hami)
    ? new k8s.helm.v3.Release(
        `${name}-hami`,
        pinnedReleaseArgs(HAMI_CHART, GPU_STACK_NAMESPACE, hamiValues(args.kubernetesVersion)),
        {
          parent,
        },
      )
    : undefined;
  const nvidiaDevicePlugin = uses(DEVICE_STACK_MODES.nvidiaDevicePlugin)
    ? new k8s.helm.v3.Release(
        `${name}-nvidia-device-plugin`,
        pinnedReleaseArgs(NVIDIA_DEVICE_PLUGIN_CHART, GPU_STACK_NAMESPACE, nvidiaDevicePluginValues(args.gpuPools)),
        { parent },
      )
    : undefined;
  return { hami, nvidiaDevicePlugin };
}
