/**
 * ServiceAccounts of a learner's namespace: one for the lab, one for runner Jobs. Neither mounts
 * an API token: nothing in a lab talks to the Kubernetes API, and the runner's AWS access comes
 * from EKS Pod Identity, which injects its own token.
 */
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { learnerNamespace } from "../names";
import { LAB_NAME, type LabOptions, labLabels } from "./lab-options";

/** A ServiceAccount in the learner's namespace that never automounts a token; `name` default `lab`. */
export function labServiceAccount(options: LabOptions, name: string = LAB_NAME): IServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name,
      namespace: learnerNamespace(options.learnerId),
      labels: labLabels(options, name === LAB_NAME ? "lab" : "runner"),
    },
    automountServiceAccountToken: false,
  };
}

/** The runner Jobs' ServiceAccount (`platform.runnerServiceAccountName`) in the learner's namespace. */
export function runnerServiceAccount(options: LabOptions): IServiceAccount {
  return labServiceAccount(options, options.platform.runnerServiceAccountName);
}
