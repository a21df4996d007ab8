/**
 * What the controller may do in the cluster, and nothing more:
 * - read Nodes (GPU inventory), and read/watch Jobs and Pods in all namespaces (one informer each);
 * - create and delete Jobs, and each run's token Secret, only in learner namespaces (a Role
 *   binding per namespace).
 * It reads no Secret (no get, list or watch: it writes each run's token and never needs one
 * back), updates none, creates no pods directly and cannot touch its own namespace's objects.
 * `resourceNames` cannot narrow `create` (the name is not known when the request is
 * authorized), and run Secrets are named per run, so the Secret rule names no objects.
 * `delete` is also what the OwnerReferencesPermissionEnforcement admission plugin asks of
 * whoever sets an object's ownerReferences (the Job owns its Secret); see
 * tests/contracts/runner-token-secret.test.ts.
 */
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { learnerNamespace } from "../names";
import { CONTROLLER_NAME, CONTROLLER_NAMESPACE, type ControllerOptions, controllerLabels } from "./controller-options";

/** Names of the two ClusterRoles (cluster-wide read; Job and run-Secret writes, bound per learner namespace). */
export const CONTROLLER_ROLES = { read: "labkit-controller-read", jobs: "labkit-controller-jobs" } as const;

/** Every RBAC object of the controller. */
export function controllerRbac(options: ControllerOptions): Array<IClusterRole | IClusterRoleBinding | IRoleBinding> {
  const labels = controllerLabels(options);
  const subject = { kind: "ServiceAccount", name: CONTROLLER_NAME, namespace: CONTROLLER_NAMESPACE };
  const read: IClusterRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: CONTROLLER_ROLES.read, labels },
    rules: [
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch"] },
    ],
  };
  const readBinding: IClusterRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: CONTROLLER_ROLES.read, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CONTROLLER_ROLES.read },
    subjects: [subject],
  };
  const jobs: IClusterRole = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: CONTROLLER_ROLES.jobs, labels },
    rules: [
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "delete"] },
      // Each run's token Secret (charts/runner-job.ts, buildRunTokenSecret): written, never read.
      { apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"] },
    ],
  };
  const perLearner: IRoleBinding[] = options.learnerIds.map((id) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: CONTROLLER_ROLES.jobs, namespace: learnerNamespace(id), labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CONTROLLER_ROLES.jobs },
    subjects: [subject],
  }));
  return [read, readBinding, jobs, ...perLearner];
}
