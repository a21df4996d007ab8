/**
 * Opens the cluster for `labkit reset` and `labkit destroy-check`: a kubeconfig context that does
 * not exist is bad input (exit 2). The Kubernetes client is imported here, on use, so every other
 * labkit command starts quickly.
 */
import type { KubeTeardownClient } from "../teardown/kube-teardown-client";
import { BadInputError } from "./exit-codes";

export async function openKubeTeardownClient(flags: {
  kubeconfig?: string;
  context?: string;
}): Promise<KubeTeardownClient> {
  const { KubeContextError, KubeTeardownClient, loadKubeConfig } = await import("../teardown/kube-teardown-client");
  try {
    return new KubeTeardownClient(loadKubeConfig(flags));
  } catch (error) {
    if (error instanceof KubeContextError) throw new BadInputError(error.message);
    throw error;
  }
}
