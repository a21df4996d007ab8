/**
 * The cohort's origins: with a domain, the dashboard on `domain.name` and each lab on
 * `<learner>.<labsDomain>`; without one, only with an explicit `insecure: true`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { labsDomainOf } from "../../schema/cohort";
import { cohortWarnings, INSECURE_WARNING } from "../../schema/cohort-warnings";
import { CohortError, parseCohort } from "../../schema/load-cohort";

const minimal = readFileSync("tests/fixtures/cohorts/valid-minimal.yaml", "utf8").replace(/^insecure: true\n/m, "");
const withLines = (...lines: string[]) => `${minimal}${lines.join("\n")}\n`;
const problems = (text: string): string[] => {
  try {
    parseCohort(text, "cohort.yaml");
    return [];
  } catch (error) {
    if (!(error instanceof CohortError)) throw error;
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
};

describe("a cohort's origins", () => {
  it("refuses a cohort without a domain unless it says `insecure: true`", () => {
    const [problem, ...rest] = problems(minimal);
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^domain: no `domain`: /);
    expect(problem).toContain("Add `domain:");
    expect(problem).toContain("`insecure: true`");
    expect(problems(withLines("insecure: true"))).toEqual([]);
    expect(problems(withLines("insecure: false"))).toHaveLength(1);
  });

  it("warns of one origin and of clear text when `insecure: true`, and not with a domain", () => {
    const insecure = parseCohort(withLines("insecure: true"), "cohort.yaml");
    expect(cohortWarnings(insecure)).toContainEqual({ path: "insecure", message: INSECURE_WARNING });
    expect(INSECURE_WARNING).toContain("a learner's notebook page can call the API as the instructor");
    expect(INSECURE_WARNING).toContain("tokens and cookies cross the network in clear text");
    const secure = parseCohort(withLines("domain: { name: labs.example.org, hostedZoneId: Z123 }"), "cohort.yaml");
    expect(cohortWarnings(secure).map((w) => w.path)).not.toContain("insecure");
  });

  it("says `insecure: true` is moot next to a domain", () => {
    const both = parseCohort(
      withLines("domain: { name: labs.example.org, hostedZoneId: Z123 }", "insecure: true"),
      "cohort.yaml",
    );
    expect(cohortWarnings(both).find((w) => w.path === "insecure")?.message).toContain("remove it");
  });

  it("defaults the labs' domain to `labs.<domain.name>` and keeps a given one", () => {
    expect(labsDomainOf({ name: "workshop.example.org" })).toBe("labs.workshop.example.org");
    expect(labsDomainOf({ name: "workshop.example.org", labsDomain: "learners.example.org" })).toBe(
      "learners.example.org",
    );
  });

  it("refuses a labsDomain above the dashboard's host, whose wildcard would take the dashboard in", () => {
    const [problem] = problems(
      withLines("domain: { name: labs.example.org, labsDomain: example.org, hostedZoneId: Z123 }"),
    );
    expect(problem).toMatch(
      /^domain\.labsDomain: `example\.org` is a parent of the dashboard's host `labs\.example\.org`/,
    );
    expect(problem).toContain("e.g. `labs.labs.example.org`");
    // Beside it, below it, or the same name (its wildcard does not match the name itself) are fine.
    for (const labsDomain of ["learners.example.org", "labs.labs.example.org", "labs.example.org"]) {
      expect(
        problems(withLines(`domain: { name: labs.example.org, labsDomain: ${labsDomain}, hostedZoneId: Z123 }`)),
      ).toEqual([]);
    }
  });

  it("refuses a labsDomain so long that a learner's host could pass 253 characters", () => {
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.example.org`;
    const [problem] = problems(
      withLines(`domain: { name: labs.example.org, labsDomain: ${long}, hostedZoneId: Z123 }`),
    );
    expect(problem).toMatch(/^domain\.labsDomain: .*253-character limit/);
  });
});
