/**
 * The NVIDIA driver the GPU nodes run and the CUDA the images need, so the pairing is one checked
 * fact rather than a hope. GPU node groups use EKS's AL2023 NVIDIA AMI (`AL2023_x86_64_NVIDIA`,
 * node-groups.ts), which installs the driver; the images bring their own CUDA runtime inside
 * PyPI's torch wheel (images/requirements.txt). CUDA's minor-version compatibility lets a
 * runtime of CUDA major N run on any driver of at least that major's minimum.
 *
 * Sources (pinned by tests/contracts/nvidia-driver.test.ts):
 * - awslabs/amazon-eks-ami templates/al2023/variables-default.json: `nvidia_driver_major_version: "580"`;
 *   580 in the AMIs of Kubernetes 1.34+ since release v20251023 (1.33: v20251029, 1.32: v20251108);
 *   v20260714 ships 580.159.03.
 * - CUDA Toolkit release notes, "CUDA Driver" tables: minor-version compatibility needs
 *   ≥ 525.60.13 for CUDA 12.x and ≥ 580 for CUDA 13.x.
 */

/** The driver major version of the AL2023 NVIDIA AMI for the Kubernetes versions labkit supports. */
export const AMI_NVIDIA_DRIVER_MAJOR = 580;

/** Smallest driver (major version) each CUDA major version runs on through minor-version compatibility. */
export const CUDA_MINIMUM_DRIVER_MAJOR: Readonly<Record<number, number>> = { 12: 525, 13: 580 };

/** Whether a CUDA runtime `cudaVersion` (e.g. `13.2`) runs on a driver of major `driverMajor`. */
export function cudaRunsOnDriver(cudaVersion: string, driverMajor: number): boolean {
  const major = Number(cudaVersion.split(".")[0]);
  const minimum = CUDA_MINIMUM_DRIVER_MAJOR[major];
  return minimum !== undefined && driverMajor >= minimum;
}
