/** Validates a rendered object against the Kubernetes OpenAPI schema of its kind (kubernetes-models). */
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { LimitRange } from "kubernetes-models/v1/LimitRange";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";

// biome-ignore lint/suspicious/noExplicitAny: each model class takes its own object type
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Namespace,
  ServiceAccount,
  ResourceQuota,
  LimitRange,
  Secret,
  PersistentVolumeClaim,
  Service,
  NetworkPolicy,
  StatefulSet,
  DaemonSet,
  Job,
  HTTPRoute,
  Deployment,
  ConfigMap,
  ClusterRole,
  ClusterRoleBinding,
  RoleBinding,
};

/** Throws (with the kind and name) when the object does not match its kind's schema, or the kind is unknown. */
export function validateObject(object: { kind: string; metadata?: { name?: string } }): void {
  const Model = MODELS[object.kind];
  if (!Model) throw new Error(`no schema for kind ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind}/${object.metadata?.name}: ${(error as Error).message}`);
  }
}
