/**
 * One entrance for the whole cohort: Envoy Gateway (Gateway API) behind one Network Load
 * Balancer. The NLB works at layer 4, so there is no per-listener rule quota (an ALB stops at 100
 * rules); Envoy does the host and path routing (`<learner>.<labsDomain>/u/<learner>/`,
 * `<domain>/dashboard/`, `<domain>/api/`) for any number of learners, and upgrades WebSockets on
 * HTTPRoutes by default. With a domain, the NLB terminates TLS with the ACM certificate (one
 * certificate for the dashboard's host and `*.<labsDomain>`) and only port 443 is open.
 *
 * The LoadBalancer Service is a Pulumi resource (not left to Envoy Gateway to create), so
 * `pulumi destroy` deletes it, and waits for AWS to remove the NLB, before the cluster goes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels, GATEWAY_NAMESPACE } from "../../charts/names";
import { ENVOY_GATEWAY_CHART, pinnedReleaseArgs } from "./helm-charts";
import { SYSTEM_POOL_LABEL } from "./node-groups";

/** Name of the cohort's Gateway (in `labkit-gateway`); HTTPRoutes attach to it. */
export const GATEWAY_NAME = "labkit";
/** Name of the GatewayClass served by Envoy Gateway. */
export const GATEWAY_CLASS_NAME = "labkit-envoy";
/** Gateway listener of the dashboard and the API (`domain.name`, or any host without a domain). */
export const GATEWAY_LISTENER = "http";
/** Gateway listener of the learners' labs, `*.<labsDomain>`, when the cohort has a domain. */
export const LABS_LISTENER = "labs";
/** Envoy listens on listener port + 10000 for privileged ports (Envoy Gateway's port shift): 80 → 10080. */
export const ENVOY_HTTP_CONTAINER_PORT = 10080;
/** Envoy proxy replicas; two keep the labs reachable while one restarts. Default 2. */
export const ENVOY_REPLICAS = 2;
/** Idle time after which Envoy closes a client connection, e.g. a quiet notebook WebSocket. Default 1 hour. */
export const CLIENT_IDLE_TIMEOUT = "3600s";

/** Where an HTTPRoute attaches. */
export interface GatewayRef {
  readonly name: string;
  readonly namespace: string;
  readonly sectionName: string;
}

/** The cohort's Gateway, as HTTPRoutes reference it. */
export const COHORT_GATEWAY: GatewayRef = {
  name: GATEWAY_NAME,
  namespace: GATEWAY_NAMESPACE,
  sectionName: GATEWAY_LISTENER,
};

/** Annotations of the LoadBalancer Service (pure): an internet-facing NLB, TLS on 443 when a certificate is given, cost tags. */
export function loadBalancerAnnotations(
  certificateArn: string | undefined,
  tags: Record<string, string>,
): Record<string, string> {
  const annotations: Record<string, string> = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags": Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  };
  if (certificateArn) {
    // One ARN: the NLB listener of the cloud provider takes exactly one certificate from this
    // annotation (kubernetes/cloud-provider-aws pkg/providers/v1/aws_loadbalancer.go), so the
    // dashboard's host and `*.<labsDomain>` share one certificate (infra/platform/domain.ts).
    annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] = certificateArn;
    annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"] = "443";
  }
  return annotations;
}

/** Service ports (pure): 443 (TLS at the NLB) with a certificate, else plain 80; both reach Envoy's HTTP listener. */
export function loadBalancerPorts(tls: boolean) {
  return tls
    ? [{ name: "https", port: 443, targetPort: ENVOY_HTTP_CONTAINER_PORT, protocol: "TCP" }]
    : [{ name: "http", port: 80, targetPort: ENVOY_HTTP_CONTAINER_PORT, protocol: "TCP" }];
}

/** Labels Envoy Gateway puts on the proxy pods of a Gateway (its owning-gateway labels). */
export function envoyPodSelector(gateway: { name: string; namespace: string }): Record<string, string> {
  return {
    "app.kubernetes.io/name": "envoy",
    "gateway.envoyproxy.io/owning-gateway-name": gateway.name,
    "gateway.envoyproxy.io/owning-gateway-namespace": gateway.namespace,
  };
}

/** One listener of the Gateway, as the Gateway API spells it. */
export interface GatewayListener {
  readonly name: string;
  readonly protocol: "HTTP";
  readonly port: number;
  /** Host name the listener accepts (exact, or `*.` for a suffix); absent: any host. */
  readonly hostname?: string;
  readonly allowedRoutes: { readonly namespaces: { readonly from: "All" } };
}

/**
 * The Gateway's listeners (pure). With a domain: `http` for exactly `domain.name` and `labs` for
 * `*.<labsDomain>`, both on port 80 behind the NLB's TLS port; Gateway API keeps listeners that
 * differ only by hostname distinct and picks the exact name before the wildcard, so the
 * dashboard's host never reaches a lab's route. Without a domain, one `http` listener for any host.
 */
export function gatewayListeners(
  domain: { readonly name: string; readonly labsDomain: string } | undefined,
): GatewayListener[] {
  // Every learner's namespace attaches its own route.
  const allowedRoutes = { namespaces: { from: "All" } } as const;
  if (!domain) return [{ name: GATEWAY_LISTENER, protocol: "HTTP", port: 80, allowedRoutes }];
  return [
    { name: GATEWAY_LISTENER, protocol: "HTTP", port: 80, hostname: domain.name, allowedRoutes },
    { name: LABS_LISTENER, protocol: "HTTP", port: 80, hostname: `*.${domain.labsDomain}`, allowedRoutes },
  ];
}

export interface GatewayArgs {
  /** Cohort name, for labels. */
  readonly cohortName: string;
  /**
   * The cohort's domain: the dashboard's host `name` and the parent `labsDomain` of the labs'
   * hosts; TLS is on when it has a certificate (which must cover `name` and `*.<labsDomain>`).
   */
  readonly domain?: {
    readonly name: string;
    readonly labsDomain: string;
    readonly certificateArn?: pulumi.Input<string>;
  };
  readonly tags: Record<string, string>;
}

/** The gateway component. */
export class Gateway extends pulumi.ComponentResource {
  /** Where HTTPRoutes attach (name, namespace, listener). */
  public readonly gatewayRef: GatewayRef = COHORT_GATEWAY;
  /** DNS name of the load balancer. */
  public readonly loadBalancerHostname: pulumi.Output<string>;
  /** The LoadBalancer Service (deleted before the cluster). */
  public readonly loadBalancerService: k8s.core.v1.Service;
  /** Base URL of the cohort: `https://<domain>` or `http://<load balancer>`. */
  public readonly baseUrl: pulumi.Output<string>;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Gateway", name, {}, opts);
    const created = createGateway(name, args, this);
    this.loadBalancerService = created.service;
    this.loadBalancerHostname = created.service.status.loadBalancer.ingress.apply(
      (ingress) => ingress?.[0]?.hostname ?? "",
    );
    this.baseUrl = args.domain
      ? pulumi.output(`https://${args.domain.name}`)
      : this.loadBalancerHostname.apply((host) => `http://${host}`);
    this.registerOutputs({ baseUrl: this.baseUrl });
  }
}

/** Create Envoy Gateway, the GatewayClass, the Gateway and its load balancer as children of `parent`. */
export function createGateway(name: string, args: GatewayArgs, parent: pulumi.Resource) {
  const labels = commonLabels(args.cohortName, "gateway");
  const namespace = new k8s.core.v1.Namespace(
    `${name}-ns`,
    { metadata: { name: GATEWAY_NAMESPACE, labels } },
    { parent },
  );
  const envoyGateway = new k8s.helm.v3.Release(
    `${name}-envoy-gateway`,
    pinnedReleaseArgs(ENVOY_GATEWAY_CHART, namespace.metadata.name, {
      deployment: { pod: { nodeSelector: { [SYSTEM_POOL_LABEL.key]: SYSTEM_POOL_LABEL.value } } },
    }),
    { parent },
  );
  const afterCrds = { parent, dependsOn: [envoyGateway] };
  const envoyProxy = new k8s.apiextensions.CustomResource(
    `${name}-envoy-proxy`,
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyProxy",
      metadata: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE, labels },
      spec: {
        provider: {
          type: "Kubernetes",
          kubernetes: {
            // labkit owns the LoadBalancer Service itself (below); Envoy Gateway's stays internal.
            envoyService: { type: "ClusterIP" },
            envoyDeployment: {
              replicas: ENVOY_REPLICAS,
              pod: { nodeSelector: { [SYSTEM_POOL_LABEL.key]: SYSTEM_POOL_LABEL.value } },
              container: { resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "2Gi" } } },
            },
          },
        },
      },
    },
    afterCrds,
  );
  const gatewayClass = new k8s.apiextensions.CustomResource(
    `${name}-class`,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: GATEWAY_CLASS_NAME, labels },
      spec: {
        controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
        parametersRef: {
          group: "gateway.envoyproxy.io",
          kind: "EnvoyProxy",
          name: GATEWAY_NAME,
          namespace: GATEWAY_NAMESPACE,
        },
      },
    },
    { parent, dependsOn: [envoyGateway, envoyProxy] },
  );
  const gateway = new k8s.apiextensions.CustomResource(
    `${name}-gateway`,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE, labels },
      spec: {
        gatewayClassName: GATEWAY_CLASS_NAME,
        listeners: gatewayListeners(args.domain),
      },
    },
    { parent, dependsOn: [gatewayClass] },
  );
  new k8s.apiextensions.CustomResource(
    `${name}-client-traffic`,
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "ClientTrafficPolicy",
      metadata: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE, labels },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: GATEWAY_NAME }],
        timeout: { http: { idleTimeout: CLIENT_IDLE_TIMEOUT } },
      },
    },
    { parent, dependsOn: [gateway] },
  );
  const tls = args.domain?.certificateArn !== undefined;
  const service = new k8s.core.v1.Service(
    `${name}-lb`,
    {
      metadata: {
        name: `${GATEWAY_NAME}-lb`,
        namespace: GATEWAY_NAMESPACE,
        labels,
        annotations: pulumi.output(args.domain?.certificateArn).apply((arn) => loadBalancerAnnotations(arn, args.tags)),
      },
      spec: {
        type: "LoadBalancer",
        selector: envoyPodSelector({ name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE }),
        ports: loadBalancerPorts(tls),
      },
    },
    { parent, dependsOn: [gateway] },
  );
  return { namespace, envoyGateway, gateway, service };
}
