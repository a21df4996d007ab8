/**
 * The cohort's host names under Pulumi's mocks: one ACM certificate for the dashboard's host and
 * the labs' wildcard, its validation records, and DNS records for both names.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { listResources, type PlannedResource } from "../../../infra/list-resources";
import { certificateNames, validationRecordNames } from "../../../infra/platform/domain";
import { gatewayListeners } from "../../../infra/platform/gateway";
import { exampleCohort } from "../example-cohort";

const cohort = exampleCohort();
let resources: PlannedResource[];

beforeAll(async () => {
  resources = await listResources(cohort);
});

// biome-ignore lint/suspicious/noExplicitAny: resource inputs as recorded under mocks
const inputsOf = (type: string): Array<Record<string, any>> =>
  resources.filter((r) => r.type === type).map((r) => r.inputs);

describe("the cohort's domain", () => {
  it("asks ACM for one certificate covering the dashboard's host and `*.<labsDomain>`", () => {
    const certificates = inputsOf("aws:acm/certificate:Certificate");
    expect(certificates).toHaveLength(1);
    expect(certificates[0]).toMatchObject({
      domainName: "labs.example.org",
      subjectAlternativeNames: ["*.learners.example.org"],
      validationMethod: "DNS",
    });
  });

  it("writes a validation record for each name and waits for both", () => {
    const records = inputsOf("aws:route53/record:Record").filter((r) => String(r.name).startsWith("_validation."));
    expect(records.map((r) => r.name).sort()).toEqual([
      "_validation.labs.example.org.",
      "_validation.learners.example.org.",
    ]);
    const [validation] = inputsOf("aws:acm/certificateValidation:CertificateValidation");
    expect([...validation.validationRecordFqdns].sort()).toEqual(records.map((r) => r.name).sort());
  });

  it("points the dashboard's host and the wildcard of the labs' hosts at the load balancer", () => {
    const hosts = inputsOf("aws:route53/record:Record").filter((r) => !String(r.name).startsWith("_validation."));
    expect(hosts.map((r) => [r.name, r.type, r.records]).sort()).toEqual([
      ["*.learners.example.org", "CNAME", ["ft-dec26-lb.elb.amazonaws.com"]],
      ["labs.example.org", "CNAME", ["ft-dec26-lb.elb.amazonaws.com"]],
    ]);
    expect(hosts.every((r) => r.zoneId === "Z0123456789EXAMPLE")).toBe(true);
  });

  it("gives the Gateway a listener for exactly the dashboard's host and one for the labs' wildcard", () => {
    const gateway = resources.find(
      (r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    ) as PlannedResource;
    const listeners = (gateway.inputs.spec as { listeners: Array<{ name: string; hostname?: string }> }).listeners;
    expect(listeners.map((l) => [l.name, l.hostname])).toEqual([
      ["http", "labs.example.org"],
      ["labs", "*.learners.example.org"],
    ]);
  });

  it("serves one listener for any host without a domain", () => {
    expect(gatewayListeners(undefined).map((l) => [l.name, "hostname" in l])).toEqual([["http", false]]);
  });

  it("needs one validation record when the labs live right under the dashboard's host (ACM validates `*.x` as `x`)", () => {
    expect(certificateNames({ name: "labs.example.org" })).toEqual(["labs.example.org", "*.labs.labs.example.org"]);
    expect(validationRecordNames({ name: "labs.example.org" })).toEqual([
      "labs.example.org",
      "*.labs.labs.example.org",
    ]);
    expect(validationRecordNames({ name: "labs.example.org", labsDomain: "labs.example.org" })).toEqual([
      "labs.example.org",
    ]);
  });

  it("uses the cohort's own certificate as it is, and creates none", async () => {
    const list = await listResources({
      ...cohort,
      domain: { name: "labs.example.org", certificateArn: "arn:aws:acm:eu-central-1:123456789012:certificate/x" },
    });
    expect(list.filter((r) => r.type === "aws:acm/certificate:Certificate")).toHaveLength(0);
    const service = list.find(
      (r) => r.type === "kubernetes:core/v1:Service" && r.name.endsWith("-lb"),
    ) as PlannedResource;
    expect((service.inputs.metadata as { annotations: Record<string, string> }).annotations).toMatchObject({
      "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-central-1:123456789012:certificate/x",
    });
  });
});
