/**
 * The dashboard: a static single-page app the lab-controller serves at `/dashboard/`, next to
 * the API it reads. It has no build step: `public/` holds plain ES modules, and its two libraries,
 * uPlot (charts) and csv-stringify (CSV exports), are served from their installed packages at
 * `/dashboard/vendor/`, so the page needs no CDN and works inside a cluster without internet
 * access. The modules import the libraries by package name (`uplot`), which index.html's import
 * map points at `vendor/`; the same names resolve in Node for the tests and in `tsc` for types.
 *
 * Auth is the API's: the page posts the learner's or instructor's token to `POST /api/v1/login`
 * and every later request (SSE included) carries the HttpOnly session cookie. The static files
 * themselves hold no data and are served to anyone.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** URL prefix the dashboard is served under (the gateway routes it to the controller). */
export const DASHBOARD_PREFIX = "/dashboard/";

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "public");
const requireFromDashboard = createRequire(import.meta.url);
const UPLOT_DIST_DIR = path.join(path.dirname(requireFromDashboard.resolve("uplot/package.json")), "dist");
/** csv-stringify's self-contained browser ES module (its package exports no package.json). */
const CSV_STRINGIFY_BROWSER_MODULE = requireFromDashboard.resolve("csv-stringify/browser/esm/sync");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** One file the dashboard serves: its URL path below the prefix and where it lives on disk. */
export interface DashboardAsset {
  /** Path below `/dashboard/`, e.g. `app.js` or `vendor/uPlot.esm.js`. */
  urlPath: string;
  /** Absolute path of the file on disk. */
  filePath: string;
}

/**
 * Every file the dashboard serves: the files in `public/`, uPlot's ES module and stylesheet, and
 * csv-stringify's browser module.
 * A fixed list (read once at startup) rather than a directory mount, so no request path can
 * reach a file outside it.
 */
export async function listDashboardAssets(): Promise<DashboardAsset[]> {
  const publicFiles = (await readdir(PUBLIC_DIR)).filter((name) => path.extname(name) in CONTENT_TYPES);
  return [
    ...publicFiles.map((name) => ({ urlPath: name, filePath: path.join(PUBLIC_DIR, name) })),
    { urlPath: "vendor/uPlot.esm.js", filePath: path.join(UPLOT_DIST_DIR, "uPlot.esm.js") },
    { urlPath: "vendor/uPlot.min.css", filePath: path.join(UPLOT_DIST_DIR, "uPlot.min.css") },
    { urlPath: "vendor/csv-stringify-sync.js", filePath: CSV_STRINGIFY_BROWSER_MODULE },
  ];
}

/**
 * The page's Content-Security-Policy: its own scripts, styles and API only. `indexHtml`'s inline
 * import map (`<script type="importmap">`) is allowed by its sha256, the one inline script there
 * is; the policy is computed from the file so editing the map cannot silently break the page.
 */
export function contentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1];
  const scriptSources =
    importMap === undefined ? "'self'" : `'self' 'sha256-${createHash("sha256").update(importMap).digest("base64")}'`;
  return `default-src 'self'; script-src ${scriptSources}; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;
}

/**
 * Serve the dashboard on `app`: `/dashboard/` (index.html), `/dashboard/<file>` for the app's
 * modules and styles, `/dashboard/vendor/` for uPlot and csv-stringify, and a redirect from
 * `/dashboard` to `/dashboard/` so relative module URLs resolve.
 */
export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const assets = await listDashboardAssets();
  const bodies = new Map<string, { body: Buffer; contentType: string }>();
  for (const asset of assets) {
    bodies.set(asset.urlPath, {
      body: await readFile(asset.filePath),
      contentType: CONTENT_TYPES[path.extname(asset.filePath)] ?? "application/octet-stream",
    });
  }

  const indexHtml = bodies.get("index.html")?.body.toString("utf8") ?? "";
  const securityHeaders = {
    // The page loads only its own scripts and talks only to its own origin.
    "content-security-policy": contentSecurityPolicy(indexHtml),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // No caching: a redeployed controller must not serve a page that talks to an older API.
    "cache-control": "no-cache",
  };

  app.get(DASHBOARD_PREFIX.slice(0, -1), async (_request, reply) => reply.redirect(DASHBOARD_PREFIX, 301));

  app.get(`${DASHBOARD_PREFIX}*`, async (request, reply) => {
    const wildcard = (request.params as { "*": string })["*"];
    const asset = bodies.get(wildcard === "" ? "index.html" : wildcard);
    if (!asset) {
      return reply.code(404).type("text/plain; charset=utf-8").send(`no dashboard file ${DASHBOARD_PREFIX}${wildcard}`);
    }
    return reply.headers(securityHeaders).type(asset.contentType).send(asset.body);
  });
}
