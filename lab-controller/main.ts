/**
 * The lab-controller process: reads its configuration from the environment (set by
 * charts/controller), opens the store, follows the cluster and serves the API.
 *
 *   LABKIT_COHORT_FILE       cohort.yaml (ConfigMap).          Default /etc/labkit/cohort/cohort.yaml
 *   LABKIT_TOKENS_FILE       token hashes JSON (Secret).       Default /etc/labkit/tokens/tokens.json
 *   LABKIT_DB_PATH           SQLite file on the PVC.           Default /var/lib/labkit/controller.db
 *   LABKIT_ARTIFACT_BUCKET   S3 bucket for datasets/artifacts. Default: none (uploads refused)
 *   LABKIT_CONTROLLER_URL    URL runner Jobs post events to.   Default CONTROLLER_URL (charts/names.ts)
 *   LABKIT_RUNNER_IMAGE      runner image.                     Default imageRef(cohort, "runner")
 *   LABKIT_MODEL_CACHE_CLAIM model-cache PVC in learner namespaces. Default model-cache
 *   PORT, HOST               where to listen.                  Default 8080, 0.0.0.0
 *
 * Kubernetes credentials: the in-cluster service account, or KUBECONFIG outside a cluster.
 */
import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { CONTROLLER_URL } from "../charts/names";
import { imageRef } from "../schema/cohort";
import { CohortError, loadCohort } from "../schema/load-cohort";
import { S3ArtifactStore } from "./artifacts/artifact-store";
import { KubeCluster } from "./cluster/kube-cluster";
import { RunLifecycle } from "./runs/run-lifecycle";
import { createControllerServer } from "./server/create-controller-server";
import { TokenDirectory } from "./server/token-directory";
import { RunStore } from "./store/run-store";

async function main(): Promise<void> {
  const env = process.env;
  const cohortFile = env.LABKIT_COHORT_FILE ?? "/etc/labkit/cohort/cohort.yaml";
  const tokensFile = env.LABKIT_TOKENS_FILE ?? "/etc/labkit/tokens/tokens.json";
  const cohort = loadCohort(cohortFile);
  const tokens = TokenDirectory.parse(readFileSync(tokensFile, "utf8"), tokensFile);
  const store = RunStore.open(env.LABKIT_DB_PATH ?? "/var/lib/labkit/controller.db");

  const kubeConfig = new KubeConfig();
  if (env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  const cluster = new KubeCluster(kubeConfig, cohort.name);
  const bucket = env.LABKIT_ARTIFACT_BUCKET;
  const artifacts = bucket ? new S3ArtifactStore(bucket, { region: env.AWS_REGION ?? cohort.cloud.region }) : undefined;

  const lifecycle = new RunLifecycle({
    cohort,
    store,
    cluster,
    artifacts,
    bucket,
    controllerUrl: env.LABKIT_CONTROLLER_URL ?? CONTROLLER_URL,
    runnerImage: env.LABKIT_RUNNER_IMAGE ?? imageRef(cohort, "runner"),
    modelCacheClaimName: env.LABKIT_MODEL_CACHE_CLAIM,
  });
  const app = await createControllerServer({
    cohort,
    store,
    lifecycle,
    tokens,
    // With a domain the dashboard is `https://<domain>` and TLS ends at the load balancer.
    publicTls: cohort.domain !== undefined,
    publicOrigins: cohort.domain ? [`https://${cohort.domain.name}`] : [],
    logger: env.LABKIT_LOG_REQUESTS === "1",
    ready: () => cluster.synced,
    extraMetrics: () => {
      const stats = cluster.stats();
      return [
        {
          name: "labkit_informer_restarts_total",
          help: "Informer restarts after watch errors.",
          type: "counter",
          value: stats.informerRestarts,
        },
        {
          name: "labkit_watch_errors_total",
          help: "Watch and list errors seen.",
          type: "counter",
          value: stats.watchErrors,
        },
      ];
    },
  });
  await lifecycle.start();
  const address = await app.listen({ host: env.HOST ?? "0.0.0.0", port: Number(env.PORT ?? 8080) });
  console.log(
    `lab-controller for cohort ${cohort.name}: ${cohort.learners.length} learners, ${tokens.size} tokens, serving on ${address}`,
  );

  const shutdown = async (signal: string) => {
    console.log(`lab-controller: ${signal}, stopping`);
    await app.close();
    await lifecycle.stop();
    store.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof CohortError) console.error(`lab-controller: the cohort file is not valid:\n${error.message}`);
  else console.error(`lab-controller: cannot start: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
