/** A learner's namespace, under the `restricted` Pod Security Standard (enforced, audited, warned). */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { learnerNamespace } from "../names";
import { type LabOptions, labLabels } from "./lab-options";

/** Pod Security Admission labels that enforce the `restricted` profile at the cluster's version. */
export const RESTRICTED_POD_SECURITY_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/** The learner's Namespace `lab-<learner>`. */
export function labNamespace(options: LabOptions): INamespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: learnerNamespace(options.learnerId),
      labels: { ...labLabels(options), ...RESTRICTED_POD_SECURITY_LABELS },
    },
  };
}
