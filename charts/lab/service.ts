/** The Service in front of a learner's JupyterLab: the gateway route's backend, cluster-internal only. */
import type { IService } from "kubernetes-models/v1/Service";
import { learnerNamespace } from "../names";
import { LAB_NAME, LAB_PORT, type LabOptions, labLabels, labPodSelector } from "./lab-options";

/** The ClusterIP Service `lab` on port 8888. */
export function labService(options: LabOptions): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: LAB_NAME, namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
    spec: {
      type: "ClusterIP",
      selector: labPodSelector(options.learnerId),
      ports: [{ name: "http", port: LAB_PORT, targetPort: "http", protocol: "TCP" }],
    },
  };
}
