/**
 * The lab-controller, deployed by `pulumi up`: the objects of `charts/controller/` (ServiceAccount,
 * RBAC, database claim, cohort ConfigMap, token-hash Secret, Service, Deployment with `Recreate`).
 * The builders decide what the objects are; this component only deploys them. The route from the
 * gateway (`/api/`, `/dashboard/`) and the Pod Identity association of its ServiceAccount
 * (`lab-controller`) belong to infra/cohort/index.ts and infra/platform/identity.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { controllerDeployment } from "../../charts/controller/controller-deployment";
import {
  CONTROLLER_CONFIG,
  CONTROLLER_NAMESPACE,
  controllerLabels,
  controllerOptionsFor,
} from "../../charts/controller/controller-options";
import { controllerRbac } from "../../charts/controller/controller-rbac";
import { controllerService, controllerServiceAccount } from "../../charts/controller/controller-service";
import { controllerClaim, controllerCohortConfigMap } from "../../charts/controller/controller-storage";
import { cohortYamlForController, tokensFileJson } from "../../charts/controller/controller-tokens";
import type { Cohort } from "../../schema/cohort";

export interface ControllerArgs {
  /** The cohort the controller serves (its roster, quotas, pools, exercises). */
  readonly cohort: Cohort;
  /** Kubernetes provider of the cohort's cluster. */
  readonly provider: pulumi.ProviderResource;
  /** Artifact bucket name (datasets, adapters, results). Default: none, and uploads are refused. */
  readonly bucketName?: pulumi.Input<string>;
  /** Each learner's token by learner id (secret), e.g. `Labs.learnerTokens`; only their sha256 reaches the cluster. */
  readonly learnerTokens: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Each instructor's token by instructor id (secret). Default: one is generated per instructor (output `instructorTokens`). */
  readonly instructorTokens?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** StorageClass of the database volume (ReadWriteOnce). Default `gp3`. */
  readonly storageClassName?: string;
  /** Size of the database volume, GiB. Default 5. */
  readonly storageGiB?: number;
  /** What the controller needs first: the `labkit-system` namespace, learner namespaces, StorageClasses. Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The lab-controller component. */
export class Controller extends pulumi.ComponentResource {
  /** Each instructor's token by instructor id (secret): given, or generated. */
  public readonly instructorTokens: pulumi.Output<Record<string, string>>;
  /** The Deployment's name in `labkit-system`. */
  public readonly deploymentName: pulumi.Output<string>;

  constructor(name: string, args: ControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:cohort:Controller", name, {}, opts);
    const created = createController(name, args, this);
    this.instructorTokens = created.instructorTokens;
    this.deploymentName = created.deployment.metadata.name;
    this.registerOutputs({ instructorTokens: this.instructorTokens, deploymentName: this.deploymentName });
  }
}

/** Create the controller's objects as children of `parent`. */
export function createController(name: string, args: ControllerArgs, parent: pulumi.Resource) {
  const base: pulumi.CustomResourceOptions = { parent, provider: args.provider, dependsOn: args.dependsOn };
  const cohortYaml = cohortYamlForController(args.cohort);
  const bucketName = args.bucketName ? pulumi.output(args.bucketName) : undefined;
  const options = controllerOptionsFor(args.cohort, cohortYaml, {
    storageClassName: args.storageClassName,
    storageGiB: args.storageGiB,
  });

  const instructorTokens: pulumi.Output<Record<string, string>> = args.instructorTokens
    ? pulumi.secret(pulumi.output(args.instructorTokens) as pulumi.Output<Record<string, string>>)
    : pulumi.secret(
        pulumi.all(
          Object.fromEntries(
            args.cohort.instructors.map((p) => [
              p.id,
              new random.RandomPassword(`${name}-${p.id}-token`, { length: 32, special: false }, { parent }).result,
            ]),
          ),
        ),
      );
  const tokensJson = pulumi.secret(
    pulumi
      .all([pulumi.output(args.learnerTokens) as pulumi.Output<Record<string, string>>, instructorTokens])
      .apply(([learners, instructors]) => tokensFileJson(args.cohort, learners, instructors)),
  );

  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    controllerServiceAccount(options) as k8s.types.input.core.v1.ServiceAccount,
    base,
  );
  const rbac = controllerRbac(options).map((object) => {
    const id = `${name}-${object.kind.toLowerCase()}-${object.metadata?.namespace ?? "cluster"}-${object.metadata?.name}`;
    if (object.kind === "ClusterRole")
      return new k8s.rbac.v1.ClusterRole(id, object as k8s.types.input.rbac.v1.ClusterRole, base);
    if (object.kind === "ClusterRoleBinding")
      return new k8s.rbac.v1.ClusterRoleBinding(id, object as k8s.types.input.rbac.v1.ClusterRoleBinding, base);
    return new k8s.rbac.v1.RoleBinding(id, object as k8s.types.input.rbac.v1.RoleBinding, base);
  });
  const claim = new k8s.core.v1.PersistentVolumeClaim(
    `${name}-data`,
    controllerClaim(options) as k8s.types.input.core.v1.PersistentVolumeClaim,
    // The claim binds when the pod is scheduled (WaitForFirstConsumer); do not wait for it here.
    { ...base, retainOnDelete: false, customTimeouts: { create: "1m" } },
  );
  const configMap = new k8s.core.v1.ConfigMap(
    `${name}-cohort`,
    controllerCohortConfigMap(options) as k8s.types.input.core.v1.ConfigMap,
    base,
  );
  const secret = new k8s.core.v1.Secret(
    `${name}-tokens`,
    {
      metadata: { name: CONTROLLER_CONFIG.secret, namespace: CONTROLLER_NAMESPACE, labels: controllerLabels(options) },
      type: "Opaque",
      stringData: { "tokens.json": tokensJson },
    },
    base,
  );
  const service = new k8s.core.v1.Service(
    `${name}-service`,
    controllerService(options) as k8s.types.input.core.v1.Service,
    base,
  );
  const manifest = controllerDeployment(options);
  const container = manifest.spec?.template.spec?.containers[0];
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    {
      ...(manifest as k8s.types.input.apps.v1.Deployment),
      spec: {
        ...(manifest.spec as k8s.types.input.apps.v1.DeploymentSpec),
        template: {
          ...(manifest.spec?.template as k8s.types.input.core.v1.PodTemplateSpec),
          metadata: {
            ...(manifest.spec?.template.metadata ?? {}),
            // A new cohort.yaml or token list restarts the controller.
            // A hash of the token hashes reveals nothing; unsecret it so the whole spec is not marked secret.
            annotations: {
              "labkit.dev/config-hash": pulumi.unsecret(tokensJson.apply((t) => hashOf(`${cohortYaml}\n${t}`))),
            },
          },
          spec: {
            ...(manifest.spec?.template.spec as k8s.types.input.core.v1.PodSpec),
            containers: [
              {
                ...(container as k8s.types.input.core.v1.Container),
                env: [
                  ...((container?.env ?? []) as k8s.types.input.core.v1.EnvVar[]),
                  ...(bucketName ? [{ name: "LABKIT_ARTIFACT_BUCKET", value: bucketName }] : []),
                ],
              },
            ],
          },
        },
      },
    },
    { ...base, dependsOn: [serviceAccount, ...rbac, claim, configMap, secret, service, ...toArray(args.dependsOn)] },
  );
  return { deployment, service, instructorTokens };
}

function toArray<T>(value: T[] | undefined): T[] {
  return value ?? [];
}

function hashOf(text: string): string {
  // FNV-1a, 32-bit: enough to notice a change; the Secret itself carries the content.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
