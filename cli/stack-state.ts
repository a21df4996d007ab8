/**
 * The deployed stack's resources and their dependencies, from `pulumi stack export` (or a file
 * of it), reduced to what `labkit destroy-check` needs to reason about destroy order.
 */
import { readFile } from "node:fs/promises";
import type { StackResource } from "../teardown/orphan-check";
import { BadInputError } from "./exit-codes";
import { runPulumi } from "./stack-outputs";

interface ExportedResource {
  urn?: string;
  type?: string;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  outputs?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

/** The resources of a `pulumi stack export` document (version 3 deployments). */
export function stackResourcesFromExport(document: unknown): StackResource[] {
  const resources = (document as { deployment?: { resources?: ExportedResource[] } })?.deployment?.resources;
  if (!Array.isArray(resources)) {
    throw new BadInputError("not a `pulumi stack export` document: it has no deployment.resources");
  }
  return resources
    .filter((r) => typeof r.urn === "string" && typeof r.type === "string")
    .map((r) => {
      const type = r.type as string;
      const state = r.outputs ?? r.inputs ?? {};
      const metadata = state.metadata as { name?: string; namespace?: string } | undefined;
      const kubernetes =
        type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm") && metadata?.name
          ? {
              kind: type.split(":").at(-1) ?? "",
              name: metadata.name,
              ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
            }
          : undefined;
      const addonName =
        type === "aws:eks/addon:Addon" && typeof state.addonName === "string" ? state.addonName : undefined;
      return {
        urn: r.urn as string,
        type,
        dependencies: r.dependencies ?? [],
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
        ...(kubernetes ? { kubernetes } : {}),
        ...(addonName ? { addonName } : {}),
      };
    });
}

/** The stack's resources, or why they could not be read (no Pulumi CLI, no stack). */
export async function readStackResources(source: {
  exportFile?: string;
  stack?: string;
}): Promise<{ found: true; resources: StackResource[] } | { found: false; reason: string }> {
  let text: string;
  if (source.exportFile) {
    try {
      text = await readFile(source.exportFile, "utf8");
    } catch (error) {
      throw new BadInputError(`cannot read the stack export ${source.exportFile}: ${(error as Error).message}`);
    }
  } else {
    const args = ["stack", "export", ...(source.stack ? ["--stack", source.stack] : [])];
    const result = await runPulumi(args, { timeoutMs: 120_000 });
    if (!result.ok) return { found: false, reason: result.reason };
    text = result.stdout;
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new BadInputError(`${source.exportFile ?? "pulumi stack export"} is not JSON`);
  }
  return { found: true, resources: stackResourcesFromExport(document) };
}
