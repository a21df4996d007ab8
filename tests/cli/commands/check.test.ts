import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../../../lib/map-with-concurrency";
import { runLabkit } from "../../harness/run-cli";

const dir = mkdtempSync(join(tmpdir(), "labkit-check-"));
const servers: Server[] = [];
let base = "";
let closedPort = 0;

/** One local HTTP server playing the gateway: each learner path answers as that lab would. */
beforeAll(async () => {
  const gateway = createServer((request, response) => {
    const url = request.url ?? "";
    const auth = request.headers.authorization;
    if (url === "/u/ada/api/status" && auth === "token ada-token") {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end('{"started":"2026-12-07T07:00:00Z","kernels":0}');
    } else if (url === "/u/bob/api/status") {
      response.writeHead(403).end();
    } else if (url === "/u/cleo/api/status") {
      // A lab that accepts the connection but never answers.
    } else if (url === "/u/dan/api/status") {
      response.writeHead(503).end("no healthy upstream");
    } else if (url === "/dashboard/") {
      response.writeHead(200).end("<html>dashboard</html>");
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  servers.push(gateway);
  const address = gateway.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const closedAddress = closed.address();
  closedPort = typeof closedAddress === "object" && closedAddress ? closedAddress.port : 0;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(() => {
  for (const server of servers) server.closeAllConnections();
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeOutputs(learners: Record<string, string>, tokens: Record<string, string>, dashboardUrl?: string): string {
  const file = join(dir, `outputs-${Object.keys(learners).join("-")}.json`);
  writeFileSync(
    file,
    JSON.stringify({ learnerUrls: learners, learnerTokens: tokens, ...(dashboardUrl ? { dashboardUrl } : {}) }),
  );
  return file;
}

describe("labkit check", () => {
  it("exits 0 when every lab and the controller answer", async () => {
    const file = writeOutputs({ ada: `${base}/u/ada/` }, { ada: "ada-token" }, `${base}/dashboard/`);
    const result = await runLabkit(["check", "--stack-outputs", file]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("1 of 1 labs ready.");
    expect(result.stdout).toContain("Controller: ready.");
  });

  it("names every lab that is not ready and why: refused token, no answer in time, gateway error, nothing listening; exits 1", async () => {
    const file = writeOutputs(
      {
        ada: `${base}/u/ada/`,
        bob: `${base}/u/bob/`,
        cleo: `${base}/u/cleo/`,
        dan: `${base}/u/dan/`,
        eve: `http://127.0.0.1:${closedPort}/u/eve/`,
      },
      { ada: "ada-token", bob: "bob-token", cleo: "cleo-token", dan: "dan-token", eve: "eve-token" },
      `${base}/dashboard/`,
    );
    const started = Date.now();
    const result = await runLabkit(["check", "--stack-outputs", file, "--timeout-ms", "1500", "--concurrency", "5"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("1 of 5 labs ready.");
    const lines = result.stdout.split("\n");
    const row = (learner: string) => lines.find((l) => l.startsWith(`lab ${learner} `)) ?? "";
    expect(row("ada")).toBe("");
    expect(row("bob")).toContain("JupyterLab refused the learner's token");
    expect(row("cleo")).toContain("no answer within 1500 ms");
    expect(row("dan")).toMatch(/503\s+the gateway has no ready lab behind this URL/);
    expect(row("eve")).toContain("cannot connect (ECONNREFUSED)");
    expect(result.stderr).toContain("error: 4 of 6 checks not ready");
    // The probes run in parallel: one timeout, not a sum of them.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reports the controller as not ready when the dashboard route is missing, in JSON with --json", async () => {
    const file = writeOutputs({ ada: `${base}/u/ada/` }, { ada: "ada-token" }, `${base}/no-dashboard/`);
    const result = await runLabkit(["check", "--stack-outputs", file, "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ready).toBe(false);
    expect(report.results[0]).toMatchObject({ target: "controller", ready: false, status: 404 });
    expect(report.results[1]).toMatchObject({ target: "lab ada", ready: true, status: 200 });
  });

  it("refuses a timeout that is not a positive whole number with exit 2", async () => {
    const file = writeOutputs({ ada: `${base}/u/ada/` }, { ada: "ada-token" });
    const result = await runLabkit(["check", "--stack-outputs", file, "--timeout-ms", "soon"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--timeout-ms must be a positive whole number");
  });
});

describe("mapWithConcurrency", () => {
  it("never runs more than the limit at once, and keeps results in input order", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 5));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });
});
