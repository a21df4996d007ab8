import { describe, expect, it } from "vitest";
import { runLabkit } from "../../harness/run-cli";

describe("labkit plan", () => {
  it("prints a readable report of the example cohort: learners, GPU pools with VRAM, cost, what will be created", async () => {
    const result = await runLabkit(["plan", "workshop/cohort.example.yaml"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain(
      "labkit plan: Fine-tuning LLMs with LoRA and QLoRA — December 2026 (ft-dec26) in eu-central-1",
    );
    expect(out).toContain("24 learners (roster: workshop/roster.example.csv), 1 instructor");
    expect(out).toMatch(/l40s\s+g6e\.xlarge\s+NVIDIA L40S\s+8\s+8\s+45\.0 GiB\s+359\.9 GiB\s+hami\s+on-demand/);
    // 8 × g6e.xlarge at $1.861/h for 17 GPU hours (two days, 08:30–17:30 window clipped to 09:00 start / 17:00 end).
    expect(out).toMatch(/GPU pool l40s: g6e\.xlarge \(NVIDIA L40S\), on-demand\s+8\s+1\.8610\s+17\.0\s+\$253\.10/);
    expect(out).toMatch(/Whole cohort: \$[\d,]+\.\d\d; per learner: \$[\d,]+\.\d\d\./);
    expect(out).toContain("GPU node pool `l40s`: 8 × g6e.xlarge (8 × NVIDIA L40S), on-demand, HAMi (VRAM slices)");
  });

  it("shows the dashboard on the domain and every lab on a host of its own", async () => {
    const result = await runLabkit(["plan", "workshop/cohort.example.yaml"]);
    expect(result.stdout).toContain(
      "One load balancer with TLS (one certificate for labs.example.org and *.learners.example.org): the dashboard and API on labs.example.org, each lab on its own host <learner>.learners.example.org",
    );
    expect(result.stdout).not.toContain("warning: insecure");
  });

  it("warns in the plan of a cohort without a domain that one origin and plain HTTP put the instructor and the tokens at risk", async () => {
    const result = await runLabkit(["plan", "tests/fixtures/cohorts/valid-minimal.yaml"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "warning: insecure: no domain (`insecure: true`): every learner's lab shares one origin with the dashboard and the API, so a learner's notebook page can call the API as the instructor who opens that lab; and everything travels over plain HTTP on port 80, so learners' and instructors' tokens and cookies cross the network in clear text",
    );
    expect(result.stdout).toContain("One load balancer on plain HTTP port 80 (`insecure: true`)");
  });

  it("prints the same plan as JSON with --json, sections keyed by id", async () => {
    const result = await runLabkit(["plan", "workshop/cohort.example.yaml", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.cohort).toEqual({
      name: "ft-dec26",
      title: "Fine-tuning LLMs with LoRA and QLoRA — December 2026",
      region: "eu-central-1",
    });
    expect(report.sections.learners.count).toBe(24);
    expect(report.sections.gpuPools.totalGpus).toBe(8);
    expect(report.sections.gpuPools.totalVramMiB).toBe(8 * 46068);
    const cost = report.sections.cost;
    expect(cost.totalUsd).toBeCloseTo(
      cost.lines.reduce((sum: number, l: { usd: number }) => sum + l.usd, 0),
      6,
    );
    expect(cost.perLearnerUsd).toBeCloseTo(cost.totalUsd / 24, 6);
  });

  it("refuses a bad cohort with exit 2 and writes nothing to stdout", async () => {
    const result = await runLabkit(["plan", "tests/fixtures/cohorts/bad-vram-quota.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("quotas.vramGiB");
  });
});

describe("labkit command line", () => {
  it.each(["validate", "plan", "schema"])("explains `%s` with --help (exit 0)", async (command) => {
    const result = await runLabkit([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: labkit ${command}`);
  });

  it("lists its commands with --help", async () => {
    const result = await runLabkit(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["validate", "plan", "schema"]) expect(result.stdout).toContain(command);
  });

  it("treats an unknown command as bad input (exit 2)", async () => {
    const result = await runLabkit(["deploy-everything"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'deploy-everything'");
  });

  it("treats a missing argument as bad input (exit 2)", async () => {
    const result = await runLabkit(["plan"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'file'");
  });
});
