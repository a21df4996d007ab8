/**
 * The cohort's Kubernetes half, deployed into whichever cluster the platform provides: the
 * `labkit-system` namespace, one lab per learner (infra/cohort/labs.ts) attached to the cohort's
 * Gateway, the lab-controller (infra/cohort/controller.ts) and the route of the dashboard and API
 * to it. The namespace and the route are created here only; the controller component creates
 * neither.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { controllerRoute } from "../../charts/controller/controller-route";
import { DEFAULT_LAB_PLATFORM, type LabPlatform } from "../../charts/lab/lab-options";
import { systemNamespaceManifest } from "../../charts/system-namespace";
import type { Cohort } from "../../schema/cohort";
import { COHORT_GATEWAY, type GatewayRef } from "../platform/gateway";
import { GP3_STORAGE_CLASS, MODEL_CACHE_STORAGE_CLASS } from "../platform/storage";
import { Controller } from "./controller";
import { Labs } from "./labs";

export interface CohortAppsArgs {
  readonly cohort: Cohort;
  /** Kubernetes provider of the cohort's cluster. */
  readonly provider: k8s.Provider;
  /** Base URL of the cohort, without a trailing slash, e.g. `https://labs.example.org`. */
  readonly baseUrl: pulumi.Input<string>;
  /** Hugging Face token for gated models (secret). */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** The Gateway routes attach to. Default: the labkit Gateway in `labkit-gateway`. */
  readonly gateway?: GatewayRef;
  /** Artifact bucket the controller presigns uploads and links for. Default: none, and the controller refuses uploads. */
  readonly bucketName?: pulumi.Input<string>;
  /** Each instructor's dashboard token by instructor id (secret). Default: one generated per instructor. */
  readonly instructorTokens?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The facts the labs need about the platform (pure). */
export function labPlatformFor(gateway: GatewayRef): LabPlatform {
  return {
    ...DEFAULT_LAB_PLATFORM,
    gateway: { name: gateway.name, namespace: gateway.namespace },
    // Envoy Gateway runs the proxies next to its controller, in the gateway's namespace.
    gatewayProxyNamespace: gateway.namespace,
    homeStorageClassName: GP3_STORAGE_CLASS,
    modelCacheStorageClassName: MODEL_CACHE_STORAGE_CLASS,
  };
}

/** The cohort half component. */
export class CohortApps extends pulumi.ComponentResource {
  /** The Gateway the cohort's routes attach to. */
  public readonly gateway: GatewayRef;
  /** Each learner's JupyterLab URL, by learner id. */
  public readonly learnerUrls: pulumi.Output<Record<string, string>>;
  /** Each learner's token, by learner id (secret). */
  public readonly learnerTokens: pulumi.Output<Record<string, string>>;
  /** Each instructor's dashboard and API token, by instructor id (secret). */
  public readonly instructorTokens: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: CohortAppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:cohort:CohortApps", name, {}, opts);
    this.gateway = args.gateway ?? COHORT_GATEWAY;
    const inCluster = { parent: this, provider: args.provider };
    const systemNamespace = new k8s.core.v1.Namespace(
      `${name}-system-ns`,
      systemNamespaceManifest(args.cohort.name),
      inCluster,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-controller-route`,
      controllerRoute({ cohortName: args.cohort.name, gateway: this.gateway, hostname: args.cohort.domain?.name }),
      { ...inCluster, dependsOn: [systemNamespace] },
    );
    const labs = new Labs(
      name,
      {
        cohort: args.cohort,
        provider: args.provider,
        baseUrl: args.baseUrl,
        platform: labPlatformFor(this.gateway),
        huggingFaceToken: args.huggingFaceToken,
        dependsOn: [systemNamespace],
      },
      { parent: this },
    );
    // The controller's ServiceAccount is `lab-controller` (CONTROLLER_SERVICE.name), the name the
    // Pod Identity association in infra/platform/identity.ts binds; its RoleBindings live in the
    // learner namespaces, so those exist first (and, on destroy, outlive the controller).
    const controller = new Controller(
      `${name}-controller`,
      {
        cohort: args.cohort,
        provider: args.provider,
        bucketName: args.bucketName,
        learnerTokens: labs.learnerTokens,
        instructorTokens: args.instructorTokens,
        storageClassName: GP3_STORAGE_CLASS,
        dependsOn: [systemNamespace, ...Object.values(labs.namespaces)],
      },
      { parent: this },
    );
    this.learnerUrls = labs.learnerUrls;
    this.learnerTokens = labs.learnerTokens;
    this.instructorTokens = controller.instructorTokens;
    this.registerOutputs({ learnerUrls: this.learnerUrls });
  }
}
