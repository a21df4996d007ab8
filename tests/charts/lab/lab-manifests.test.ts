import { createHash } from "node:crypto";
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import fc from "fast-check";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { describe, expect, it } from "vitest";
import { jupyterLabArgs } from "../../../charts/jupyter-command";
import { buildLab, type KubernetesObject } from "../../../charts/lab/build-lab";
import { DEFAULT_LAB_PLATFORM, labOptionsFor } from "../../../charts/lab/lab-options";
import { CONTROLLER_URL, GATEWAY_NAMESPACE, LABELS, learnerNamespace, SYSTEM_NAMESPACE } from "../../../charts/names";
import { renderCohort } from "../../../charts/render-cohort";
import { exampleCohortWithRegistry } from "../../infra/example-cohort";
import { connectionAllowed, type Pod } from "../network-policy-evaluator";
import { validateObject } from "../validate-object";

const cohort = exampleCohortWithRegistry();
const tokens = new Map(cohort.learners.map((l, i) => [l.id, `token-${i}-${l.id}`]));
const instructorTokens = new Map(cohort.instructors.map((p) => [p.id, `token-${p.id}`]));
const objects = renderCohort(cohort, { tokens, instructorTokens, huggingFaceToken: "hf_example" });

function ofLearner(id: string): KubernetesObject[] {
  return objects.filter(
    (o) => o.metadata?.namespace === learnerNamespace(id) || o.metadata?.name === learnerNamespace(id),
  );
}
function find<T>(list: KubernetesObject[], kind: string, name?: string): T {
  const found = list.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ""}`);
  return found as unknown as T;
}
function podSpecOf(object: KubernetesObject): IPodSpec {
  return (object as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
}
function podTemplateLabels(object: KubernetesObject): Record<string, string> {
  return (object as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template
    .metadata.labels;
}
function allContainers(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}
/** The lab pod of a learner, as the network policy sees it, with a pod IP in the VPC. */
function labPod(id: string, index: number): Pod {
  const sts = find<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>(
    ofLearner(id),
    "StatefulSet",
  );
  return {
    namespace: learnerNamespace(id),
    namespaceLabels: { "kubernetes.io/metadata.name": learnerNamespace(id) },
    labels: sts.spec.template.metadata.labels,
    ip: `10.0.${Math.floor(index / 200)}.${(index % 200) + 10}`,
  };
}
const policies = objects.filter((o) => o.kind === "NetworkPolicy") as unknown as INetworkPolicy[];
const gatewayProxy: Pod = {
  namespace: GATEWAY_NAMESPACE,
  namespaceLabels: { "kubernetes.io/metadata.name": GATEWAY_NAMESPACE },
  labels: { "app.kubernetes.io/name": "envoy" },
  ip: "10.0.9.9",
};
const controllerPod: Pod = {
  namespace: SYSTEM_NAMESPACE,
  namespaceLabels: { "kubernetes.io/metadata.name": SYSTEM_NAMESPACE },
  labels: { "app.kubernetes.io/name": "lab-controller" },
  ip: "10.0.8.8",
};
const coreDns: Pod = {
  namespace: "kube-system",
  namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" },
  labels: { "k8s-app": "kube-dns" },
  ip: "10.0.7.7",
};

describe("lab manifests of the example cohort", () => {
  it("validates every rendered object against the Kubernetes and Gateway API schemas", () => {
    // labkit-system, then the warm start (HF token Secret, model-cache claim, warm-up Job, two
    // pre-pull DaemonSets), then 11 objects per learner, then the controller (ServiceAccount, two
    // ClusterRoles, a ClusterRoleBinding, a RoleBinding per learner, claim, ConfigMap, Secret,
    // Service, Deployment) and its route.
    expect(objects.length).toBe(1 + 5 + cohort.learners.length * 11 + (9 + cohort.learners.length) + 1);
    for (const object of objects) validateObject(object);
  });

  it("has a schema check that really rejects a malformed object", () => {
    const broken = { ...find<KubernetesObject>(objects, "Service"), spec: { ports: [{ port: "eighty" }] } };
    expect(() => validateObject(broken)).toThrow(/Service\/lab/);
  });

  it("gives every learner the same eleven lab objects and the controller's Job RoleBinding, all in their own namespace `lab-<learner>`", () => {
    for (const learner of cohort.learners) {
      const kinds = ofLearner(learner.id).map((o) => `${o.kind}/${o.metadata?.name}`);
      expect(kinds).toEqual([
        `Namespace/${learnerNamespace(learner.id)}`,
        "ServiceAccount/lab",
        "ServiceAccount/labkit-runner",
        "ResourceQuota/lab-quota",
        "LimitRange/lab-limits",
        "NetworkPolicy/lab-isolation",
        "Secret/lab-token",
        "PersistentVolumeClaim/model-cache",
        "Service/lab",
        "StatefulSet/lab",
        "HTTPRoute/lab",
        "RoleBinding/labkit-controller-jobs",
      ]);
    }
  });

  it("puts every learner's namespace under the restricted Pod Security Standard", () => {
    for (const learner of cohort.learners) {
      const ns = find<{ metadata: { labels: Record<string, string> } }>(ofLearner(learner.id), "Namespace");
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      expect(ns.metadata.labels[LABELS.learner]).toBe(learner.id);
    }
  });

  it("mounts no service-account token in any lab or warm-start pod, and no ServiceAccount automounts one; only the controller's pod gets its token", () => {
    const withToken: string[] = [];
    for (const object of objects) {
      const isController =
        object.metadata?.name === "lab-controller" && object.metadata?.namespace === SYSTEM_NAMESPACE;
      if (object.kind === "ServiceAccount" && !isController) expect(object.automountServiceAccountToken).toBe(false);
      if (["StatefulSet", "DaemonSet", "Job", "Deployment"].includes(object.kind)) {
        const automount = podSpecOf(object).automountServiceAccountToken;
        if (automount !== false)
          withToken.push(`${object.kind}/${object.metadata?.namespace}/${object.metadata?.name}`);
      }
    }
    // The controller watches Jobs, Pods and Nodes through the Kubernetes API (RBAC in controller-rbac.ts).
    expect(withToken).toEqual([`Deployment/${SYSTEM_NAMESPACE}/lab-controller`]);
  });

  it("runs every container non-root, without privilege escalation or capabilities, with RuntimeDefault seccomp, and with CPU and memory limits", () => {
    for (const object of objects.filter((o) => ["StatefulSet", "DaemonSet", "Job", "Deployment"].includes(o.kind))) {
      const spec = podSpecOf(object);
      expect(spec.securityContext?.runAsNonRoot).toBe(true);
      expect(spec.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
      for (const container of allContainers(spec)) {
        const where = `${object.kind}/${object.metadata?.name}/${container.name}`;
        expect(container.securityContext?.runAsNonRoot, where).toBe(true);
        expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(container.securityContext?.capabilities?.drop, where).toEqual(["ALL"]);
        expect(container.securityContext?.readOnlyRootFilesystem, where).toBe(true);
        expect(container.resources?.limits?.cpu, where).toBeDefined();
        expect(container.resources?.limits?.memory, where).toBeDefined();
      }
      // Restricted Pod Security allows only these volume types.
      for (const volume of spec.volumes ?? []) {
        const types = Object.keys(volume).filter((k) => k !== "name");
        expect([
          "persistentVolumeClaim",
          "emptyDir",
          "secret",
          "configMap",
          "projected",
          "downwardAPI",
          "ephemeral",
          "csi",
        ]).toContain(types[0]);
      }
    }
  });

  it("runs JupyterLab with the chart's command line, the learner's token from the Secret, and the lab-controller contract in its environment", () => {
    const learner = cohort.learners[3];
    const sts = find<KubernetesObject>(ofLearner(learner.id), "StatefulSet");
    const lab = podSpecOf(sts).containers[0];
    expect(lab.command).toEqual(
      jupyterLabArgs({
        learnerId: learner.id,
        port: 8888,
        rootDir: "/home/jovyan",
        idleTimeoutMinutes: 60,
        // The lab has its own host behind TLS, so its login cookie is Secure.
        secureCookie: true,
      }),
    );
    expect(lab.command).toContain(`--ServerApp.base_url=/u/${learner.id}/`);
    const env = Object.fromEntries((lab.env ?? []).map((e) => [e.name, e]));
    expect(env.JUPYTER_TOKEN.valueFrom?.secretKeyRef).toEqual({ name: "lab-token", key: "token" });
    expect(env.LABKIT_TOKEN.valueFrom?.secretKeyRef).toEqual({ name: "lab-token", key: "token" });
    expect(env.LABKIT_API_URL.value).toBe(CONTROLLER_URL);
    expect(env.LABKIT_LEARNER.value).toBe(learner.id);
    expect(env.HF_HUB_OFFLINE.value).toBe("1");
    const cacheMount = lab.volumeMounts?.find((m) => m.mountPath === env.HF_HOME.value);
    expect(cacheMount?.readOnly).toBe(true);
    expect(lab.readinessProbe?.httpGet?.path).toBe(`/u/${learner.id}/api`);
    expect(lab.livenessProbe?.httpGet?.path).toBe(`/u/${learner.id}/api`);
    const secret = find<{ stringData: Record<string, string> }>(ofLearner(learner.id), "Secret");
    expect(secret.stringData.token).toBe(tokens.get(learner.id));
  });

  it("sizes the home volume, quota and lab from the cohort", () => {
    const learner = cohort.learners[0];
    const sts = find<{
      spec: { volumeClaimTemplates: Array<{ spec: { resources: { requests: { storage: string } } } }> };
    }>(ofLearner(learner.id), "StatefulSet");
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${cohort.labs.storageGiB}Gi`);
    const quota = find<{ spec: { hard: Record<string, string> } }>(ofLearner(learner.id), "ResourceQuota");
    expect(quota.spec.hard["limits.nvidia.com/gpumem"]).toBe(String(cohort.quotas.vramGiB * 1024));
    expect(quota.spec.hard["requests.nvidia.com/gpu"]).toBe(String(cohort.quotas.concurrentRuns));
    const lab = podSpecOf(sts as unknown as KubernetesObject).containers[0];
    expect(lab.resources?.limits).toEqual({ cpu: String(cohort.labs.cpu), memory: `${cohort.labs.memoryGiB}Gi` });
  });

  it("routes `/u/<learner>/` on the learner's own host `<learner>.<labsDomain>` to that learner's Service only", () => {
    for (const learner of cohort.learners) {
      const route = find<IHTTPRoute>(ofLearner(learner.id), "HTTPRoute");
      expect(route.spec?.hostnames).toEqual([`${learner.id}.learners.example.org`]);
      expect(route.spec?.parentRefs?.[0]).toMatchObject({ name: "labkit", namespace: GATEWAY_NAMESPACE });
      expect(route.spec?.rules).toEqual([
        {
          matches: [{ path: { type: "PathPrefix", value: `/u/${learner.id}/` } }],
          // Behind the NLB's TLS listener Envoy would say `http` (tests/contracts/separate-origins.test.ts).
          filters: [
            {
              type: "RequestHeaderModifier",
              requestHeaderModifier: { set: [{ name: "X-Forwarded-Proto", value: "https" }] },
            },
          ],
          backendRefs: [{ kind: "Service", name: "lab", port: 8888 }],
          // No request timeout: Envoy's 15 s default would cut long Jupyter requests (tests/contracts/gateway.test.ts).
          timeouts: { request: "0s" },
        },
      ]);
    }
  });
});

describe("the lab-controller in the rendered cohort", () => {
  const indexOf = (kind: string, name: string, namespace?: string) =>
    objects.findIndex(
      (o) =>
        o.kind === kind &&
        o.metadata?.name === name &&
        (namespace === undefined || o.metadata?.namespace === namespace),
    );

  it("renders the labkit-system Namespace once, and the controller's objects once each, after every learner namespace its RoleBindings go into", () => {
    expect(objects.filter((o) => o.kind === "Namespace" && o.metadata?.name === SYSTEM_NAMESPACE)).toHaveLength(1);
    const inSystem = objects.filter(
      (o) => o.metadata?.namespace === SYSTEM_NAMESPACE && o.metadata?.name?.startsWith("lab-controller"),
    );
    expect(inSystem.map((o) => o.kind).sort()).toEqual(
      ["ConfigMap", "Deployment", "HTTPRoute", "PersistentVolumeClaim", "Secret", "Service", "ServiceAccount"].sort(),
    );
    const deployment = find<{ spec: { strategy: { type: string }; replicas: number } }>(objects, "Deployment");
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    for (const learner of cohort.learners) {
      const namespace = learnerNamespace(learner.id);
      const binding = indexOf("RoleBinding", "labkit-controller-jobs", namespace);
      expect(binding, namespace).toBeGreaterThan(indexOf("Namespace", namespace));
    }
    expect(indexOf("Deployment", "lab-controller")).toBeGreaterThan(indexOf("Namespace", SYSTEM_NAMESPACE));
  });

  it("gives the controller only the sha256 of every learner's and instructor's token", () => {
    const secret = find<{ stringData: Record<string, string> }>(objects, "Secret", "lab-controller-tokens");
    const file = JSON.parse(secret.stringData["tokens.json"]);
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    expect(file.learners).toHaveLength(cohort.learners.length);
    expect(file.learners[0]).toEqual({
      id: cohort.learners[0].id,
      name: cohort.learners[0].name,
      tokenSha256: sha256(tokens.get(cohort.learners[0].id) as string),
    });
    expect(file.instructors.map((p: { tokenSha256: string }) => p.tokenSha256)).toEqual(
      cohort.instructors.map((p) => sha256(`token-${p.id}`)),
    );
    expect(secret.stringData["tokens.json"]).not.toContain("token-");
  });

  it("routes `/dashboard/` and `/api/` on the cohort's domain to the controller's Service", () => {
    const route = find<IHTTPRoute>(objects, "HTTPRoute", "lab-controller");
    expect(route.metadata?.namespace).toBe(SYSTEM_NAMESPACE);
    expect(route.spec?.hostnames).toEqual(["labs.example.org"]);
    const rule = route.spec?.rules?.[0];
    expect(rule?.matches?.map((m) => m.path?.value)).toEqual(["/dashboard/", "/api/"]);
    expect(rule?.backendRefs).toEqual([{ kind: "Service", name: "lab-controller", port: 8080 }]);
  });
});

describe("isolation between learners (network policies, evaluated for every learner)", () => {
  const learners = cohort.learners.map((l, index) => ({ id: l.id, pod: labPod(l.id, index) }));

  it("lets no learner's pod reach another learner's pod, on any port", () => {
    for (const a of learners) {
      for (const b of learners) {
        if (a.id === b.id) continue;
        for (const port of [8888, 22, 80])
          expect(connectionAllowed(policies, a.pod, b.pod, port), `${a.id} → ${b.id}:${port}`).toBe(false);
      }
    }
  });

  it("blocks the cloud metadata endpoint and private ranges, but allows DNS, the controller API and the internet", () => {
    for (const { id, pod } of learners) {
      expect(connectionAllowed(policies, pod, { ip: "169.254.169.254" }, 80), id).toBe(false);
      expect(connectionAllowed(policies, pod, { ip: "10.0.200.5" }, 443), id).toBe(false);
      expect(connectionAllowed(policies, pod, { ip: "192.168.1.1" }, 80), id).toBe(false);
      expect(connectionAllowed(policies, pod, coreDns, 53, "UDP"), id).toBe(true);
      expect(connectionAllowed(policies, pod, controllerPod, 8080), id).toBe(true);
      expect(connectionAllowed(policies, pod, controllerPod, 22), id).toBe(false);
      expect(connectionAllowed(policies, pod, { ip: "52.216.1.1" }, 443), id).toBe(true);
      // EKS Pod Identity agent, which the learner's runner Jobs need for S3.
      expect(connectionAllowed(policies, pod, { ip: "169.254.170.23" }, 80), id).toBe(true);
    }
  });

  it("admits only the gateway's proxies, and only on JupyterLab's port", () => {
    for (const { id, pod } of learners) {
      expect(connectionAllowed(policies, gatewayProxy, pod, 8888), id).toBe(true);
      expect(connectionAllowed(policies, gatewayProxy, pod, 22), id).toBe(false);
      expect(connectionAllowed(policies, controllerPod, pod, 8888), id).toBe(false);
      expect(connectionAllowed(policies, { ip: "203.0.113.9" }, pod, 8888), id).toBe(false);
    }
  });

  it("holds for any two distinct learner ids (property)", () => {
    const learnerId = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
    fc.assert(
      fc.property(learnerId, learnerId, (a, b) => {
        fc.pre(a !== b);
        const pa = labOptionsFor(cohort, a, DEFAULT_LAB_PLATFORM);
        const pb = labOptionsFor(cohort, b, DEFAULT_LAB_PLATFORM);
        const objs = [...buildLab(pa, "x"), ...buildLab(pb, "y")];
        const pols = objs.filter((o) => o.kind === "NetworkPolicy") as unknown as INetworkPolicy[];
        const podOf = (id: string, ip: string, list: KubernetesObject[]): Pod => ({
          namespace: learnerNamespace(id),
          namespaceLabels: { "kubernetes.io/metadata.name": learnerNamespace(id) },
          labels: podTemplateLabels(find<KubernetesObject>(list, "StatefulSet")),
          ip,
        });
        const podA = podOf(a, "10.1.0.1", buildLab(pa, "x"));
        const podB = podOf(b, "10.1.0.2", buildLab(pb, "y"));
        return !connectionAllowed(pols, podA, podB, 8888) && !connectionAllowed(pols, podB, podA, 8888);
      }),
      { numRuns: 200 },
    );
  });
});
