/** The dashboard's and the API's route answers only for the cohort's `domain.name`. */
import { describe, expect, it } from "vitest";
import { controllerRoute } from "../../../charts/controller/controller-route";
import { GATEWAY_NAMESPACE } from "../../../charts/names";

const gateway = { name: "labkit", namespace: GATEWAY_NAMESPACE, sectionName: "http" };

describe("the controller route", () => {
  it("answers only for the cohort's domain, over TLS (X-Forwarded-Proto: https for the controller)", () => {
    const route = controllerRoute({ cohortName: "c", gateway, hostname: "labs.example.org" });
    expect(route.spec?.hostnames).toEqual(["labs.example.org"]);
    expect(route.spec?.parentRefs?.[0]).toMatchObject({ name: "labkit", sectionName: "http" });
    expect(route.spec?.rules?.[0].filters).toEqual([
      {
        type: "RequestHeaderModifier",
        requestHeaderModifier: { set: [{ name: "X-Forwarded-Proto", value: "https" }] },
      },
    ]);
  });

  it("without a domain matches any host and leaves X-Forwarded-Proto to Envoy (plain HTTP)", () => {
    const route = controllerRoute({ cohortName: "c", gateway });
    expect(route.spec?.hostnames).toBeUndefined();
    expect(route.spec?.rules?.[0].filters).toBeUndefined();
  });
});
