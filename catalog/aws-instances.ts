/**
 * Facts about the EC2 instance types a cohort can use, and what they cost.
 *
 * Prices: Amazon EC2 On-Demand pricing, US East (N. Virginia), Linux, per hour, as listed on
 * AWS's public EC2 pricing pages (recorded 2026-11; P4d/P5 reflect AWS's June 2025 price cut).
 * Other regions cost 0–25% more; a cohort can override any price with
 * `gpuPools[].priceUsdPerHour`. Spot prices move every few minutes, so the plan uses a typical
 * discount (`SPOT_PRICE_FRACTION`) and says so.
 *
 * GPU memory: what `nvidia-smi` reports as total memory for one GPU (MiB), which is what a
 * scheduler can hand out; it is a little below the marketing figure (an "L40S 48 GB" shows
 * 46068 MiB). Sources: NVIDIA's product briefs and AWS's accelerated-computing instance table.
 */

export const PRICE_TABLE_DATE = "2026-11";
export const PRICE_TABLE_SOURCE =
  "Amazon EC2 On-Demand pricing, us-east-1, Linux (public AWS pricing pages), recorded 2026-11";

/** Spot usually trades at 30–70% below on-demand for these families; the plan assumes 60% of on-demand. */
export const SPOT_PRICE_FRACTION = 0.6;

/** Which GPU an instance carries. */
export interface GpuModel {
  /** Product name as `nvidia-smi` shows it, shortened. */
  readonly product: string;
  /** Memory of one GPU, MiB, as `nvidia-smi` reports it. */
  readonly memoryMiB: number;
  /** MIG profiles this GPU supports (empty when it has no MIG). */
  readonly migProfiles: readonly MigProfile[];
  /** Dense bf16 tensor throughput, TFLOP/s (from NVIDIA's data sheets), for run-time estimates. */
  readonly bf16Tflops: number;
}

/** One MIG slice type: its name and the memory it gets. */
export interface MigProfile {
  readonly name: string;
  readonly memoryMiB: number;
  /** How many of this profile fit on one GPU. */
  readonly perGpu: number;
}

export const GPUS = {
  T4: { product: "Tesla T4", memoryMiB: 15360, migProfiles: [], bf16Tflops: 65 },
  A10G: { product: "NVIDIA A10G", memoryMiB: 23028, migProfiles: [], bf16Tflops: 70 },
  L4: { product: "NVIDIA L4", memoryMiB: 23034, migProfiles: [], bf16Tflops: 121 },
  L40S: { product: "NVIDIA L40S", memoryMiB: 46068, migProfiles: [], bf16Tflops: 362 },
  A100_40GB: {
    product: "NVIDIA A100-SXM4-40GB",
    memoryMiB: 40960,
    migProfiles: [
      { name: "1g.5gb", memoryMiB: 4864, perGpu: 7 },
      { name: "2g.10gb", memoryMiB: 9984, perGpu: 3 },
      { name: "3g.20gb", memoryMiB: 19968, perGpu: 2 },
      { name: "7g.40gb", memoryMiB: 40192, perGpu: 1 },
    ],
    bf16Tflops: 312,
  },
  A100_80GB: {
    product: "NVIDIA A100-SXM4-80GB",
    memoryMiB: 81920,
    migProfiles: [
      { name: "1g.10gb", memoryMiB: 9728, perGpu: 7 },
      { name: "2g.20gb", memoryMiB: 19968, perGpu: 3 },
      { name: "3g.40gb", memoryMiB: 40192, perGpu: 2 },
      { name: "7g.80gb", memoryMiB: 80384, perGpu: 1 },
    ],
    bf16Tflops: 312,
  },
  H100: {
    product: "NVIDIA H100 80GB HBM3",
    memoryMiB: 81559,
    migProfiles: [
      { name: "1g.10gb", memoryMiB: 9856, perGpu: 7 },
      { name: "2g.20gb", memoryMiB: 20096, perGpu: 3 },
      { name: "3g.40gb", memoryMiB: 40320, perGpu: 2 },
      { name: "7g.80gb", memoryMiB: 80768, perGpu: 1 },
    ],
    bf16Tflops: 989,
  },
} as const satisfies Record<string, GpuModel>;

export type GpuKey = keyof typeof GPUS;

export interface InstanceType {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** GPUs on the instance (0 for CPU instances). */
  readonly gpuCount: number;
  readonly gpu?: GpuKey;
  /** On-demand price, USD per hour (see PRICE_TABLE_SOURCE). */
  readonly onDemandUsdPerHour: number;
}

const gpuInstance = (
  name: string,
  gpu: GpuKey,
  gpuCount: number,
  vcpus: number,
  memoryGiB: number,
  onDemandUsdPerHour: number,
): InstanceType => ({ name, gpu, gpuCount, vcpus, memoryGiB, onDemandUsdPerHour });

const cpuInstance = (name: string, vcpus: number, memoryGiB: number, onDemandUsdPerHour: number): InstanceType => ({
  name,
  gpuCount: 0,
  vcpus,
  memoryGiB,
  onDemandUsdPerHour,
});

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = Object.fromEntries(
  [
    gpuInstance("g4dn.xlarge", "T4", 1, 4, 16, 0.526),
    gpuInstance("g4dn.2xlarge", "T4", 1, 8, 32, 0.752),
    gpuInstance("g4dn.12xlarge", "T4", 4, 48, 192, 3.912),
    gpuInstance("g5.xlarge", "A10G", 1, 4, 16, 1.006),
    gpuInstance("g5.2xlarge", "A10G", 1, 8, 32, 1.212),
    gpuInstance("g5.12xlarge", "A10G", 4, 48, 192, 5.672),
    gpuInstance("g5.48xlarge", "A10G", 8, 192, 768, 16.288),
    gpuInstance("g6.xlarge", "L4", 1, 4, 16, 0.8048),
    gpuInstance("g6.2xlarge", "L4", 1, 8, 32, 0.9776),
    gpuInstance("g6.12xlarge", "L4", 4, 48, 192, 4.6016),
    gpuInstance("g6.48xlarge", "L4", 8, 192, 768, 13.3504),
    gpuInstance("g6e.xlarge", "L40S", 1, 4, 32, 1.861),
    gpuInstance("g6e.2xlarge", "L40S", 1, 8, 64, 2.24208),
    gpuInstance("g6e.12xlarge", "L40S", 4, 48, 384, 10.49264),
    gpuInstance("g6e.48xlarge", "L40S", 8, 192, 1536, 30.13118),
    gpuInstance("p4d.24xlarge", "A100_40GB", 8, 96, 1152, 21.96),
    gpuInstance("p4de.24xlarge", "A100_80GB", 8, 96, 1152, 27.45),
    gpuInstance("p5.48xlarge", "H100", 8, 192, 2048, 55.04),
    cpuInstance("m7i.large", 2, 8, 0.1008),
    cpuInstance("m7i.xlarge", 4, 16, 0.2016),
    cpuInstance("m7i.2xlarge", 8, 32, 0.4032),
    cpuInstance("m7i.4xlarge", 16, 64, 0.8064),
    cpuInstance("m7i.8xlarge", 32, 128, 1.6128),
    cpuInstance("m6i.xlarge", 4, 16, 0.192),
    cpuInstance("m6i.2xlarge", 8, 32, 0.384),
    cpuInstance("m6i.4xlarge", 16, 64, 0.768),
    cpuInstance("r7i.2xlarge", 8, 64, 0.5292),
  ].map((t) => [t.name, t]),
);

/** Fixed hourly costs that come with every cluster (USD/hour, us-east-1). */
export const PLATFORM_PRICES = {
  /** One NAT gateway, before data processing charges. */
  natGatewayUsdPerHour: 0.045,
  /** One Network Load Balancer, before LCU charges. */
  networkLoadBalancerUsdPerHour: 0.0225,
  /** EBS gp3, per GiB-month. */
  ebsGp3UsdPerGiBMonth: 0.08,
  /** EFS Standard with elastic throughput, per GiB-month. */
  efsStandardUsdPerGiBMonth: 0.3,
  /** S3 Standard, per GiB-month. */
  s3StandardUsdPerGiBMonth: 0.023,
} as const;

/** Look up an instance type; `undefined` when labkit has no facts about it. */
export function findInstanceType(name: string): InstanceType | undefined {
  return INSTANCE_TYPES[name];
}

/** The GPU model of a GPU instance type, or undefined for CPU or unknown types. */
export function gpuOf(instanceTypeName: string): GpuModel | undefined {
  const type = INSTANCE_TYPES[instanceTypeName];
  return type?.gpu ? GPUS[type.gpu] : undefined;
}

/** Names of the GPU instance types labkit knows, for error messages. */
export function knownGpuInstanceTypes(): string[] {
  return Object.values(INSTANCE_TYPES)
    .filter((t) => t.gpuCount > 0)
    .map((t) => t.name);
}

/** Names of the CPU instance types labkit knows, for error messages. */
export function knownCpuInstanceTypes(): string[] {
  return Object.values(INSTANCE_TYPES)
    .filter((t) => t.gpuCount === 0)
    .map((t) => t.name);
}
