import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProcessSyncForResult } from "../../../lib/run-process";

const labkit = (...args: string[]) => {
  const result = runProcessSyncForResult(process.execPath, ["bin/labkit.js", "estimate", ...args]);
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
};

describe("labkit estimate", () => {
  it("prints the estimate and its breakdown for a model given by flags", () => {
    const { code, stdout } = labkit("--model", "Qwen/Qwen2.5-0.5B-Instruct", "--method", "lora", "--seq", "512");
    expect(code).toBe(0);
    expect(stdout).toMatch(/Predicted peak GPU memory: \d+\.\d GiB/);
    expect(stdout).toMatch(/logits/);
    expect(stdout).toMatch(/micro batch 4 × 512 tokens/);
  });

  it("prints JSON with totalMiB and a breakdown that sums to it", () => {
    const { code, stdout } = labkit("--model", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "--no-checkpointing", "--json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const sum = Object.values(report.breakdown as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(report.totalMiB).toBe(sum);
    expect(report.spec.training.gradientCheckpointing).toBe(false);
  });

  it("suggests configs that fit when the run does not fit the limit", () => {
    const { code, stdout } = labkit(
      "--model",
      "Qwen/Qwen2.5-3B-Instruct",
      "--method",
      "lora",
      "--limit-gib",
      "16",
      "--json",
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.fits).toBe(false);
    expect(report.suggestions.length).toBeGreaterThan(0);
    for (const s of report.suggestions) expect(s.totalMiB).toBeLessThanOrEqual(16 * 1024);
  });

  it("resolves a RunSpec file against an exercise of a cohort, flags winning over the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "labkit-estimate-"));
    const file = join(dir, "run.yaml");
    writeFileSync(file, "training:\n  microBatchSize: 2\n  maxSeqLength: 512\n");
    const { code, stdout } = labkit(
      "--cohort",
      "workshop/cohort.example.yaml",
      "--exercise",
      "qlora-challenge",
      "--spec",
      file,
      "--seq",
      "256",
      "--json",
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.model).toBe("Qwen/Qwen2.5-1.5B-Instruct");
    expect(report.spec.training.microBatchSize).toBe(2);
    expect(report.spec.training.maxSeqLength).toBe(256);
    expect(report.limitMiB).toBe(16 * 1024);
  });

  it("exits 2 with a clear message for an unknown model, a bad flag value, or a missing model", () => {
    const unknown = labkit("--model", "acme/Nope-1B");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no architecture facts for model `acme\/Nope-1B`.*Qwen\/Qwen2\.5-1\.5B-Instruct/);
    const bad = labkit("--model", "Qwen/Qwen2.5-0.5B-Instruct", "--batch", "zero");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--batch expects a whole number/);
    const missing = labkit("--seq", "512");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/name the model/);
    const exercise = labkit("--cohort", "workshop/cohort.example.yaml", "--exercise", "nope");
    expect(exercise.code).toBe(2);
    expect(exercise.stderr).toMatch(/no exercise `nope`: use one of lora-warmup/);
  });
});
