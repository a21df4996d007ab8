import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { validateObject } from "../../charts/validate-object";
import { runLabkit } from "../../harness/run-cli";

const dir = mkdtempSync(join(tmpdir(), "labkit-render-"));
/** The cohort's ECR registry, as `pulumi up` would create it. */
const REGISTRY = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26";
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function objectsOf(file: string) {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS());
}
// biome-ignore lint/suspicious/noExplicitAny: objects parsed from YAML
function tokenOf(objects: any[], learner: string): string {
  return objects.find((o) => o.kind === "Secret" && o.metadata.namespace === `lab-${learner}`).stringData.token;
}

describe("labkit render", () => {
  const first = join(dir, "labs.yaml");

  // labkit-system, model-cache claim, warm-up Job, two pre-pull DaemonSets (no HF token given), 11 per
  // learner, then the controller: 9 objects, a RoleBinding per learner, and its route.
  const expected = 1 + 4 + 24 * 11 + (9 + 24) + 1;
  it("makes an existing, world-readable output file private, and leaves no temporary file behind", async () => {
    const sub = mkdtempSync(join(dir, "existing-"));
    const target = join(sub, "labs.yaml");
    writeFileSync(target, "old\n", { mode: 0o644 });
    const result = await runLabkit([
      "render",
      "tests/fixtures/cohorts/valid-minimal.yaml",
      "--image-registry",
      REGISTRY,
      "-o",
      target,
    ]);
    expect(result.code).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target, "utf8")).toContain("kind: Namespace");
    expect(readdirSync(sub)).toEqual(["labs.yaml"]);
  });

  it("writes every object of the example cohort, the lab-controller included, as YAML that validates against the Kubernetes schemas, in a private file", async () => {
    const result = await runLabkit([
      "render",
      "workshop/cohort.example.yaml",
      "--image-registry",
      REGISTRY,
      "-o",
      first,
      "--artifact-bucket",
      "acme-labkit-artifacts",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `wrote ${expected} objects for 24 learners and 1 instructor (0 tokens kept, 25 generated)`,
    );
    expect(statSync(first).mode & 0o777).toBe(0o600);
    const objects = objectsOf(first);
    expect(objects).toHaveLength(expected);
    for (const object of objects) validateObject(object);
    expect(objects.filter((o) => o.kind === "Namespace" && o.metadata.name === "labkit-system")).toHaveLength(1);
    const deployment = objects.find((o) => o.kind === "Deployment");
    expect(deployment.metadata).toMatchObject({ name: "lab-controller", namespace: "labkit-system" });
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
      name: "LABKIT_ARTIFACT_BUCKET",
      value: "acme-labkit-artifacts",
    });
    const route = objects.find((o) => o.kind === "HTTPRoute" && o.metadata.namespace === "labkit-system");
    expect(route.spec.rules[0].matches.map((m: { path: { value: string } }) => m.path.value)).toEqual([
      "/dashboard/",
      "/api/",
    ]);
    const tokens = new Set(
      objects.filter((o) => o.kind === "Secret" && o.metadata.name === "lab-token").map((o) => o.stringData.token),
    );
    expect(tokens.size).toBe(24);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it("writes each instructor's token in the file's first comment lines and only its sha256 into the controller's Secret", () => {
    const text = readFileSync(first, "utf8");
    const match = /^# instructor-token instructor-maria: ([A-Za-z0-9]{32})$/m.exec(text);
    expect(match).not.toBeNull();
    const token = (match as RegExpExecArray)[1];
    expect(text.indexOf(token)).toBe(text.lastIndexOf(token));
    const secret = objectsOf(first).find((o) => o.kind === "Secret" && o.metadata.name === "lab-controller-tokens");
    const file = JSON.parse(secret.stringData["tokens.json"]);
    expect(file.instructors).toEqual([
      {
        id: "instructor-maria",
        name: expect.any(String),
        tokenSha256: createHash("sha256").update(token).digest("hex"),
      },
    ]);
  });

  it("keeps the tokens of an earlier render with --keep-tokens-from, and applies the gateway flags", async () => {
    const second = join(dir, "labs-2.yaml");
    const result = await runLabkit([
      "render",
      "workshop/cohort.example.yaml",
      "--image-registry",
      REGISTRY,
      "-o",
      second,
      "--keep-tokens-from",
      first,
      "--gateway",
      "edge/shared",
      "--gateway-proxy-namespace",
      "envoy-gateway-system",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("(25 tokens kept, 0 generated)");
    const before = objectsOf(first);
    const after = objectsOf(second);
    const instructorToken = (file: string) =>
      /^# instructor-token instructor-maria: (\S+)$/m.exec(readFileSync(file, "utf8"))?.[1];
    expect(instructorToken(second)).toBe(instructorToken(first));
    const tokensFile = (objects: typeof before) =>
      objects.find((o) => o.kind === "Secret" && o.metadata.name === "lab-controller-tokens").stringData["tokens.json"];
    expect(tokensFile(after)).toBe(tokensFile(before));
    const learner = after
      .find((o) => o.kind === "Namespace" && o.metadata.name.startsWith("lab-"))
      .metadata.name.slice(4);
    expect(tokenOf(after, learner)).toBe(tokenOf(before, learner));
    const route = after.find((o) => o.kind === "HTTPRoute");
    expect(route.spec.parentRefs[0]).toMatchObject({ name: "shared", namespace: "edge" });
    const policy = after.find((o) => o.kind === "NetworkPolicy");
    expect(policy.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      "kubernetes.io/metadata.name": "envoy-gateway-system",
    });
  });

  it("refuses a malformed --gateway and a bad cohort with exit 2", async () => {
    const gateway = await runLabkit([
      "render",
      "workshop/cohort.example.yaml",
      "--image-registry",
      REGISTRY,
      "--gateway",
      "just-a-name",
    ]);
    expect(gateway.code).toBe(2);
    expect(gateway.stderr).toContain("--gateway must be `namespace/name`");
    const cohort = await runLabkit(["render", "tests/fixtures/cohorts/bad-vram-quota.yaml"]);
    expect(cohort.code).toBe(2);
    expect(cohort.stdout).toBe("");
  });

  it("refuses a cohort without an image registry unless --image-registry names one, and puts that registry in every image", async () => {
    const refused = await runLabkit(["render", "workshop/cohort.example.yaml"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("names no image registry");
    expect(refused.stdout).toBe("");
    const images = objectsOf(first)
      .flatMap((o) => o.spec?.template?.spec?.containers ?? [])
      .map((c: { image: string }) => c.image)
      .filter((image: string) => !image.startsWith("registry.k8s.io/")); // the pre-pull DaemonSets' pause container
    expect(images.length).toBeGreaterThan(24);
    for (const image of images) expect(image.startsWith(`${REGISTRY}/`)).toBe(true);
  });
});
