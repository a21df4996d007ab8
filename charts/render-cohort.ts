/**
 * Every Kubernetes object labkit deploys for a cohort's labs, their warm start and the
 * lab-controller, as plain objects in apply order: what `labkit render` prints for teams that
 * don't use Pulumi. The platform underneath (StorageClasses `gp3` and `labkit-model-cache`, the
 * Gateway and its routes' CRDs, HAMi, the controller's cloud identity) is the cluster's own and
 * is not part of it.
 */
import type { Cohort } from "../schema/cohort";
import { imageRef } from "../schema/cohort";
import { controllerManifests } from "./controller/controller-manifests";
import { controllerOptionsFor } from "./controller/controller-options";
import { controllerRoute } from "./controller/controller-route";
import { cohortYamlForController, tokensFileJson } from "./controller/controller-tokens";
import { buildLab, type KubernetesObject } from "./lab/build-lab";
import { DEFAULT_LAB_PLATFORM, type LabPlatform, labOptionsFor } from "./lab/lab-options";
import { systemNamespaceManifest } from "./system-namespace";
import { imagePrePullDaemonSet } from "./warm-start/image-pre-pull";
import { huggingFaceTokenSecret, modelCacheWarmUpJob } from "./warm-start/model-cache-warm-up";
import { modelCacheWriterClaim } from "./warm-start/model-cache-writer-claim";

/** What the cohort file cannot say: the cluster's names, the tokens, the Hugging Face token. */
export interface RenderCohortOptions {
  /** Cluster facts. Default `DEFAULT_LAB_PLATFORM`. */
  readonly platform?: LabPlatform;
  /** Each learner's token, by learner id; every learner of the roster needs one. */
  readonly tokens: ReadonlyMap<string, string>;
  /** Each instructor's dashboard and API token, by instructor id; every instructor needs one. Only its sha256 is rendered. */
  readonly instructorTokens: ReadonlyMap<string, string>;
  /** Artifact bucket of the controller. Default: none, and the controller refuses dataset uploads and artifact links. */
  readonly bucketName?: string;
  /** Hugging Face token for gated models; without it the Secret is not rendered (create it yourself). */
  readonly huggingFaceToken?: string;
}

/** The cohort-wide warm-start objects: model-cache claim and warm-up Job, image pre-pull DaemonSets. */
export function buildWarmStart(cohort: Cohort, platform: LabPlatform, huggingFaceToken?: string): KubernetesObject[] {
  const labImage = imageRef(cohort, "lab");
  const labsOnGpu = cohort.labs.gpuGiB > 0;
  const objects: unknown[] = [];
  if (huggingFaceToken) objects.push(huggingFaceTokenSecret(cohort.name, huggingFaceToken));
  objects.push(
    modelCacheWriterClaim({ cohortName: cohort.name, storageClassName: platform.modelCacheStorageClassName }),
    modelCacheWarmUpJob({
      cohortName: cohort.name,
      image: labImage,
      models: cohort.models.map((m) => ({ id: m.id, revision: m.revision, gated: m.gated })),
    }),
    imagePrePullDaemonSet({
      cohortName: cohort.name,
      name: "pre-pull-lab",
      image: labImage,
      nodes: labsOnGpu ? "gpu" : "cpu",
    }),
    imagePrePullDaemonSet({
      cohortName: cohort.name,
      name: "pre-pull-runner",
      image: imageRef(cohort, "runner"),
      nodes: "gpu",
    }),
  );
  return objects as KubernetesObject[];
}

/**
 * All objects of the cohort: the `labkit-system` namespace, the warm start, each learner's lab in
 * roster order, then the lab-controller (its RoleBindings need the learner namespaces) and its route.
 */
export function renderCohort(cohort: Cohort, options: RenderCohortOptions): KubernetesObject[] {
  const platform = options.platform ?? DEFAULT_LAB_PLATFORM;
  // The warm start and the controller live in labkit-system; with Pulumi, CohortApps creates it.
  const objects: KubernetesObject[] = [
    systemNamespaceManifest(cohort.name) as KubernetesObject,
    ...buildWarmStart(cohort, platform, options.huggingFaceToken),
  ];
  for (const learner of cohort.learners) {
    const token = options.tokens.get(learner.id);
    if (!token) throw new Error(`no token for learner \`${learner.id}\`: every learner of the roster needs one`);
    objects.push(...buildLab(labOptionsFor(cohort, learner.id, platform), token));
  }
  const cohortYaml = cohortYamlForController(cohort);
  const controller = controllerOptionsFor(cohort, cohortYaml, {
    bucketName: options.bucketName,
    // The database volume is ReadWriteOnce, like the learners' homes.
    storageClassName: platform.homeStorageClassName,
  });
  const tokensJson = tokensFileJson(
    cohort,
    Object.fromEntries(options.tokens),
    Object.fromEntries(options.instructorTokens),
  );
  objects.push(...(controllerManifests(controller, tokensJson) as unknown as KubernetesObject[]));
  objects.push(
    controllerRoute({
      cohortName: cohort.name,
      gateway: platform.gateway,
      hostname: cohort.domain?.name,
    }) as unknown as KubernetesObject,
  );
  return objects;
}
