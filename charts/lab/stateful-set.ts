/**
 * The learner's JupyterLab: a one-replica StatefulSet whose pod runs the command line of
 * `jupyterLabArgs`, with the learner's token from the Secret, a home volume and the shared
 * model cache (read-only). Restricted Pod Security: non-root, no privilege escalation, no
 * capabilities, RuntimeDefault seccomp, read-only root filesystem (writes go to the home
 * volume, `/tmp` and `/dev/shm`).
 */
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import { jupyterLabArgs, jupyterProbePath, WORKSHOP_DIR } from "../jupyter-command";
import { CONTROLLER_URL, GPU_NODE_LABEL, GPU_NODE_TAINT, LABELS, learnerNamespace } from "../names";
import { MODEL_CACHE_MOUNT } from "../runner-job";
import { LAB_NAME, LAB_PORT, type LabOptions, labLabels, labPodSelector } from "./lab-options";
import { MODEL_CACHE_CLAIM } from "./model-cache-claim";
import { LAB_TOKEN_SECRET } from "./token-secret";
import { WORKSHOP_COPY_SCRIPT, WORKSHOP_SOURCE_DIR } from "./workshop-content";

/** The learner's home inside the lab (the Jupyter Docker Stacks user `jovyan`). */
export const LAB_HOME = "/home/jovyan";

/** User and group the lab runs as: `jovyan` (1000) and `users` (100) of the Jupyter Docker Stacks. */
export const LAB_USER = { uid: 1000, gid: 100 } as const;

/** Where the shared model cache is mounted, read-only, as in runner Jobs; `HF_HOME` points here. */
export const MODEL_CACHE_MOUNT_PATH = MODEL_CACHE_MOUNT;

/** Name of the StatefulSet's volume claim template of the home volume (claim `home-lab-0`). */
export const LAB_HOME_VOLUME = "home";

/** The container security context of every labkit pod that learners' code runs in. */
export function restrictedContainerSecurity(readOnlyRootFilesystem: boolean): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    runAsUser: LAB_USER.uid,
    runAsGroup: LAB_USER.gid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Environment of the JupyterLab container: token, controller API, model cache, offline Hub. */
export function labEnv(options: LabOptions): NonNullable<IContainer["env"]> {
  const token = { secretKeyRef: { name: LAB_TOKEN_SECRET.name, key: LAB_TOKEN_SECRET.key } };
  return [
    { name: "JUPYTER_TOKEN", valueFrom: token },
    { name: "LABKIT_TOKEN", valueFrom: token },
    { name: "LABKIT_API_URL", value: CONTROLLER_URL },
    { name: "LABKIT_LEARNER", value: options.learnerId },
    { name: "HOME", value: LAB_HOME },
    { name: "HF_HOME", value: MODEL_CACHE_MOUNT_PATH },
    { name: "HF_HUB_OFFLINE", value: "1" },
    // The model cache is read-only: what the HF libraries write goes to the home volume.
    { name: "HF_DATASETS_CACHE", value: `${LAB_HOME}/.cache/huggingface/datasets` },
    { name: "HF_MODULES_CACHE", value: `${LAB_HOME}/.cache/huggingface/modules` },
    { name: "JUPYTER_RUNTIME_DIR", value: "/tmp/jupyter-runtime" },
  ];
}

/** Requests and limits of the JupyterLab container (equal: a lab is never throttled below its size). */
export function labResources(options: LabOptions): NonNullable<IContainer["resources"]> {
  const size: Record<string, string> = { cpu: String(options.cpu), memory: `${options.memoryGiB}Gi` };
  const gpu: Record<string, string> = {};
  if (options.gpu.kind === "hami") {
    gpu["nvidia.com/gpu"] = "1";
    gpu["nvidia.com/gpumem"] = String(options.gpu.memoryMiB);
  } else if (options.gpu.kind === "exclusive") {
    gpu["nvidia.com/gpu"] = "1";
  } else if (options.gpu.kind === "mig") {
    gpu[options.gpu.resourceName] = "1";
  }
  return { requests: { ...size, ...gpu }, limits: { ...size, ...gpu } };
}

/** Where a lab may run: GPU nodes (tolerating their taint) when it has a GPU, otherwise CPU nodes only. */
export function labPlacement(hasGpu: boolean): Pick<IPodSpec, "nodeSelector" | "tolerations" | "affinity"> {
  if (hasGpu) {
    return {
      nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
      tolerations: [
        { key: GPU_NODE_TAINT.key, operator: "Equal", value: GPU_NODE_TAINT.value, effect: GPU_NODE_TAINT.effect },
      ],
    };
  }
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: GPU_NODE_LABEL.key, operator: "NotIn", values: [GPU_NODE_LABEL.value] }] },
          ],
        },
      },
    },
  };
}

/** The learner's JupyterLab StatefulSet `lab`. */
export function labStatefulSet(options: LabOptions): IStatefulSet {
  const id = options.learnerId;
  const selector = labPodSelector(id);
  const probe = { httpGet: { path: jupyterProbePath(id), port: "http" } };
  const homeMount = { name: LAB_HOME_VOLUME, mountPath: LAB_HOME };
  const workshopInit: IContainer = {
    name: "workshop-content",
    image: options.image,
    command: ["sh", "-c", WORKSHOP_COPY_SCRIPT],
    env: [
      { name: "LABKIT_WORKSHOP_SOURCE", value: WORKSHOP_SOURCE_DIR },
      { name: "LABKIT_WORKSHOP_TARGET", value: `${LAB_HOME}/${WORKSHOP_DIR}` },
    ],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    securityContext: restrictedContainerSecurity(true),
    volumeMounts: [homeMount],
  };
  const jupyterlab: IContainer = {
    name: "jupyterlab",
    image: options.image,
    command: jupyterLabArgs({
      learnerId: id,
      port: LAB_PORT,
      rootDir: LAB_HOME,
      idleTimeoutMinutes: options.idleTimeoutMinutes,
      // A lab with its own host is reached through TLS only (infra/platform/gateway.ts).
      secureCookie: options.hostname !== undefined,
    }),
    workingDir: LAB_HOME,
    ports: [{ name: "http", containerPort: LAB_PORT, protocol: "TCP" }],
    env: labEnv(options),
    resources: labResources(options),
    securityContext: restrictedContainerSecurity(true),
    // JupyterLab takes 5–30 s to start; the startup probe gives it 2 minutes before liveness counts.
    startupProbe: { ...probe, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
    readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    livenessProbe: { ...probe, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    volumeMounts: [
      homeMount,
      { name: "model-cache", mountPath: MODEL_CACHE_MOUNT_PATH, readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
      { name: "dshm", mountPath: "/dev/shm" },
    ],
  };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: LAB_NAME, namespace: learnerNamespace(id), labels: labLabels(options) },
    spec: {
      replicas: 1,
      serviceName: LAB_NAME,
      selector: { matchLabels: selector },
      // A replaced StatefulSet finds the learner's home again; deleting the namespace removes it.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: {
          labels: { ...labLabels(options), ...selector },
          annotations: { "kubectl.kubernetes.io/default-container": "jupyterlab" },
        },
        spec: {
          serviceAccountName: LAB_NAME,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: LAB_USER.uid,
            runAsGroup: LAB_USER.gid,
            fsGroup: LAB_USER.gid,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
          },
          terminationGracePeriodSeconds: 30,
          initContainers: [workshopInit],
          containers: [jupyterlab],
          volumes: [
            { name: "model-cache", persistentVolumeClaim: { claimName: MODEL_CACHE_CLAIM, readOnly: true } },
            { name: "tmp", emptyDir: { sizeLimit: "4Gi" } },
            // PyTorch DataLoader workers share tensors through /dev/shm; the default 64 MiB is too small.
            { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
          ],
          ...labPlacement(options.gpu.kind !== "none"),
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: LAB_HOME_VOLUME, labels: { [LABELS.learner]: id } },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: options.platform.homeStorageClassName,
            resources: { requests: { storage: `${options.storageGiB}Gi` } },
          },
        },
      ],
    },
  };
}
