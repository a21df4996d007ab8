/** Policy: a GPU node group uses the NVIDIA AL2023 AMI and carries the GPU taint and label. */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { GPU_NODE_LABEL, GPU_NODE_TAINT } from "../../charts/names";

export const gpuNodeGroupPolicy: ResourceValidationPolicy = {
  name: "labkit-gpu-node-group",
  description:
    "GPU node groups use AL2023_x86_64_NVIDIA, are tainted nvidia.com/gpu=true:NoSchedule and labelled gpu=on.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.eks.NodeGroup, (group, _args, reportViolation) => {
    const isGpu =
      group.labels?.[GPU_NODE_LABEL.key] === GPU_NODE_LABEL.value || (group.amiType ?? "").includes("NVIDIA");
    if (!isGpu) return;
    if (group.amiType !== "AL2023_x86_64_NVIDIA") {
      reportViolation(
        `GPU node group uses amiType ${group.amiType ?? "(default)"}; use AL2023_x86_64_NVIDIA (drivers and toolkit included)`,
      );
    }
    if (group.labels?.[GPU_NODE_LABEL.key] !== GPU_NODE_LABEL.value) {
      reportViolation(
        `GPU node group lacks the label ${GPU_NODE_LABEL.key}=${GPU_NODE_LABEL.value} that HAMi's device plugin selects`,
      );
    }
    const tainted = (group.taints ?? []).some(
      (t) => t.key === GPU_NODE_TAINT.key && t.value === GPU_NODE_TAINT.value && t.effect === "NO_SCHEDULE",
    );
    if (!tainted) {
      reportViolation(
        `GPU node group lacks the taint ${GPU_NODE_TAINT.key}=${GPU_NODE_TAINT.value}:${GPU_NODE_TAINT.effect}; without it CPU pods fill the GPU nodes`,
      );
    }
  }),
};
