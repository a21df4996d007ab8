/**
 * The controller's ServiceAccount (its EKS Pod Identity association names it) and its Service
 * (`CONTROLLER_SERVICE`), which labs, runner Jobs and the gateway route reach.
 */
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { CONTROLLER_SERVICE } from "../names";
import {
  CONTROLLER_NAME,
  CONTROLLER_NAMESPACE,
  type ControllerOptions,
  controllerLabels,
  controllerSelector,
} from "./controller-options";

/** The ServiceAccount. */
export function controllerServiceAccount(options: ControllerOptions): IServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: CONTROLLER_NAME, namespace: CONTROLLER_NAMESPACE, labels: controllerLabels(options) },
  };
}

/** The ClusterIP Service on `CONTROLLER_SERVICE.port`. */
export function controllerService(options: ControllerOptions): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: CONTROLLER_SERVICE.name, namespace: CONTROLLER_NAMESPACE, labels: controllerLabels(options) },
    spec: {
      type: "ClusterIP",
      selector: controllerSelector(),
      ports: [{ name: "http", port: CONTROLLER_SERVICE.port, targetPort: "http", protocol: "TCP" }],
    },
  };
}
