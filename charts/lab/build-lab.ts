/** Every Kubernetes object of one learner's lab, in the order they must be applied. */
import type { ISecret } from "kubernetes-models/v1/Secret";
import { labHttpRoute } from "./http-route";
import type { LabOptions } from "./lab-options";
import { labLimitRange } from "./limit-range";
import { labModelCacheClaim } from "./model-cache-claim";
import { labNamespace } from "./namespace";
import { labNetworkPolicy } from "./network-policy";
import { labResourceQuota } from "./resource-quota";
import { labService } from "./service";
import { labServiceAccount, runnerServiceAccount } from "./service-account";
import { labStatefulSet } from "./stateful-set";
import { labTokenSecret } from "./token-secret";

/** A Kubernetes object as the builders return it: apiVersion, kind, metadata and the rest. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** The lab's objects: namespace first (everything else lives in it), the StatefulSet after its Secret. */
export function buildLab(options: LabOptions, token: string): KubernetesObject[] {
  const secret: ISecret = labTokenSecret(options, token);
  return [
    labNamespace(options),
    labServiceAccount(options),
    runnerServiceAccount(options),
    labResourceQuota(options),
    labLimitRange(options),
    labNetworkPolicy(options),
    secret,
    labModelCacheClaim(options),
    labService(options),
    labStatefulSet(options),
    labHttpRoute(options),
  ] as unknown as KubernetesObject[];
}
