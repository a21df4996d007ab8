/**
 * The cohort's Kubernetes half, deployed into whichever cluster the platform provides: the
 * lab-controller and one lab per learner, routed through the cohort's Gateway. The Kubernetes
 * provider comes in through `providers` (the new cluster's, or an existing cluster's).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_NAMESPACE } from "../../charts/names";
import type { Cohort } from "../../schema/cohort";
import { COHORT_GATEWAY, GATEWAY_NAME, type GatewayRef } from "../platform/gateway";

export interface CohortAppsArgs {
  readonly cohort: Cohort;
  /** Hugging Face token for gated models (secret). */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** StorageClasses the cohort's claims use: claims depend on them, so they are deleted first on destroy. */
  readonly storageClasses: readonly pulumi.Resource[];
  /** The Gateway routes attach to. Default: the labkit Gateway in `labkit-gateway`. */
  readonly gateway?: GatewayRef;
}

/** The cohort half component. */
export class CohortApps extends pulumi.ComponentResource {
  /** The Gateway the cohort's routes attach to. */
  public readonly gateway: GatewayRef;

  constructor(name: string, args: CohortAppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:cohort:CohortApps", name, {}, opts);
    this.gateway = args.gateway ?? COHORT_GATEWAY;
    this.registerOutputs({});
  }

  /** `http://<load balancer>` of a cluster whose platform stack created the labkit gateway (read, not created). */
  loadBalancerBaseUrl(): pulumi.Output<string> {
    const service = k8s.core.v1.Service.get(
      `${this.gateway.name}-lb-lookup`,
      `${GATEWAY_NAMESPACE}/${GATEWAY_NAME}-lb`,
      { parent: this },
    );
    return service.status.loadBalancer.ingress.apply((ingress) => `http://${ingress?.[0]?.hostname ?? ""}`);
  }
}
