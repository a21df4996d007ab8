/**
 * The lab's route answers only for its learner's own host `<learner>.<labsDomain>`, never the
 * dashboard's, so every lab's pages run on an origin of their own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labHttpRoute } from "../../../charts/lab/http-route";
import { labOptionsFor } from "../../../charts/lab/lab-options";
import type { Cohort } from "../../../schema/cohort";
import { exampleCohortWithRegistry } from "../../infra/example-cohort";

const example = exampleCohortWithRegistry();
const withDomain = (domain: Cohort["domain"], cohort: Cohort = example): Cohort => ({ ...cohort, domain });
const routeOf = (cohort: Cohort, learnerId: string) => labHttpRoute(labOptionsFor(cohort, learnerId));

describe("a learner's lab route", () => {
  it("answers only for `<learner>.<labsDomain>`, and never for the dashboard's host", () => {
    for (const learner of example.learners) {
      const route = routeOf(example, learner.id);
      expect(route.spec?.hostnames).toEqual([`${learner.id}.learners.example.org`]);
      expect(route.spec?.hostnames).not.toContain(example.domain?.name);
      expect(route.spec?.rules?.[0].matches).toEqual([{ path: { type: "PathPrefix", value: `/u/${learner.id}/` } }]);
    }
  });

  it("puts the labs under `labs.<domain.name>` when the cohort names no labsDomain", () => {
    const cohort = withDomain({ name: "workshop.example.org", hostedZoneId: "Z123" });
    expect(routeOf(cohort, "ada").spec?.hostnames).toEqual(["ada.labs.workshop.example.org"]);
  });

  it("tells JupyterLab its learners came over TLS (X-Forwarded-Proto: https), which Envoy behind the NLB would not", () => {
    const filters = routeOf(example, "ada").spec?.rules?.[0].filters;
    expect(filters).toEqual([
      {
        type: "RequestHeaderModifier",
        requestHeaderModifier: { set: [{ name: "X-Forwarded-Proto", value: "https" }] },
      },
    ]);
  });

  it("without a domain (`insecure: true`) matches any host and claims no TLS", () => {
    const route = routeOf(withDomain(undefined, { ...example, insecure: true }), "ada");
    expect(route.spec?.hostnames).toBeUndefined();
    expect(route.spec?.rules?.[0].filters).toBeUndefined();
  });

  it("gives any two learners different hosts, neither of them the dashboard's (property)", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    fc.assert(
      fc.property(label, label, (a, b) => {
        fc.pre(a !== b);
        const [hostA] = routeOf(example, a).spec?.hostnames ?? [];
        const [hostB] = routeOf(example, b).spec?.hostnames ?? [];
        expect(hostA).not.toBe(hostB);
        expect([hostA, hostB]).not.toContain(example.domain?.name);
      }),
    );
  });
});
