/**
 * The layering of docs/layering.md, enforced: dependency-cruiser with the project's own rules
 * (.dependency-cruiser.cjs) over the real tree finds no upward import and no circle, and the
 * same rules do fire on a tree with a deliberate upward import, a circle and I/O in core/.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cruise, type IViolation } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./harness/run-cli";

const config = createRequire(import.meta.url)(join(REPO_ROOT, ".dependency-cruiser.cjs"));
const FOLDERS = [
  "catalog",
  "lib",
  "schema",
  "core",
  "charts",
  "preflight",
  "lab-controller",
  "dashboard",
  "teardown",
  "infra",
  "cli",
  "tests",
  "bench",
];

async function cruiseTree(
  baseDir: string,
  folders: string[],
  tsConfig?: string,
): Promise<{ violations: IViolation[]; modules: number }> {
  const result = await cruise(folders, {
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    ...(tsConfig ? { tsConfig: { fileName: tsConfig } } : {}),
  });
  if (typeof result.output === "string") throw new Error("dependency-cruiser returned text, not a result");
  return { violations: result.output.summary.violations, modules: result.output.summary.totalCruised };
}

const probe = mkdtempSync(join(tmpdir(), "labkit-layering-"));
afterAll(() => rmSync(probe, { recursive: true, force: true }));

describe("labkit's layering", () => {
  it("has no upward import, no circle, and no program started outside lib/run-process.ts", async () => {
    const { violations, modules } = await cruiseTree(REPO_ROOT, FOLDERS, join(REPO_ROOT, "tsconfig.json"));
    expect(modules).toBeGreaterThan(250);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 120_000);

  it("fails on a deliberate upward import, a circle, a Node built-in in core/ and a program started outside lib/", async () => {
    const write = (file: string, text: string) => {
      mkdirSync(join(probe, file, ".."), { recursive: true });
      writeFileSync(join(probe, file), text);
    };
    write(
      "core/estimate.ts",
      'import { serve } from "../lab-controller/server";\nimport { readFileSync } from "node:fs";\nexport const a = [serve, readFileSync];\n',
    );
    write("lab-controller/server.ts", "export const serve = 1;\n");
    write(
      "charts/one.ts",
      'import { two } from "./two";\nimport { spawn } from "node:child_process";\nexport const one = [two, spawn];\n',
    );
    write("charts/two.ts", 'import { one } from "./one";\nexport const two = () => one;\n');
    const { violations } = await cruiseTree(probe, ["core", "lab-controller", "charts"]);
    const rules = new Set(violations.map((v) => v.rule.name));
    expect(rules).toEqual(new Set(["layer-core", "core-is-pure", "no-circular", "processes-through-lib"]));
  }, 60_000);
});
