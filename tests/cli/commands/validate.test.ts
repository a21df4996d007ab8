import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLabkit } from "../../harness/run-cli";

const fixture = (name: string) => `tests/fixtures/cohorts/${name}`;

describe("labkit validate", () => {
  it("accepts the workshop's example cohort and summarises it", async () => {
    const result = await runLabkit(["validate", "workshop/cohort.example.yaml"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "workshop/cohort.example.yaml: valid cohort `ft-dec26`: 24 learners, 1 GPU pool, 3 exercises, 5 models\n",
    );
  });

  it("warns, on stderr and with exit 0, about a version leaving standard support and a role listed twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labkit-validate-"));
    const text = readFileSync(fixture("bad-kubernetes-version.yaml"), "utf8")
      .replace('"1.31"', '"1.34"')
      .replace(
        '      kubernetesVersion: "1.34"',
        '      kubernetesVersion: "1.34"\n      access:\n        platformRoles: [arn:aws:iam::123456789012:role/Ops]\n        instructorRoles: [arn:aws:iam::123456789012:role/Ops]',
      );
    const file = join(dir, "cohort.yaml");
    writeFileSync(file, text);
    const result = await runLabkit(["validate", file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "warning: cloud.cluster.create.kubernetesVersion: Kubernetes 1.34 is in EKS extended support since 2026-12-02: the control plane costs $0.60/h instead of $0.10/h",
    );
    expect(result.stderr).toContain(
      "warning: cloud.cluster.create.access.instructorRoles[0]: arn:aws:iam::123456789012:role/Ops is already listed at cloud.cluster.create.access.platformRoles[0]",
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a cohort with neither a domain nor `insecure: true`, naming both ways out (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labkit-validate-"));
    const file = join(dir, "cohort.yaml");
    writeFileSync(file, readFileSync(fixture("valid-minimal.yaml"), "utf8").replace(/^insecure: true\n/m, ""));
    const result = await runLabkit(["validate", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:2:1: domain: no \`domain\`:`);
    expect(result.stderr).toContain("a learner's notebook page can call the API as the instructor who opens it");
    expect(result.stderr).toContain("Add `domain: { name: labs.example.org, hostedZoneId: Z… }`");
    expect(result.stderr).toContain("opt in with `insecure: true`");
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts `insecure: true` without a domain, and warns on stderr of one origin and of clear text", async () => {
    const result = await runLabkit(["validate", fixture("valid-minimal.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "warning: insecure: no domain (`insecure: true`): every learner's lab shares one origin with the dashboard and the API, so a learner's notebook page can call the API as the instructor who opens that lab",
    );
    expect(result.stderr).toContain("tokens and cookies cross the network in clear text");
  });

  it("accepts a roster CSV with quoted fields and an empty e-mail", async () => {
    const result = await runLabkit(["validate", fixture("valid-roster.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("3 learners");
  });

  // Each rule: the exact message (file:line:column: path: message) and exit code 2.
  const cases: Array<[rule: string, file: string, message: string]> = [
    [
      "a YAML syntax error, with its position",
      "bad-yaml-syntax.yaml",
      "tests/fixtures/cohorts/bad-yaml-syntax.yaml:22:1: (yaml): YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }",
    ],
    [
      "an unknown key, suggesting the key it is a typo of",
      "bad-unknown-key.yaml",
      "tests/fixtures/cohorts/bad-unknown-key.yaml:22:1: learnes: unknown key `learnes`: did you mean `learners`?",
    ],
    [
      "an unknown nested key, with its YAML path",
      "bad-unknown-nested-key.yaml",
      "tests/fixtures/cohorts/bad-unknown-nested-key.yaml:13:5: gpuPools[0].sharring: unknown key `sharring`: did you mean `sharing`?",
    ],
    [
      "duplicate learner ids",
      "bad-duplicate-learner.yaml",
      "tests/fixtures/cohorts/bad-duplicate-learner.yaml:27:9: learners[2].id: duplicate id `ada`: already used by learners[0]; every learner and instructor needs a unique id",
    ],
    [
      "a learner id that is not an RFC 1123 DNS label, suggesting one that is",
      "bad-learner-id.yaml",
      "tests/fixtures/cohorts/bad-learner-id.yaml:25:9: learners[1].id: id `Alan_Turing` is not a valid DNS label (RFC 1123): use lower-case letters, digits and '-', start and end with a letter or digit, at most 59 characters (it becomes a namespace), e.g. `alan-turing`",
    ],
    [
      "a per-learner VRAM quota larger than every GPU in the pools",
      "bad-vram-quota.yaml",
      "tests/fixtures/cohorts/bad-vram-quota.yaml:14:12: quotas.vramGiB: the per-learner VRAM quota (40 GiB) is larger than every GPU (or MIG slice) in the pools (largest: 22.5 GiB): one run can never use it all; lower quotas.vramGiB to at most 22, or add a larger GPU pool",
    ],
    [
      "an exercise naming a model that is not in the catalog",
      "bad-exercise-model.yaml",
      "tests/fixtures/cohorts/bad-exercise-model.yaml:19:18: exercises[0].defaults.baseModel: exercise `first-lora` uses model `Qwen/Qwen2.5-7B-Instruct`, which is not in the model catalog: add it under `models` (`- id: Qwen/Qwen2.5-7B-Instruct`) or pick one of Qwen/Qwen2.5-0.5B-Instruct",
    ],
    [
      "a missing roster file",
      "bad-missing-roster.yaml",
      "tests/fixtures/cohorts/bad-missing-roster.yaml:23:11: learners.roster: roster file `no-such-roster.csv` not found",
    ],
    [
      "a missing required key",
      "bad-missing-key.yaml",
      "tests/fixtures/cohorts/bad-missing-key.yaml:2:1: (root): missing required key `models` (expected a list)",
    ],
    [
      "a value of the wrong type",
      "bad-wrong-type.yaml",
      "tests/fixtures/cohorts/bad-wrong-type.yaml:12:12: gpuPools[0].count: expected a number, found the string `two`",
    ],
    [
      "the same key twice in one mapping",
      "bad-duplicate-key.yaml",
      "tests/fixtures/cohorts/bad-duplicate-key.yaml:9:3: (yaml): Map keys must be unique: remove or rename the second one",
    ],
    [
      "a value outside a closed set, listing the allowed ones",
      "bad-enum.yaml",
      "tests/fixtures/cohorts/bad-enum.yaml:13:14: gpuPools[0].sharing: `timeslice` is not allowed here: use one of `exclusive`, `hami`, `mig`",
    ],
    [
      "a domain with neither a hosted zone nor a certificate (ACM validation would wait forever)",
      "bad-domain-no-zone.yaml",
      "tests/fixtures/cohorts/bad-domain-no-zone.yaml:10:3: domain: a domain needs `hostedZoneId` (labkit validates the certificate and adds the record through Route 53; find it with `aws route53 list-hosted-zones-by-name --dns-name labs.example.org`) or `certificateArn` (an ACM certificate already issued for labs.example.org and *.labs.labs.example.org)",
    ],
    [
      "a Kubernetes version that leaves EKS extended support before the cohort ends",
      "bad-kubernetes-version.yaml",
      "tests/fixtures/cohorts/bad-kubernetes-version.yaml:11:26: cloud.cluster.create.kubernetesVersion: Kubernetes 1.31 leaves EKS extended support on 2026-11-26, before the cohort ends, and EKS then upgrades the cluster by itself: use `1.35` or `1.36` (in standard support through 2026-12-07)",
    ],
    [
      "a time zone that does not exist",
      "bad-time-zone.yaml",
      "tests/fixtures/cohorts/bad-time-zone.yaml:6:13: schedule.timeZone: expected an IANA time zone such as `Europe/Berlin` or `America/New_York`",
    ],
    [
      "a roster row with a missing field, at the roster's line",
      "bad-roster-row.yaml",
      "tests/fixtures/cohorts/roster-bad-row.csv:3:1: learners: expected 3 fields (id,name,email), found 2; quote a field that contains a comma",
    ],
    [
      "a duplicate id in the roster, at the roster's line",
      "bad-roster-duplicate.yaml",
      "tests/fixtures/cohorts/roster-duplicate.csv:4:1: learners[2].id: duplicate id `ada`: already used by learners[0]; every learner and instructor needs a unique id",
    ],
  ];

  it.each(cases)("refuses %s (exit 2)", async (_rule, file, message) => {
    const result = await runLabkit(["validate", fixture(file)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0].startsWith(message)).toBe(true);
    expect(lines.at(-1)).toBe("1 problem found; nothing was changed.");
  });

  it("says which file it could not read, and exits 2", async () => {
    const result = await runLabkit(["validate", "does/not/exist.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("does/not/exist.yaml: (root): cannot read the cohort file (no such file)");
  });

  it("reports every problem of a file at once, in file order", async () => {
    const result = await runLabkit(["validate", fixture("bad-many.yaml")]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("3 problems found; nothing was changed.");
    expect(
      lines
        .slice(0, -1)
        .map((l) => l.split(": ")[1])
        .sort(),
    ).toEqual(["gpuPools[0].count", "gpuPools[0].sharring", "learners[2].id"]);
  });
});
