/**
 * Contract: the images labkit deploys come from a registry that exists and that the nodes can
 * pull from.
 *
 * Rules:
 * - ECR registry URL `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`
 *   (https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html).
 * - CreateRepository `repositoryName`: 2–256 characters matching
 *   `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`
 *   (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html).
 * - Nodes pull from ECR in their account with AmazonEC2ContainerRegistryReadOnly on the node role
 *   (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html), so no pull secret.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { listResources } from "../../infra/list-resources";
import { imageRepositoryNames } from "../../infra/platform/image-repositories";
import { NODE_ROLE_POLICY_ARNS } from "../../infra/platform/node-groups";
import { REPO_ROOT } from "../harness/run-cli";
import { exampleCohort } from "../infra/example-cohort";

/** Top-level folders of the repository that `entry` imports, directly or not (relative imports only). */
function foldersImportedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [resolve(REPO_ROOT, entry)];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
      const base = resolve(dirname(file), spec);
      const target = [`${base}.ts`, join(base, "index.ts"), base].find((f) => existsSync(f) && f.endsWith(".ts"));
      if (target) stack.push(target);
    }
  }
  return new Set([...seen].map((f) => relative(REPO_ROOT, f).split("/")[0]));
}

const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

// biome-ignore lint/suspicious/noExplicitAny: recorded inputs
const imagesOf = (resources: Array<{ inputs: any }>): string[] =>
  JSON.stringify(resources.map((r) => r.inputs))
    .match(/"image":"[^"]+"/g)
    ?.map((m) => m.slice(9, -1)) ?? [];

describe("the controller image", () => {
  it("copies every folder the lab-controller's code imports", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, "images", "controller", "Dockerfile"), "utf8");
    const copied = new Set([...dockerfile.matchAll(/^COPY --chown=\S+ (\S+)\/ \.\//gm)].map((m) => m[1]));
    for (const folder of foldersImportedBy("lab-controller/main.ts")) expect(copied, folder).toContain(folder);
  });
});

describe("the cohort's images", () => {
  it("come from three ECR repositories the program creates when cohort.yaml names no registry, which the nodes may pull", async () => {
    const cohort = exampleCohort();
    expect(cohort.images.registry).toBeUndefined();
    const resources = await listResources(cohort, {
      deployer: { accountId: "210987654321", principalArn: "arn:aws:sts::210987654321:assumed-role/Deployer/s" },
    });
    const repositories = resources.filter((r) => r.type === "aws:ecr/repository:Repository");
    // biome-ignore lint/suspicious/noExplicitAny: recorded inputs
    const names = repositories.map((r) => (r.inputs as any).name as string);
    expect(names.sort()).toEqual(imageRepositoryNames("ft-dec26").sort());
    for (const name of names) {
      expect(name).toMatch(ECR_REPOSITORY_NAME);
      expect(name.length).toBeGreaterThanOrEqual(2);
    }
    const labkitImages = imagesOf(resources).filter((image) => !image.startsWith("registry.k8s.io/"));
    expect(labkitImages.length).toBeGreaterThan(24);
    for (const image of labkitImages) {
      expect(image).toMatch(
        /^210987654321\.dkr\.ecr\.eu-central-1\.amazonaws\.com\/ft-dec26\/(lab|runner|controller):0\.1\.0$/,
      );
    }
    expect(NODE_ROLE_POLICY_ARNS).toContain("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly");
  });

  it("come from the cohort's own registry, with no repositories created, when cohort.yaml names one", async () => {
    const cohort = exampleCohort();
    const resources = await listResources({
      ...cohort,
      images: { ...cohort.images, registry: "registry.example.org/labkit" },
    });
    expect(resources.filter((r) => r.type === "aws:ecr/repository:Repository")).toHaveLength(0);
    for (const image of imagesOf(resources).filter((i) => !i.startsWith("registry.k8s.io/"))) {
      expect(image.startsWith("registry.example.org/labkit/")).toBe(true);
    }
  });
});
