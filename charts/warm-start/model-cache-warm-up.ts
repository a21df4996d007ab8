/**
 * The model-cache warm-up Job: downloads every model of the cohort's catalog once, before class,
 * into the shared cache that labs and runner Jobs mount read-only (they run with
 * `HF_HUB_OFFLINE=1`). Gated models need the cohort's Hugging Face token, read from a Secret.
 * Downloads resume, and files already in the cache are skipped, so a retried Job is cheap.
 */
import { createHash } from "node:crypto";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { ISecret } from "kubernetes-models/v1/Secret";
import { labPlacement, restrictedContainerSecurity } from "../lab/stateful-set";
import { commonLabels, SYSTEM_NAMESPACE } from "../names";
import { MODEL_CACHE_WRITER_CLAIM } from "./model-cache-writer-claim";

/** The Secret holding the cohort's Hugging Face token, and its key. */
export const HF_TOKEN_SECRET = { name: "hf-token", key: "token" } as const;

/** A model of the catalog as the Job downloads it. */
export interface CachedModel {
  /** Hugging Face model id, e.g. `Qwen/Qwen2.5-1.5B-Instruct`. */
  readonly id: string;
  /** Revision (commit or tag). Default `main`. */
  readonly revision: string;
  /** Needs the Hugging Face token. */
  readonly gated: boolean;
}

/** Where the Job mounts the cache read-write (its `HF_HOME`). */
const CACHE_DIR = "/cache";

/**
 * The Python program the Job runs (the lab image carries huggingface_hub). Formats other than
 * safetensors and PyTorch weights (GGUF, ONNX, TF, Flax, `original/` checkpoints) are skipped.
 */
export const WARM_UP_SCRIPT = `import json, os, sys
from huggingface_hub import snapshot_download

models = json.loads(os.environ["LABKIT_MODELS"])
has_token = bool(os.environ.get("HF_TOKEN"))
failed = []
for model in models:
    if model["gated"] and not has_token:
        print(f"model-cache: {model['id']} is gated and no Hugging Face token is set: put one in the Secret hf-token (key token) of labkit-system", flush=True)
        failed.append(model["id"])
        continue
    print(f"model-cache: downloading {model['id']}@{model['revision']}", flush=True)
    try:
        path = snapshot_download(
            repo_id=model["id"],
            revision=model["revision"],
            ignore_patterns=["*.gguf", "*.onnx", "onnx/*", "*.h5", "*.msgpack", "*.ot", "original/*", "*.pth"],
        )
        print(f"model-cache: {model['id']} ready in {path}", flush=True)
    except Exception as error:  # report every model, then fail once
        print(f"model-cache: {model['id']} failed: {type(error).__name__}: {error}", flush=True)
        failed.append(model["id"])
if failed:
    print(f"model-cache: {len(failed)} of {len(models)} model(s) not cached: {', '.join(failed)}", flush=True)
    sys.exit(1)
print(f"model-cache: all {len(models)} model(s) cached", flush=True)
`;

/** The Job's name: `model-cache-warm-up-<hash of the catalog>`, so a changed catalog makes a new Job. */
export function warmUpJobName(models: readonly CachedModel[]): string {
  const hash = createHash("sha256").update(JSON.stringify(models)).digest("hex").slice(0, 8);
  return `model-cache-warm-up-${hash}`;
}

/** The warm-up Job in `labkit-system`; `image` is the lab image. */
export function modelCacheWarmUpJob(options: {
  readonly cohortName: string;
  readonly image: string;
  readonly models: readonly CachedModel[];
}): IJob {
  const labels = commonLabels(options.cohortName, "warm-start");
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: warmUpJobName(options.models), namespace: SYSTEM_NAMESPACE, labels },
    spec: {
      backoffLimit: 4,
      activeDeadlineSeconds: 3 * 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "download",
              image: options.image,
              command: ["python", "-c", WARM_UP_SCRIPT],
              env: [
                { name: "LABKIT_MODELS", value: JSON.stringify(options.models) },
                { name: "HF_HOME", value: CACHE_DIR },
                { name: "HOME", value: "/tmp" },
                { name: "HF_HUB_DISABLE_PROGRESS_BARS", value: "1" },
                {
                  name: "HF_TOKEN",
                  valueFrom: { secretKeyRef: { name: HF_TOKEN_SECRET.name, key: HF_TOKEN_SECRET.key, optional: true } },
                },
              ],
              resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
              securityContext: restrictedContainerSecurity(true),
              volumeMounts: [
                { name: "cache", mountPath: CACHE_DIR },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "cache", persistentVolumeClaim: { claimName: MODEL_CACHE_WRITER_CLAIM } },
            { name: "tmp", emptyDir: { sizeLimit: "2Gi" } },
          ],
          ...labPlacement(false),
        },
      },
    },
  };
}

/** The Secret with the cohort's Hugging Face token, in `labkit-system`. */
export function huggingFaceTokenSecret(cohortName: string, token: string): ISecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: HF_TOKEN_SECRET.name,
      namespace: SYSTEM_NAMESPACE,
      labels: commonLabels(cohortName, "model-cache"),
    },
    type: "Opaque",
    stringData: { [HF_TOKEN_SECRET.key]: token },
  };
}
