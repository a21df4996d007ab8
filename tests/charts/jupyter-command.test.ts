import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKSHOP_COPY_SCRIPT } from "../../charts/lab/workshop-content";
import { runProcessSyncForResult } from "../../lib/run-process";
import { runLabkit } from "../harness/run-cli";
import { type RunningJupyter, startJupyterLab } from "./jupyter-server";

const LEARNER = "ada";
const TOKEN = "k3yForAda0123456789abcdefABCDEF0";
const work = mkdtempSync(join(tmpdir(), "labkit-jupyter-"));
let jupyter: RunningJupyter;

/** GET without following redirects. */
function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${jupyter.baseUrl}${path}`, { headers, redirect: "manual", signal: AbortSignal.timeout(15_000) });
}

beforeAll(async () => {
  // The learner's home as the init container leaves it: the workshop copied from the image.
  const image = join(work, "image");
  mkdirSync(join(image, "notebooks"), { recursive: true });
  writeFileSync(
    join(image, "notebooks", "01-welcome.ipynb"),
    JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
  );
  const home = join(work, "home");
  const copy = runProcessSyncForResult("sh", ["-c", WORKSHOP_COPY_SCRIPT], {
    env: { PATH: process.env.PATH, LABKIT_WORKSHOP_SOURCE: image, LABKIT_WORKSHOP_TARGET: join(home, "workshop") },
    extendEnv: false,
  });
  expect(copy.exitCode).toBe(0);
  jupyter = await startJupyterLab(LEARNER, TOKEN, home, home);
}, 120_000);

afterAll(async () => {
  await jupyter?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("a real JupyterLab started with the lab chart's command line", () => {
  it("answers the readiness and liveness probe path `/u/<learner>/api` without a token", async () => {
    const response = await get(`/u/${LEARNER}/api`);
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveProperty("version");
  });

  it("serves JupyterLab under `/u/<learner>/` to a request with the learner's token", async () => {
    const lab = await get(`/u/${LEARNER}/lab?token=${TOKEN}`);
    expect(lab.status).toBe(200);
    expect(await lab.text()).toContain(`"baseUrl": "/u/${LEARNER}/"`);
    const status = await get(`/u/${LEARNER}/api/status`, { Authorization: `token ${TOKEN}` });
    expect(status.status).toBe(200);
  });

  it("refuses requests without the token, or with another token: the API says 403, the page redirects to the login", async () => {
    expect((await get(`/u/${LEARNER}/api/status`)).status).toBe(403);
    expect((await get(`/u/${LEARNER}/api/status`, { Authorization: "token someone-elses-token" })).status).toBe(403);
    const page = await get(`/u/${LEARNER}/lab`);
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toMatch(new RegExp(`^/u/${LEARNER}/login\\?next=`));
  });

  it("sets its login cookie host-only, Secure, HttpOnly, SameSite=Lax and on its own base URL", async () => {
    const lab = await get(`/u/${LEARNER}/lab?token=${TOKEN}`);
    expect(lab.status).toBe(200);
    const login = lab.headers.getSetCookie().find((cookie) => cookie.startsWith("username-"));
    expect(login, lab.headers.getSetCookie().join("\n")).toBeDefined();
    const attributes = (login as string)
      .split(";")
      .slice(1)
      .map((part) => part.trim().toLowerCase());
    expect(attributes).toContain("httponly");
    expect(attributes).toContain("secure");
    expect(attributes).toContain("samesite=lax");
    expect(attributes).toContain(`path=/u/${LEARNER}/`);
    // No Domain attribute: the browser returns the cookie to this lab's host only (RFC 6265 §4.1.2.3).
    expect(attributes.some((a) => a.startsWith("domain="))).toBe(false);
  });

  it("serves nothing outside its base URL", async () => {
    expect((await get(`/lab?token=${TOKEN}`)).status).toBe(404);
    expect((await get(`/u/bob/api`)).status).toBe(404);
  });

  it("lands the learner in the workshop folder, where the notebooks are", async () => {
    const landing = await get(`/u/${LEARNER}/?token=${TOKEN}`);
    expect(landing.status).toBe(302);
    const location = landing.headers.get("location") ?? "";
    expect(location).toMatch(new RegExp(`^/u/${LEARNER}/lab/tree/workshop(\\?|$)`));
    expect((await get(location)).status).toBe(200);
    const listing = await get(`/u/${LEARNER}/api/contents/workshop/notebooks`, { Authorization: `token ${TOKEN}` });
    expect(listing.status).toBe(200);
    const body = (await listing.json()) as { content: Array<{ name: string; type: string }> };
    expect(body.content.map((c) => [c.name, c.type])).toEqual([["01-welcome.ipynb", "notebook"]]);
  });

  it("is what `labkit check` reports ready with the learner's token, and not ready with a stale one", async () => {
    const outputs = (token: string) => {
      const file = join(work, `outputs-${token.length}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          learnerUrls: { [LEARNER]: `${jupyter.baseUrl}/u/${LEARNER}/` },
          learnerTokens: { [LEARNER]: token },
        }),
      );
      return file;
    };
    const good = await runLabkit(["check", "--stack-outputs", outputs(TOKEN)]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("1 of 1 labs ready.");
    const stale = await runLabkit(["check", "--stack-outputs", outputs("stale")]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain("JupyterLab refused the learner's token");
  });
});
