import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScaleTarget, planPoolScaling, updateNodegroupConfigInput } from "../../../teardown/gpu-pool-scaling";
import { DUMMY_AWS_ENV } from "../../harness/moto-s3";
import { runLabkit } from "../../harness/run-cli";

const COHORT_FILE = "workshop/cohort.example.yaml";
const schedule = {
  start: "2026-12-07T09:00",
  end: "2026-12-08T17:00",
  timeZone: "Europe/Berlin",
  dailyWindow: { from: "08:30", to: "17:30" },
};
const cohort = {
  schedule,
  gpuPools: [
    { name: "l40s", instanceType: "g6e.xlarge", count: 8, capacity: "onDemand", sharing: "hami" },
    { name: "a10g", instanceType: "g5.xlarge", count: 2, capacity: "onDemand", sharing: "hami" },
  ],
} as Parameters<typeof planPoolScaling>[0];

describe("labkit scale decisions", () => {
  it("scales every pool to zero, keeping the maximum at the pool's count because EKS needs at least 1", () => {
    const plan = planPoolScaling(cohort, { kind: "zero" }, undefined);
    expect(plan).toEqual([
      { pool: "l40s", desiredSize: 0, minSize: 0, maxSize: 8, reason: "scaled to zero on request" },
      { pool: "a10g", desiredSize: 0, minSize: 0, maxSize: 2, reason: "scaled to zero on request" },
    ]);
  });

  it("follows the schedule: the pool's count inside a window, zero outside it", () => {
    const inside = planPoolScaling(cohort, { kind: "schedule" }, "l40s", new Date("2026-12-08T09:00:00Z"));
    const outside = planPoolScaling(cohort, { kind: "schedule" }, "l40s", new Date("2026-12-07T22:00:00Z"));
    expect(inside).toMatchObject([{ pool: "l40s", desiredSize: 8 }]);
    expect(outside).toMatchObject([
      { pool: "l40s", desiredSize: 0, reason: "outside the cohort's schedule (Europe/Berlin)" },
    ]);
  });

  it("raises the maximum when asked for more nodes than the pool's count", () => {
    expect(planPoolScaling(cohort, { kind: "nodes", nodes: 3 }, "a10g")).toMatchObject([
      { desiredSize: 3, maxSize: 3 },
    ]);
  });

  it("refuses an unknown pool or target with the valid choices", () => {
    expect(planPoolScaling(cohort, { kind: "zero" }, "h100")).toEqual({
      error: "the cohort has no GPU pool `h100`: use one of l40s, a10g",
    });
    expect(parseScaleTarget("none")).toHaveProperty("error");
    expect(parseScaleTarget("101")).toHaveProperty("error");
    expect(parseScaleTarget("4")).toEqual({ kind: "nodes", nodes: 4 });
  });

  it("builds the UpdateNodegroupConfig request for a node group", () => {
    const plan = planPoolScaling(cohort, { kind: "zero" }, "l40s");
    if ("error" in plan) throw new Error(plan.error);
    const [scaling] = plan;
    expect(updateNodegroupConfigInput("labkit-ft-dec26", "gpu-l40s-1a2b", scaling)).toEqual({
      clusterName: "labkit-ft-dec26",
      nodegroupName: "gpu-l40s-1a2b",
      scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 },
    });
  });
});

/** A stand-in for the EKS REST API that records requests: enough for ListNodegroups, DescribeNodegroup and UpdateNodegroupConfig. */
let eks: Server;
let eksUrl: string;
const eksRequests: Array<{ method: string; path: string; body: unknown }> = [];

beforeAll(async () => {
  eks = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const path = req.url ?? "";
    eksRequests.push({ method: req.method ?? "", path, body: text ? JSON.parse(text) : undefined });
    res.setHeader("content-type", "application/json");
    if (req.method === "GET" && /\/clusters\/labkit-ft-dec26\/node-groups(\?|$)/.test(path)) {
      res.end(JSON.stringify({ nodegroups: ["system-9f8e", "gpu-l40s-1a2b"] }));
    } else if (req.method === "GET" && path.startsWith("/clusters/labkit-ft-dec26/node-groups/")) {
      const name = path.split("/").at(-1);
      const labels = name === "gpu-l40s-1a2b" ? { "labkit.dev/gpu-pool": "l40s" } : { "labkit.dev/pool": "system" };
      res.end(JSON.stringify({ nodegroup: { nodegroupName: name, labels } }));
    } else if (req.method === "POST" && path.endsWith("/update-config")) {
      res.end(JSON.stringify({ update: { id: "upd-1", status: "InProgress", type: "ConfigUpdate" } }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `no route ${path}` }));
    }
  });
  await new Promise<void>((resolve) => eks.listen(0, "127.0.0.1", resolve));
  eksUrl = `http://127.0.0.1:${(eks.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => eks?.close(resolve));
});

describe("labkit scale", () => {
  it("finds the pool's node group by its label and sends UpdateNodegroupConfig with the new size", async () => {
    eksRequests.length = 0;
    const result = await runLabkit(["scale", "--cohort", COHORT_FILE, "--to", "zero", "--endpoint-url", eksUrl], {
      env: { ...DUMMY_AWS_ENV, PATH: "/nonexistent" },
    });

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("l40s: update upd-1 InProgress");
    const update = eksRequests.find((r) => r.method === "POST");
    expect(update).toEqual({
      method: "POST",
      path: "/clusters/labkit-ft-dec26/node-groups/gpu-l40s-1a2b/update-config",
      body: expect.objectContaining({ scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 } }),
    });
  });

  it("prints the request and sends nothing with --dry-run, taking node group names from the stack outputs", async () => {
    eksRequests.length = 0;
    const outputs = join(await mkdtemp(join(tmpdir(), "labkit-scale-")), "outputs.json");
    await writeFile(
      outputs,
      JSON.stringify({ clusterName: "labkit-ft-dec26", gpuNodeGroups: { l40s: "gpu-l40s-1a2b" } }),
    );

    const result = await runLabkit(
      [
        "scale",
        "--cohort",
        COHORT_FILE,
        "--pool",
        "l40s",
        "--to",
        "2",
        "--dry-run",
        "--stack-outputs",
        outputs,
        "--endpoint-url",
        eksUrl,
      ],
      { env: DUMMY_AWS_ENV },
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '{"clusterName":"labkit-ft-dec26","nodegroupName":"gpu-l40s-1a2b","scalingConfig":{"minSize":0,"maxSize":8,"desiredSize":2}}',
    );
    expect(eksRequests).toEqual([]);
  });

  it("exits 2 for a pool the cohort does not have", async () => {
    const result = await runLabkit(["scale", "--cohort", COHORT_FILE, "--pool", "h100", "--to", "zero"], {
      env: DUMMY_AWS_ENV,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no GPU pool `h100`: use one of l40s");
  });
});
