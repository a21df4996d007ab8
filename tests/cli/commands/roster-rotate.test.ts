import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLabkit } from "../../harness/run-cli";
import { type ControllerFixture, startControllerFixture, TOKENS } from "../../lab-controller/controller-fixture";

const dir = mkdtempSync(join(tmpdir(), "labkit-rotate-"));
let f: ControllerFixture;
let outputsFile: string;

beforeAll(async () => {
  f = await startControllerFixture({ gpuNodes: 1 });
  outputsFile = join(dir, "outputs.json");
  writeFileSync(
    outputsFile,
    JSON.stringify({ dashboardUrl: `${f.url}/dashboard/`, instructorTokens: { maria: TOKENS.maria } }),
  );
});
afterAll(async () => {
  await f.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("labkit roster rotate", () => {
  it("prints a new token for the learner through the running controller; the old token stops working", async () => {
    const result = await runLabkit(["roster", "rotate", "ada", "--stack-outputs", outputsFile]);
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(result.stderr).toMatch(/old token no longer works/);
    expect((await f.call("ada", "GET", "/v1/me")).status).toBe(401);
    expect((await f.call(null, "GET", "/v1/me", undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it("says what the controller refused, and exits 1", async () => {
    const result = await runLabkit(["roster", "rotate", "nobody", "--stack-outputs", outputsFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /refused to rotate `nobody`'s token \(404\): learner `nobody` is not on this cohort's roster/,
    );
  });

  it("refuses a learner id that is not one, before calling anything (exit 2)", async () => {
    const result = await runLabkit([
      "roster",
      "rotate",
      "../admin",
      "--api-url",
      f.url,
      "--stack-outputs",
      outputsFile,
    ]);
    expect(result.code).toBe(2);
  });
});
