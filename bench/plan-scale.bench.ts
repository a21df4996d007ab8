/**
 * How `labkit plan` scales with the roster: times `node bin/labkit.js plan` as a subprocess (what
 * an instructor runs) on generated cohorts of 50, 200 and 500 learners, and `labkit --version`
 * as the baseline (Node + tsx + CLI start-up), all in this run. Prints medians of several runs,
 * the ratio to the baseline, and the growth from size to size. Goal: 200 learners under 30 s.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcessSync } from "../lib/run-process";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin/labkit.js");
const RUNS = 3;
const SIZES = [50, 200, 500] as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeRuns(args: string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    runProcessSync(process.execPath, [BIN, ...args], { cwd: ROOT });
    times.push(performance.now() - started);
  }
  return times;
}

/** The example cohort with its roster replaced by `count` inline learners. */
function cohortWithLearners(dir: string, count: number): string {
  const example = readFileSync(join(ROOT, "workshop/cohort.example.yaml"), "utf8");
  const learners = Array.from(
    { length: count },
    (_, i) => `  - { id: learner-${i + 1}, name: "Learner ${i + 1}" }`,
  ).join("\n");
  const text = example.replace(/^learners:\n {2}roster: .*$/m, `learners:\n${learners}`);
  if (text === example) throw new Error("could not replace the roster of workshop/cohort.example.yaml");
  const file = join(dir, `cohort-${count}.yaml`);
  writeFileSync(file, text);
  return file;
}

const dir = mkdtempSync(join(tmpdir(), "labkit-plan-bench-"));
try {
  const baseline = median(timeRuns(["--version"]));
  const rows: Array<{ learners: number; ms: number }> = [];
  for (const size of SIZES)
    rows.push({ learners: size, ms: median(timeRuns(["plan", cohortWithLearners(dir, size)])) });

  console.log(`labkit plan, median of ${RUNS} runs each (subprocess, wall time)`);
  console.log(`baseline \`labkit --version\`: ${(baseline / 1000).toFixed(2)} s`);
  console.log("learners   plan (s)   × baseline   growth vs previous size");
  rows.forEach((row, i) => {
    const growth =
      i === 0
        ? "-"
        : `${(row.ms / rows[i - 1].ms).toFixed(2)}× for ${(row.learners / rows[i - 1].learners).toFixed(1)}× learners`;
    console.log(
      `${String(row.learners).padStart(8)}   ${(row.ms / 1000).toFixed(2).padStart(8)}   ${(row.ms / baseline).toFixed(2).padStart(10)}   ${growth}`,
    );
  });
  const at200 = rows.find((r) => r.learners === 200)?.ms ?? 0;
  console.log(`200 learners: ${(at200 / 1000).toFixed(2)} s (goal < 30 s: ${at200 < 30_000 ? "met" : "NOT met"})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
