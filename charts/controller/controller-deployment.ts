/**
 * The lab-controller Deployment: one replica with the `Recreate` strategy (SQLite on a
 * ReadWriteOnce volume has one writer; a rolling update would start a second pod that cannot
 * mount it), restricted pod security, probes on `/healthz` and `/readyz`.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { CONTROLLER_SERVICE } from "../names";
import {
  CONTROLLER_CONFIG,
  CONTROLLER_NAME,
  CONTROLLER_NAMESPACE,
  CONTROLLER_PATHS,
  type ControllerOptions,
  controllerLabels,
  controllerSelector,
} from "./controller-options";

/** The Deployment. */
export function controllerDeployment(options: ControllerOptions): IDeployment {
  const labels = { ...controllerLabels(options), ...controllerSelector() };
  const env = [
    { name: "LABKIT_COHORT_FILE", value: `${CONTROLLER_PATHS.cohortDir}/cohort.yaml` },
    { name: "LABKIT_TOKENS_FILE", value: `${CONTROLLER_PATHS.tokensDir}/tokens.json` },
    { name: "LABKIT_DB_PATH", value: `${CONTROLLER_PATHS.dataDir}/controller.db` },
    { name: "LABKIT_CONTROLLER_URL", value: options.controllerUrl },
    { name: "LABKIT_RUNNER_IMAGE", value: options.runnerImage },
    { name: "AWS_REGION", value: options.region },
    { name: "PORT", value: String(CONTROLLER_SERVICE.port) },
    ...(options.bucketName ? [{ name: "LABKIT_ARTIFACT_BUCKET", value: options.bucketName }] : []),
  ];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: CONTROLLER_NAME, namespace: CONTROLLER_NAMESPACE, labels },
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: controllerSelector() },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: CONTROLLER_NAME,
          // The controller talks to the Kubernetes API with its own token (RBAC in controller-rbac.ts).
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "controller",
              image: options.image,
              imagePullPolicy: "IfNotPresent",
              env,
              ports: [{ name: "http", containerPort: CONTROLLER_SERVICE.port }],
              readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: {
                httpGet: { path: "/healthz", port: "http" },
                initialDelaySeconds: 10,
                periodSeconds: 10,
                failureThreshold: 6,
              },
              resources: {
                requests: { cpu: "250m", memory: "512Mi" },
                limits: { cpu: "2", memory: "1Gi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
                runAsNonRoot: true,
              },
              volumeMounts: [
                { name: "data", mountPath: CONTROLLER_PATHS.dataDir },
                { name: "cohort", mountPath: CONTROLLER_PATHS.cohortDir, readOnly: true },
                { name: "tokens", mountPath: CONTROLLER_PATHS.tokensDir, readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "data", persistentVolumeClaim: { claimName: CONTROLLER_NAME } },
            { name: "cohort", configMap: { name: CONTROLLER_CONFIG.configMap } },
            { name: "tokens", secret: { secretName: CONTROLLER_CONFIG.secret } },
            // tsx compiles TypeScript into a cache under the temp directory.
            { name: "tmp", emptyDir: { sizeLimit: "512Mi" } },
          ],
        },
      },
    },
  };
}
