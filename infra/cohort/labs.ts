/**
 * The cohort's labs, deployed by `pulumi up` from the roster before class: per learner a
 * generated token and the objects of `charts/lab/` (namespace, service accounts, quota, limits,
 * network policy, token Secret, model-cache claim, Service, JupyterLab StatefulSet, route); for
 * the cohort the warm start of `charts/warm-start/` (model-cache warm-up Job, image pre-pull
 * DaemonSets). The builders decide what the objects are; this component only deploys them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { buildLab, type KubernetesObject } from "../../charts/lab/build-lab";
import { DEFAULT_LAB_PLATFORM, type LabPlatform, labOptionsFor } from "../../charts/lab/lab-options";
import { LAB_TOKEN_SECRET } from "../../charts/lab/token-secret";
import { learnerLabUrl, learnerPath } from "../../charts/names";
import { buildWarmStart } from "../../charts/render-cohort";
import { type Cohort, labsDomainOf } from "../../schema/cohort";

export interface LabsArgs {
  /** The cohort: one lab per learner of its roster. */
  readonly cohort: Cohort;
  /** Kubernetes provider of the cluster the labs run in. */
  readonly provider: pulumi.ProviderResource;
  /**
   * Base URL of the gateway, without a trailing slash, e.g. `http://<load balancer>`; the labs'
   * URLs start with it when the cohort has no domain (with one, each lab has its own host).
   */
  readonly baseUrl: pulumi.Input<string>;
  /**
   * Cluster facts: the Gateway routes attach to, the namespace of its proxies, the StorageClasses
   * of homes and of the model cache, the runner ServiceAccount name. Default `DEFAULT_LAB_PLATFORM`
   * (Gateway `labkit` in `labkit-gateway`, `gp3`, `labkit-model-cache`, `labkit-runner`).
   */
  readonly platform?: LabPlatform;
  /** Hugging Face token for gated models (secret). Default: none, and the warm-up Job downloads ungated models only. */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /**
   * What the labs need first: the `labkit-system` namespace, the StorageClasses, the Gateway and
   * its CRDs, the GPU stack. Default none.
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Length of each learner's token, characters (letters and digits). Default 32 (≈190 bits). */
  readonly tokenLength?: number;
}

/** How long `pulumi up` waits for a lab to become ready (the first pull of the lab image is slow). */
const LAB_READY_TIMEOUT = "20m";
/** How long `pulumi up` waits for the model-cache warm-up Job (several GiB of models). */
const WARM_UP_TIMEOUT = "90m";

/** The cohort's labs and their warm start. */
export class Labs extends pulumi.ComponentResource {
  /**
   * Each learner's JupyterLab URL, by learner id: `https://<learner>.<labsDomain>/u/<learner>/`
   * with a domain, `<baseUrl>/u/<learner>/` without one.
   */
  public readonly learnerUrls: pulumi.Output<Record<string, string>>;
  /** Each learner's token (Jupyter login and lab-controller API), by learner id; secret. */
  public readonly learnerTokens: pulumi.Output<Record<string, string>>;
  /** Each learner's namespace resource, by learner id (for dependents such as Pod Identity). */
  public readonly namespaces: Readonly<Record<string, k8s.core.v1.Namespace>>;

  constructor(name: string, args: LabsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:cohort:Labs", name, {}, opts);
    const created = createLabs(name, args, this);
    this.learnerUrls = created.learnerUrls;
    this.learnerTokens = created.learnerTokens;
    this.namespaces = created.namespaces;
    this.registerOutputs({ learnerUrls: this.learnerUrls, learnerTokens: this.learnerTokens });
  }
}

/** Create the warm start and every learner's lab as children of `parent`. */
export function createLabs(name: string, args: LabsArgs, parent: pulumi.Resource) {
  const platform = args.platform ?? DEFAULT_LAB_PLATFORM;
  const base: pulumi.CustomResourceOptions = { parent, provider: args.provider, dependsOn: args.dependsOn };

  const huggingFaceToken = args.huggingFaceToken;
  for (const object of buildWarmStart(args.cohort, platform, huggingFaceToken ? "(secret)" : undefined)) {
    const withToken =
      object.kind === "Secret" && huggingFaceToken
        ? { ...object, stringData: { token: pulumi.secret(huggingFaceToken) } }
        : object;
    const timeouts =
      object.kind === "Job" ? { customTimeouts: { create: WARM_UP_TIMEOUT, update: WARM_UP_TIMEOUT } } : {};
    deployObject(`${name}-${object.metadata?.name}`, withToken, { ...base, ...timeouts });
  }

  const urls: Record<string, pulumi.Output<string>> = {};
  const tokens: Record<string, pulumi.Output<string>> = {};
  const namespaces: Record<string, k8s.core.v1.Namespace> = {};
  for (const learner of args.cohort.learners) {
    const id = learner.id;
    const password = new random.RandomPassword(
      `${name}-${id}-token`,
      { length: args.tokenLength ?? 32, special: false },
      { parent },
    );
    const [namespaceObject, ...rest] = buildLab(labOptionsFor(args.cohort, id, platform), "(generated)");
    const namespace = deployObject(`${name}-${id}-namespace`, namespaceObject, base) as k8s.core.v1.Namespace;
    const inNamespace = { ...base, dependsOn: [namespace, ...(args.dependsOn ?? [])] };
    const deployed: pulumi.CustomResource[] = [];
    for (const object of rest) {
      const isTokenSecret = object.kind === "Secret" && object.metadata?.name === LAB_TOKEN_SECRET.name;
      const resolved = isTokenSecret ? { ...object, stringData: { [LAB_TOKEN_SECRET.key]: password.result } } : object;
      // The StatefulSet starts last: its Secret, claims and service accounts must exist.
      const isLab = object.kind === "StatefulSet";
      const options = isLab
        ? {
            ...inNamespace,
            dependsOn: [namespace, ...deployed],
            customTimeouts: { create: LAB_READY_TIMEOUT, update: LAB_READY_TIMEOUT },
          }
        : inNamespace;
      deployed.push(deployObject(`${name}-${id}-${partName(object)}`, resolved, options));
    }
    namespaces[id] = namespace;
    // With a domain every lab has a host of its own; without one they share the base URL's.
    urls[id] = args.cohort.domain
      ? pulumi.output(learnerLabUrl(id, labsDomainOf(args.cohort.domain)))
      : pulumi.interpolate`${args.baseUrl}${learnerPath(id)}`;
    tokens[id] = password.result;
  }
  return {
    learnerUrls: pulumi.output(urls) as pulumi.Output<Record<string, string>>,
    learnerTokens: pulumi.secret(pulumi.output(tokens)) as pulumi.Output<Record<string, string>>,
    namespaces,
  };
}

/** `<kind>-<name>` in lower case, unique within a learner's namespace, e.g. `serviceaccount-lab`. */
function partName(object: KubernetesObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata?.name}`;
}

/** Deploy one builder object with the typed @pulumi/kubernetes resource of its kind. */
function deployObject(
  name: string,
  object: KubernetesObject | Record<string, unknown>,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  // The builders' objects are the Kubernetes API's own shapes, which these resources take as input.
  // biome-ignore lint/suspicious/noExplicitAny: kubernetes-models and @pulumi/kubernetes type the same JSON differently
  const args = object as any;
  switch (object.kind) {
    case "Namespace":
      return new k8s.core.v1.Namespace(name, args, opts);
    case "ServiceAccount":
      return new k8s.core.v1.ServiceAccount(name, args, opts);
    case "ResourceQuota":
      return new k8s.core.v1.ResourceQuota(name, args, opts);
    case "LimitRange":
      return new k8s.core.v1.LimitRange(name, args, opts);
    case "Secret":
      return new k8s.core.v1.Secret(name, args, opts);
    case "PersistentVolumeClaim":
      return new k8s.core.v1.PersistentVolumeClaim(name, args, opts);
    case "Service":
      return new k8s.core.v1.Service(name, args, opts);
    case "NetworkPolicy":
      return new k8s.networking.v1.NetworkPolicy(name, args, opts);
    case "StatefulSet":
      return new k8s.apps.v1.StatefulSet(name, args, opts);
    case "DaemonSet":
      return new k8s.apps.v1.DaemonSet(name, args, opts);
    case "Job":
      return new k8s.batch.v1.Job(name, args, opts);
    case "HTTPRoute":
      return new k8s.apiextensions.CustomResource(name, args, opts);
    default:
      throw new Error(`labs: no Pulumi resource for kind ${String(object.kind)} (object ${name})`);
  }
}
