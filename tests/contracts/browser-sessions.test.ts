/**
 * Contract: what a real browser (Debian's Chromium) does with the controller's session cookie and
 * the Origin check, the rules lab-controller/server/authenticate.ts relies on:
 *
 * - RFC 6265bis-12 §4.1.3.2: a cookie named `__Host-…` is accepted only with `Secure`, `Path=/`
 *   and no `Domain`, so it is host-only and no other host can set it.
 *   https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis-12#section-4.1.3.2
 * - Fetch standard §3.1 (`Origin` header) and §4.1 (main fetch, "append a request `Origin`
 *   header"): a browser sends `Origin` on every request whose method is neither GET nor HEAD,
 *   same-origin ones included. https://fetch.spec.whatwg.org/#origin-header
 *
 * Chromium treats `localhost` and `*.localhost` as loopback and as secure contexts, so
 * `http://localhost:<port>` stands in for the dashboard's host and `http://ada.localhost:<port>`
 * for a learner's lab host, without TLS or DNS.
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunStore } from "../../lab-controller/store/run-store";
import { launchChromium } from "../dashboard/browser";
import {
  type ControllerFixture,
  createTlsControllerApp,
  startControllerFixture,
  TOKENS,
} from "../lab-controller/controller-fixture";

let f: ControllerFixture;
let app: FastifyInstance;
let store: RunStore;
let browser: Browser;
let port: number;
const publicOrigins: string[] = [];

beforeAll(async () => {
  f = await startControllerFixture({ gpuNodes: 1 });
  // As with a domain: TLS at the load balancer, so the cookie is `__Host-` and `Secure`.
  ({ app, store } = await createTlsControllerApp(f, publicOrigins));
  await app.listen({ host: "127.0.0.1", port: 0 });
  port = (app.server.address() as AddressInfo).port;
  publicOrigins.push(`http://localhost:${port}`);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  store?.close();
  await f?.close();
});

describe("Chromium and the controller's session", () => {
  it("keeps the `__Host-` session cookie host-only and Secure, and sends Origin on a same-origin POST", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dashboard = `http://localhost:${port}`;
    await page.goto(`${dashboard}/healthz`);
    const origins: Array<Promise<string | undefined>> = [];
    page.on("request", (request) => {
      if (request.method() === "POST") origins.push(request.allHeaders().then((h) => h.origin));
    });
    const login = await page.evaluate(async (token) => {
      const r = await fetch("/v1/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      return r.status;
    }, TOKENS.ada);
    expect(login).toBe(200);
    const cookies = await context.cookies(dashboard);
    expect(cookies.map((c) => [c.name, c.domain, c.path, c.secure, c.httpOnly, c.sameSite])).toEqual([
      ["__Host-labkit_session", "localhost", "/", true, true, "Strict"],
    ]);
    // The Origin check passes for the dashboard's own page: the browser sent its origin.
    const logout = await page.evaluate(async () => (await fetch("/v1/logout", { method: "POST" })).json());
    expect(logout).toEqual({ ok: true, ended: true });
    expect(await Promise.all(origins)).toEqual([dashboard, dashboard]);
    await context.close();
  });

  it("lets a page on a lab host neither plant the dashboard's `__Host-` cookie nor use the real one", async () => {
    const context = await browser.newContext();
    const dashboardPage = await context.newPage();
    const dashboard = `http://localhost:${port}`;
    await dashboardPage.goto(`${dashboard}/healthz`);
    await dashboardPage.evaluate(async (token) => {
      await fetch("/v1/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
    }, TOKENS.ada);
    const [real] = await context.cookies(dashboard);

    const labPage = await context.newPage();
    await labPage.goto(`http://ada.localhost:${port}/healthz`);
    const refused = await labPage.evaluate(async (url) => {
      // Cookie tossing: a `Domain=localhost` cookie would be sent to the dashboard's host.
      document.cookie = "__Host-labkit_session=planted; Path=/; Secure; Domain=localhost";
      document.cookie = "__Host-labkit_session=planted; Path=/; Secure";
      // A cross-origin POST that would end the dashboard's session if it were obeyed.
      const r = await fetch(`${url}/v1/logout`, { method: "POST", credentials: "include", mode: "no-cors" });
      return r.type;
    }, dashboard);
    expect(refused).toBe("opaque");
    const after = await context.cookies(dashboard);
    expect(after.filter((c) => c.name === "__Host-labkit_session").map((c) => c.value)).toEqual([real.value]);
    const me = await dashboardPage.evaluate(async () => (await fetch("/v1/me")).status);
    expect(me, "the lab page's cross-origin POST must not have ended the session").toBe(200);
    await context.close();
  });
});
