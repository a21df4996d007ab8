/**
 * Contract: each learner's lab is its own origin, the dashboard and the API another, and TLS
 * covers them all.
 *
 * Rules:
 * - Gateway API v1.3.0 (kubernetes-sigs/gateway-api apis/v1/httproute_types.go, `Hostnames`): a
 *   hostname prefixed with `*.` is a suffix match (`*.example.com` matches `test.example.com` and
 *   `foo.test.example.com`, not `example.com`); a route attaches to a listener with a hostname
 *   only if at least one of its hostnames intersects it. apis/v1/gateway_types.go ("Listeners
 *   that are distinct only by Hostname"): exact hostnames are matched before wildcards, and
 *   listeners on one port and protocol are distinct when their hostnames differ.
 * - Certificates (RFC 6125 §6.4.3; ACM RequestCertificate `DomainName`,
 *   https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html): a wildcard
 *   `*.x` stands for one left-most label, so `*.learners.example.org` covers
 *   `ada.learners.example.org` but neither `learners.example.org` nor `a.b.learners.example.org`.
 *   ACM's DNS validation gives one CNAME per name of the certificate
 *   (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html).
 * - The NLB listener of the Kubernetes AWS cloud provider takes exactly one certificate, the ARN in
 *   `service.beta.kubernetes.io/aws-load-balancer-ssl-cert` (kubernetes/cloud-provider-aws
 *   pkg/providers/v1/aws.go `ServiceAnnotationLoadBalancerCertificate`, aws_loadbalancer.go
 *   `Certificates: []elbv2types.Certificate{{CertificateArn: ...}}`): so one certificate, with the
 *   labs' wildcard as a subject alternative name.
 * - Envoy sets `x-forwarded-proto` for an untrusted client "based on downstream encryption level"
 *   (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers,
 *   x-forwarded-proto): behind the NLB's TLS listener that is `http`. Gateway API's
 *   `RequestHeaderModifier` `set` overwrites a header (apis/v1/httproute_types.go, HTTPHeaderFilter).
 * - jupyter_server 2.21.1 (what jupyterlab 4.6.6 installs; jupyter_server/auth/identity.py
 *   `set_login_cookie`): `IdentityProvider.cookie_options` go to tornado's `set_secure_cookie`,
 *   after `httponly` defaults to True, `secure` to True when `IdentityProvider.secure_cookie` is
 *   set, and `path` to the base URL; no `domain`, so the cookie is host-only (RFC 6265 §4.1.2.3).
 *   A traitlets Dict takes `key=value` on the command line. The real JupyterLab in
 *   tests/charts/jupyter-command.test.ts shows the resulting Set-Cookie.
 * - JupyterHub isolates user servers the same way: `JupyterHub.subdomain_host` puts each user's
 *   server on `<user>.<host>` with wildcard DNS and a wildcard certificate; "Subdomains are the
 *   only way to reliably isolate user servers from each other" (jupyterhub/jupyterhub
 *   docs/source/explanation/websecurity.md, jupyterhub/app.py `subdomain_host`).
 */
import { describe, expect, it } from "vitest";
import { jupyterLabArgs } from "../../charts/jupyter-command";
import { labOptionsFor } from "../../charts/lab/lab-options";
import { labStatefulSet } from "../../charts/lab/stateful-set";
import { learnerPath } from "../../charts/names";
import { certificateNames } from "../../infra/platform/domain";
import { gatewayListeners, loadBalancerAnnotations } from "../../infra/platform/gateway";
import { labsDomainOf } from "../../schema/cohort";
import { exampleWithRegistry, type Manifest, renderedObjects } from "./rendered-example";

/** Gateway API hostname matching: exact, or `*.` as a suffix of one or more labels. */
function gatewayHostMatches(pattern: string, host: string): boolean {
  return pattern.startsWith("*.")
    ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1
    : pattern === host;
}

/** The listener a request for `host` reaches: exact hostnames first, then wildcards, then none. */
function listenerFor(listeners: ReadonlyArray<{ name: string; hostname?: string }>, host: string) {
  const rank = (l: { hostname?: string }) => (l.hostname === undefined ? 2 : l.hostname.startsWith("*.") ? 1 : 0);
  return [...listeners]
    .filter((l) => l.hostname === undefined || gatewayHostMatches(l.hostname, host))
    .sort((a, b) => rank(a) - rank(b))[0];
}

/** RFC 6125 §6.4.3: a certificate name covers a host exactly, or as `*.` for one left-most label. */
function certificateCovers(name: string, host: string): boolean {
  if (!name.startsWith("*.")) return name === host;
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot) === name.slice(1);
}

const cohort = exampleWithRegistry();
const domain = cohort.domain as NonNullable<typeof cohort.domain>;
const listeners = gatewayListeners({ name: domain.name, labsDomain: labsDomainOf(domain) });
const routes = renderedObjects().filter((o) => o.kind === "HTTPRoute");
const labRoutes = routes.filter((r) => r.metadata.name === "lab");
const controllerRoute = routes.find((r) => r.metadata.name === "lab-controller") as Manifest;

describe("Gateway API hostnames", () => {
  it("send the dashboard's host to the `http` listener, and a lab's host to the `labs` listener", () => {
    expect(listenerFor(listeners, domain.name)?.name).toBe("http");
    expect(listenerFor(listeners, `ada.${labsDomainOf(domain)}`)?.name).toBe("labs");
    // The wildcard is a suffix match of any depth, and never the bare labs domain.
    expect(gatewayHostMatches("*.learners.example.org", "a.b.learners.example.org")).toBe(true);
    expect(gatewayHostMatches("*.learners.example.org", "learners.example.org")).toBe(false);
  });

  it("attach every lab route to the `labs` listener only, for its learner's host only", () => {
    expect(labRoutes).toHaveLength(cohort.learners.length);
    for (const route of labRoutes) {
      const learner = route.metadata.namespace.replace(/^lab-/, "");
      const hostnames: string[] = route.spec.hostnames;
      expect(hostnames).toEqual([`${learner}.${labsDomainOf(domain)}`]);
      const accepting = listeners.filter((l) => hostnames.some((h) => gatewayHostMatches(l.hostname as string, h)));
      expect(accepting.map((l) => l.name)).toEqual(["labs"]);
      expect(route.spec.rules[0].matches[0].path.value).toBe(learnerPath(learner));
    }
  });

  it("attach the controller route to the `http` listener, for the dashboard's host only", () => {
    expect(controllerRoute.spec.hostnames).toEqual([domain.name]);
    expect(controllerRoute.spec.parentRefs[0].sectionName).toBe("http");
    expect(listenerFor(listeners, controllerRoute.spec.hostnames[0])?.hostname).toBe(domain.name);
  });

  it("overwrite X-Forwarded-Proto with https on every route behind the TLS listener", () => {
    for (const route of routes) {
      expect(route.spec.rules[0].filters, route.metadata.namespace).toEqual([
        {
          type: "RequestHeaderModifier",
          requestHeaderModifier: { set: [{ name: "X-Forwarded-Proto", value: "https" }] },
        },
      ]);
    }
  });
});

describe("the certificate", () => {
  const names = certificateNames(domain);

  it("covers the dashboard's host and every learner's host, each learner id being one DNS label", () => {
    expect(names.some((n) => certificateCovers(n, domain.name))).toBe(true);
    for (const learner of cohort.learners) {
      expect(learner.id).not.toContain(".");
      expect(names.some((n) => certificateCovers(n, `${learner.id}.${labsDomainOf(domain)}`))).toBe(true);
    }
    expect(certificateCovers("*.learners.example.org", "a.b.learners.example.org")).toBe(false);
  });

  it("goes to the load balancer as one ARN, which is all its TLS listener takes", () => {
    const arn = "arn:aws:acm:eu-central-1:123456789012:certificate/x";
    const annotations = loadBalancerAnnotations(arn, {});
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"]).toBe(arn);
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"]).toBe("443");
  });
});

describe("JupyterLab's login cookie", () => {
  it("is set SameSite=Lax, with no Domain, and Secure when the lab has its own host behind TLS", () => {
    const args = jupyterLabArgs({ learnerId: "ada", secureCookie: true });
    expect(args).toContain("--IdentityProvider.cookie_options=samesite=Lax");
    expect(args).toContain("--IdentityProvider.secure_cookie=True");
    expect(args.join(" ")).not.toMatch(/cookie_options=domain=/);
    const lab = labStatefulSet(labOptionsFor(cohort, "ada"));
    expect(lab.spec?.template.spec?.containers[0].command).toContain("--IdentityProvider.secure_cookie=True");
  });

  it("is left to Jupyter's own guess (plain HTTP: not Secure) in a cohort without a domain", () => {
    const lab = labStatefulSet(labOptionsFor({ ...cohort, domain: undefined, insecure: true }, "ada"));
    expect(lab.spec?.template.spec?.containers[0].command).not.toContain("--IdentityProvider.secure_cookie=True");
  });
});
