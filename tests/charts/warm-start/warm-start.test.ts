import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WORKSHOP_COPY_SCRIPT } from "../../../charts/lab/workshop-content";
import { GPU_NODE_TAINT } from "../../../charts/names";
import { imagePrePullDaemonSet } from "../../../charts/warm-start/image-pre-pull";
import { modelCacheWarmUpJob, WARM_UP_SCRIPT, warmUpJobName } from "../../../charts/warm-start/model-cache-warm-up";
import { runProcessForResult, runProcessSync } from "../../../lib/run-process";
import { REPO_ROOT } from "../../harness/run-cli";
import { validateObject } from "../validate-object";

const work = mkdtempSync(join(tmpdir(), "labkit-workshop-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function copyWorkshop(source: string, target: string): string {
  // A clean environment, as the init container has: only PATH and the two variables.
  return runProcessSync("sh", ["-c", WORKSHOP_COPY_SCRIPT], {
    env: { PATH: process.env.PATH, LABKIT_WORKSHOP_SOURCE: source, LABKIT_WORKSHOP_TARGET: target },
    extendEnv: false,
  }).stdout;
}

describe("workshop content in the learner's home (the init container's script, run with a real sh)", () => {
  const source = join(work, "image");
  const home = join(work, "home", "workshop");
  mkdirSync(join(source, "notebooks"), { recursive: true });
  mkdirSync(join(source, "datasets"), { recursive: true });
  writeFileSync(join(source, "notebooks", "01 intro.ipynb"), "original intro");
  writeFileSync(join(source, "notebooks", "02-lora.ipynb"), "original lora");
  writeFileSync(join(source, "datasets", "k8s.jsonl"), '{"q":1}\n');

  it("copies every notebook and dataset on first start, names with spaces included", () => {
    const out = copyWorkshop(source, home);
    expect(out).toContain("copied notebooks/01 intro.ipynb");
    expect(readFileSync(join(home, "notebooks", "01 intro.ipynb"), "utf8")).toBe("original intro");
    expect(readFileSync(join(home, "datasets", "k8s.jsonl"), "utf8")).toBe('{"q":1}\n');
  });

  it("never overwrites a learner's edit, never restores a deleted file, and still brings files a newer image adds", () => {
    writeFileSync(join(home, "notebooks", "02-lora.ipynb"), "my edits");
    rmSync(join(home, "datasets", "k8s.jsonl"));
    writeFileSync(join(source, "notebooks", "02-lora.ipynb"), "a newer image's version");
    writeFileSync(join(source, "notebooks", "03-qlora.ipynb"), "new in this image");
    const out = copyWorkshop(source, home);
    expect(readFileSync(join(home, "notebooks", "02-lora.ipynb"), "utf8")).toBe("my edits");
    expect(existsSync(join(home, "datasets", "k8s.jsonl"))).toBe(false);
    expect(readFileSync(join(home, "notebooks", "03-qlora.ipynb"), "utf8")).toBe("new in this image");
    expect(out.trim()).toBe("workshop: copied notebooks/03-qlora.ipynb");
  });
});

describe("warm start", () => {
  const models = [
    { id: "Qwen/Qwen2.5-0.5B-Instruct", revision: "main", gated: false },
    { id: "meta-llama/Llama-3.2-1B-Instruct", revision: "main", gated: true },
  ];

  it("pre-pulls on GPU nodes by tolerating their taint, and on CPU nodes by avoiding GPU nodes", () => {
    const gpu = imagePrePullDaemonSet({ cohortName: "c", name: "pre-pull-runner", image: "r/runner:1", nodes: "gpu" });
    const cpu = imagePrePullDaemonSet({ cohortName: "c", name: "pre-pull-lab", image: "r/lab:1", nodes: "cpu" });
    for (const ds of [gpu, cpu]) validateObject(ds);
    expect(gpu.spec?.template.spec?.tolerations).toEqual([{ ...GPU_NODE_TAINT, operator: "Equal" }]);
    expect(gpu.spec?.template.spec?.initContainers?.[0].image).toBe("r/runner:1");
    expect(cpu.spec?.template.spec?.tolerations).toBeUndefined();
    expect(JSON.stringify(cpu.spec?.template.spec?.affinity)).toContain('"NotIn"');
  });

  it("names the warm-up Job after its catalog, so a changed catalog runs a new Job", () => {
    expect(warmUpJobName(models)).toBe(warmUpJobName([...models]));
    expect(warmUpJobName(models)).not.toBe(warmUpJobName(models.slice(0, 1)));
    const job = modelCacheWarmUpJob({ cohortName: "c", image: "r/lab:1", models });
    validateObject(job);
    const env = Object.fromEntries((job.spec?.template.spec?.containers[0].env ?? []).map((e) => [e.name, e]));
    expect(env.HF_TOKEN.valueFrom?.secretKeyRef).toEqual({ name: "hf-token", key: "token", optional: true });
    expect(JSON.parse(env.LABKIT_MODELS.value ?? "")).toEqual(models);
  });

  it("runs its download program with the real huggingface_hub: a gated model without a token and an unreachable Hub both fail the Job with a message per model", async () => {
    const python = join(REPO_ROOT, ".venv/bin/python");
    const cache = mkdtempSync(join(work, "cache-"));
    const finished = await runProcessForResult(python, ["-c", WARM_UP_SCRIPT], {
      extendEnv: false,
      env: {
        PATH: process.env.PATH,
        LABKIT_MODELS: JSON.stringify(models),
        HF_HOME: cache,
        HF_ENDPOINT: "http://127.0.0.1:9", // discard port: nothing listens
        HF_HUB_ETAG_TIMEOUT: "2",
        HF_HUB_DOWNLOAD_TIMEOUT: "2",
        HF_HUB_DISABLE_TELEMETRY: "1",
      },
      timeoutMs: 60_000,
    });
    const result = { code: finished.exitCode, stdout: finished.stdout };
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("model-cache: downloading Qwen/Qwen2.5-0.5B-Instruct@main");
    expect(result.stdout).toMatch(/model-cache: Qwen\/Qwen2\.5-0\.5B-Instruct failed: /);
    expect(result.stdout).toContain("meta-llama/Llama-3.2-1B-Instruct is gated and no Hugging Face token is set");
    expect(result.stdout).toContain("2 of 2 model(s) not cached");
  });
});
