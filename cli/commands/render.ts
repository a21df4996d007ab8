/**
 * `labkit render FILE`: every Kubernetes object of the cohort's labs, warm start and lab-controller
 * as YAML, for teams that apply manifests themselves instead of running Pulumi. Learner and
 * instructor tokens are generated here (or kept from an earlier render), so the output holds
 * secrets: learner tokens in their labs' Secrets, instructor tokens in comments at the top of the
 * file (the cluster gets only their sha256).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { DEFAULT_LAB_PLATFORM, type LabPlatform } from "../../charts/lab/lab-options";
import { LAB_TOKEN_SECRET } from "../../charts/lab/token-secret";
import { LABELS } from "../../charts/names";
import { renderCohort } from "../../charts/render-cohort";
import { toPortableYamlStream } from "../../lib/portable-yaml";
import { writeFileAtomic } from "../../lib/write-file-atomic";
import { loadCohort } from "../../schema/load-cohort";
import { BadInputError } from "../exit-codes";

const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random token of `length` letters and digits (rejection sampling keeps every character equally likely). */
export function generateToken(length = 32): string {
  let token = "";
  while (token.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && token.length < length) token += TOKEN_ALPHABET[byte % 62];
    }
  }
  return token;
}

/** Learner tokens found in a YAML file written by an earlier `labkit render`, by learner id. */
export function tokensFromRender(text: string, file: string): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const doc of parseAllDocuments(text)) {
    if ("errors" in doc && doc.errors.length > 0) {
      throw new BadInputError(
        `${file} is not valid YAML (${doc.errors[0].message}); pass a file written by \`labkit render\``,
      );
    }
    const object = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string; labels?: Record<string, string> };
      stringData?: Record<string, string>;
      data?: Record<string, string>;
    } | null;
    if (object?.kind !== "Secret" || object.metadata?.name !== LAB_TOKEN_SECRET.name) continue;
    const learner = object.metadata?.labels?.[LABELS.learner];
    const token =
      object.stringData?.[LAB_TOKEN_SECRET.key] ??
      (object.data?.[LAB_TOKEN_SECRET.key]
        ? Buffer.from(object.data[LAB_TOKEN_SECRET.key], "base64").toString("utf8")
        : undefined);
    if (learner && token) tokens.set(learner, token);
  }
  return tokens;
}

/** Marks an instructor's token in the YAML's leading comments: `# instructor-token <id>: <token>`. */
const INSTRUCTOR_TOKEN_COMMENT = "# instructor-token";

/** The leading comment lines of a rendered file: what it holds, and each instructor's token. */
export function instructorTokensComment(tokens: ReadonlyMap<string, string>): string {
  const lines = [
    "# Written by `labkit render`: it holds every learner's and instructor's token; keep it private.",
    "# Instructors sign in to the dashboard (<base URL>/dashboard/) and the API (/api/) with these tokens;",
    "# the cluster stores only their sha256.",
    ...[...tokens].map(([id, token]) => `${INSTRUCTOR_TOKEN_COMMENT} ${id}: ${token}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Instructor tokens found in the leading comments of an earlier render, by instructor id. */
export function instructorTokensFromRender(text: string): Map<string, string> {
  const tokens = new Map<string, string>();
  const pattern = /^# instructor-token ([a-z0-9-]+): ([A-Za-z0-9]+)[ \t]*$/gm;
  for (const match of text.matchAll(pattern)) tokens.set(match[1], match[2]);
  return tokens;
}

export function registerRender(program: Command): void {
  program
    .command("render")
    .description(
      "write every Kubernetes object of the cohort's labs, warm start and lab-controller as YAML (for teams that don't use Pulumi)",
    )
    .argument("<file>", "path of cohort.yaml")
    .option("-o, --output <file>", "write the YAML here (created private, mode 600) instead of standard output")
    .option(
      "--keep-tokens-from <file>",
      "reuse the learner and instructor tokens of an earlier render's YAML (new people get new tokens)",
    )
    .option(
      "--artifact-bucket <name>",
      "S3 bucket of datasets and adapters the controller uses (without one it refuses uploads and artifact links)",
    )
    .option(
      "--gateway <namespace/name>",
      "Gateway the routes attach to",
      `${DEFAULT_LAB_PLATFORM.gateway.namespace}/${DEFAULT_LAB_PLATFORM.gateway.name}`,
    )
    .option(
      "--gateway-listener <name>",
      "listener (sectionName) of the Gateway",
      DEFAULT_LAB_PLATFORM.gateway.sectionName,
    )
    .option(
      "--gateway-proxy-namespace <namespace>",
      "namespace of the gateway's proxy pods, the only ones allowed to reach a lab",
      DEFAULT_LAB_PLATFORM.gatewayProxyNamespace,
    )
    .option(
      "--image-registry <path>",
      "registry path of the lab, runner and controller images, when cohort.yaml names none (`images.registry`), e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26",
    )
    .option(
      "--home-storage-class <name>",
      "StorageClass of the learners' home volumes",
      DEFAULT_LAB_PLATFORM.homeStorageClassName,
    )
    .option(
      "--model-cache-storage-class <name>",
      "StorageClass of the shared model cache (every claim must reach the same directory)",
      DEFAULT_LAB_PLATFORM.modelCacheStorageClassName,
    )
    .addHelpText(
      "after",
      "\nThe YAML holds each learner's token, and each instructor's token in its first comment lines: keep it\nprivate. Render again with --keep-tokens-from to keep the tokens people already have.\n\nExample:\n  labkit render workshop/cohort.example.yaml -o labs.yaml && kubectl apply -f labs.yaml",
    )
    .action(
      async (
        file: string,
        options: {
          output?: string;
          keepTokensFrom?: string;
          artifactBucket?: string;
          gateway: string;
          gatewayListener?: string;
          gatewayProxyNamespace: string;
          homeStorageClass: string;
          modelCacheStorageClass: string;
          imageRegistry?: string;
        },
      ) => {
        const loaded = loadCohort(file);
        const registry = loaded.images.registry ?? options.imageRegistry;
        if (registry === undefined) {
          throw new BadInputError(
            `${file} names no image registry and render cannot create one: set \`images.registry\` in the cohort, or pass --image-registry (where you pushed the lab, runner and controller images, docs/images.md)`,
          );
        }
        const cohort = { ...loaded, images: { ...loaded.images, registry } };
        const [gatewayNamespace, gatewayName, ...extra] = options.gateway.split("/");
        if (!gatewayName || extra.length > 0) {
          throw new BadInputError(
            `--gateway must be \`namespace/name\`, e.g. \`labkit-gateway/labkit\`; got \`${options.gateway}\``,
          );
        }
        const platform: LabPlatform = {
          ...DEFAULT_LAB_PLATFORM,
          gateway: { name: gatewayName, namespace: gatewayNamespace, sectionName: options.gatewayListener },
          gatewayProxyNamespace: options.gatewayProxyNamespace,
          homeStorageClassName: options.homeStorageClass,
          modelCacheStorageClassName: options.modelCacheStorageClass,
        };
        let kept = new Map<string, string>();
        let keptInstructors = new Map<string, string>();
        if (options.keepTokensFrom) {
          let text: string;
          try {
            text = readFileSync(options.keepTokensFrom, "utf8");
          } catch (error) {
            throw new BadInputError(
              `cannot read ${options.keepTokensFrom} (${(error as NodeJS.ErrnoException).code}): pass the YAML of an earlier \`labkit render\``,
            );
          }
          kept = tokensFromRender(text, options.keepTokensFrom);
          keptInstructors = instructorTokensFromRender(text);
        }
        const tokens = new Map(cohort.learners.map((l) => [l.id, kept.get(l.id) ?? generateToken()]));
        const instructorTokens = new Map(
          cohort.instructors.map((p) => [p.id, keptInstructors.get(p.id) ?? generateToken()]),
        );
        const objects = renderCohort(cohort, {
          platform,
          tokens,
          instructorTokens,
          bucketName: options.artifactBucket,
        });
        const yaml = instructorTokensComment(instructorTokens) + toPortableYamlStream(objects);
        const people = [...cohort.learners, ...cohort.instructors];
        const keptCount = people.filter((p) => kept.has(p.id) || keptInstructors.has(p.id)).length;
        const summary = `${objects.length} objects for ${cohort.learners.length} learners and ${cohort.instructors.length} instructor${cohort.instructors.length === 1 ? "" : "s"} (${keptCount} tokens kept, ${people.length - keptCount} generated)`;
        if (options.output) {
          await writeFileAtomic(options.output, yaml, 0o600);
          process.stderr.write(
            `wrote ${summary} to ${options.output}; it holds every learner's and instructor's token: keep it private\n`,
          );
        } else {
          process.stdout.write(yaml);
          process.stderr.write(
            `rendered ${summary}; the YAML holds every learner's and instructor's token: keep it private\n`,
          );
        }
      },
    );
}
