/**
 * The dashboard plugin without a browser: the Content-Security-Policy lets in index.html's import
 * map (its one inline script) by hash, and every module the map names is served.
 */
import { createHash } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSecurityPolicy, DASHBOARD_PREFIX, registerDashboard } from "../../dashboard/plugin";

const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/;

describe("the dashboard plugin", () => {
  let app: FastifyInstance;
  let indexHtml: string;
  let policy: string;

  beforeAll(async () => {
    app = Fastify();
    await registerDashboard(app);
    const index = await app.inject({ method: "GET", url: DASHBOARD_PREFIX });
    expect(index.statusCode).toBe(200);
    indexHtml = index.body;
    policy = String(index.headers["content-security-policy"]);
  });

  afterAll(async () => {
    await app?.close();
  });

  it("allows index.html's import map by its sha256 and no other inline script", () => {
    const importMap = IMPORT_MAP.exec(indexHtml)?.[1];
    expect(importMap).toBeDefined();
    const hash = createHash("sha256")
      .update(importMap ?? "")
      .digest("base64");
    expect(policy).toContain(`script-src 'self' 'sha256-${hash}';`);
    expect(policy).not.toContain("unsafe-inline");
  });

  it("serves every module the import map names, as JavaScript", async () => {
    const { imports } = JSON.parse(IMPORT_MAP.exec(indexHtml)?.[1] ?? "{}") as { imports: Record<string, string> };
    expect(Object.keys(imports).sort()).toEqual(["csv-stringify/browser/esm/sync", "uplot"]);
    for (const target of Object.values(imports)) {
      const url = new URL(target, `http://dashboard.test${DASHBOARD_PREFIX}`).pathname;
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["content-type"], url).toMatch(/^text\/javascript/);
      expect(response.body, url).toMatch(/export\s*{/);
    }
  });

  it("allows only the page's own scripts when index.html has no import map", () => {
    expect(contentSecurityPolicy("<!doctype html><title>x</title>")).toContain("script-src 'self';");
  });
});
