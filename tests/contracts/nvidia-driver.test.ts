/**
 * Contract: the CUDA runtime in labkit's images runs on the driver of the GPU nodes' AMI.
 *
 * Rules: awslabs/amazon-eks-ami templates/al2023/variables-default.json
 * (`nvidia_driver_major_version: "580"`; 580 in the AMIs of Kubernetes 1.32+ since Nov 2025);
 * CUDA Toolkit release notes, minor-version compatibility: CUDA 12.x needs a driver ≥ 525.60.13,
 * CUDA 13.x ≥ 580. The CUDA version is read from the real torch that images/requirements.txt
 * installs (the test venv installs the same pinned wheel from PyPI).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AMI_NVIDIA_DRIVER_MAJOR, cudaRunsOnDriver } from "../../catalog/nvidia-driver";
import { gpuNodeGroupArgs } from "../../infra/platform/node-groups";
import { runProcessSync } from "../../lib/run-process";
import { REPO_ROOT } from "../harness/run-cli";
import { exampleCohort } from "../infra/example-cohort";

const PYTHON = join(REPO_ROOT, ".venv", "bin", "python");

describe("the driver/CUDA pairing", () => {
  it("puts GPU nodes on the AL2023 NVIDIA AMI, whose driver is the one recorded", () => {
    const args = gpuNodeGroupArgs(exampleCohort().gpuPools[0], {
      clusterName: "c",
      nodeRoleArn: "r",
      subnetIds: [],
      launchTemplateId: "lt",
      tags: {},
    });
    expect(args.amiType).toBe("AL2023_x86_64_NVIDIA");
    expect(AMI_NVIDIA_DRIVER_MAJOR).toBe(580);
  });

  it("pins the torch whose CUDA runtime the AMI's driver runs (read from the installed wheel)", () => {
    const pinned = /^torch==(.+)$/m.exec(readFileSync(join(REPO_ROOT, "images", "requirements.txt"), "utf8"))?.[1];
    const [version, cuda] = runProcessSync(PYTHON, [
      "-c",
      "import torch; print(torch.__version__); print(torch.version.cuda)",
    ])
      .stdout.trim()
      .split("\n");
    expect(version.split("+")[0]).toBe(pinned);
    expect(cuda, "the pinned torch is a CUDA build").toMatch(/^\d+\.\d+$/);
    expect(cudaRunsOnDriver(cuda, AMI_NVIDIA_DRIVER_MAJOR), `CUDA ${cuda} on driver ${AMI_NVIDIA_DRIVER_MAJOR}`).toBe(
      true,
    );
  });

  it("would refuse a CUDA 13 build on a 570 driver (the AMIs before November 2025)", () => {
    expect(cudaRunsOnDriver("13.2", 570)).toBe(false);
    expect(cudaRunsOnDriver("12.8", 570)).toBe(true);
    expect(cudaRunsOnDriver("14.0", 999)).toBe(false);
  });
});
