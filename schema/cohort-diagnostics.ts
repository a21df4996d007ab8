/**
 * Diagnostics for cohort.yaml: zod issues turned into sentences a person can act on (the
 * union branch that fits, "did you mean" for unknown keys, what was expected and found),
 * source positions of YAML paths, and the `file:line:column: path: message` format.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import type { z } from "zod";
import { CohortFileSchema } from "./cohort-shape";
import { formatIssuePath } from "./run-spec";

/** One thing wrong with the input: where it is and what to change. */
export interface CohortProblem {
  /** File the problem is in (cohort.yaml or the roster CSV), as the user named it. */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** YAML path such as `learners[3].id`, or `(root)`. */
  readonly path: string;
  readonly message: string;
}

/** Bad input: the CLI prints every problem and exits 2. */
export class CohortError extends Error {
  constructor(readonly problems: CohortProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "CohortError";
  }
}

/** A problem as `file:line:column: path: message` (`file: path: message` without a position). */
export function formatProblem(p: CohortProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.path}: ${p.message}`;
}

/** A YAML parser error as a sentence that says what to do. */
export function yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0];
  if (code === "DUPLICATE_KEY") return `${first}: remove or rename the second one`;
  if (code === "TAB_AS_INDENT") return `${first}: indent with spaces, not tabs`;
  return `YAML syntax error: ${first}`;
}

type Issue = z.core.$ZodIssue;

/** Every issue of a failed cohort parse, described for a person, in the order zod found them. */
export function describeIssues(issues: readonly Issue[], input: unknown): DescribedIssue[] {
  return dropMissingKeysExplainedAsTypos(expandIssues(issues).flatMap((issue) => describeIssue(issue, input)));
}

/** Replace each union failure by the issues of the branch that matched the input's shape best. */
function expandIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // A branch whose only complaint is the root type is the wrong branch for this input.
      const relevant = issue.errors.filter(
        (branch) => !branch.every((b) => b.code === "invalid_type" && b.path.length === 0),
      );
      const best = relevant.length > 0 ? relevant.reduce((a, b) => (b.length < a.length ? b : a)) : undefined;
      if (best) {
        out.push(...expandIssues(best, path));
        continue;
      }
    }
    out.push({ ...issue, path } as Issue);
  }
  return out;
}

/** A zod issue as a person should read it: the path to point at and what to change. */
export interface DescribedIssue {
  path: PropertyKey[];
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  keyItself?: boolean;
  /** For a missing key: its name. */
  missingKey?: string;
  /** For an unknown key: the known key it is probably a typo of. */
  typoOf?: string;
}

/** "unknown key `learnes`: did you mean `learners`?" already explains the missing `learners`. */
function dropMissingKeysExplainedAsTypos(problems: DescribedIssue[]): DescribedIssue[] {
  const parentOf = (p: DescribedIssue) => formatIssuePath(p.missingKey ? p.path : p.path.slice(0, -1));
  const typos = new Set(problems.filter((p) => p.typoOf).map((p) => `${parentOf(p)}|${p.typoOf}`));
  return problems.filter((p) => !(p.missingKey && typos.has(`${parentOf(p)}|${p.missingKey}`)));
}

function describeIssue(issue: Issue, input: unknown): DescribedIssue[] {
  const path = [...issue.path];
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(CohortFileSchema, path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      const hint = suggestion ? `did you mean \`${suggestion}\`?` : `known keys here: ${known.join(", ")}`;
      return { path: [...path, key], message: `unknown key \`${key}\`: ${hint}`, keyItself: true, typoOf: suggestion };
    });
  }
  if (issue.code === "invalid_type" || issue.code === "invalid_union") {
    const value = valueAt(input, path);
    if (value === undefined) {
      const expected = issue.code === "invalid_type" ? article(issue.expected) : "a value";
      const key = path[path.length - 1];
      return [
        {
          path: path.slice(0, -1),
          message: `missing required key \`${String(key)}\` (expected ${expected})`,
          missingKey: String(key),
        },
      ];
    }
    if (issue.code === "invalid_type") {
      return [{ path, message: `expected ${article(issue.expected)}, found ${describeValue(value)}` }];
    }
  }
  if (issue.code === "invalid_value") {
    const options = issue.values.map((v) => `\`${String(v)}\``).join(", ");
    return [{ path, message: `\`${String(valueAt(input, path))}\` is not allowed here: use one of ${options}` }];
  }
  if ((issue.code === "too_small" || issue.code === "too_big") && /^Too (small|big)/.test(issue.message)) {
    const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
    const word = issue.code === "too_small" ? "at least" : "at most";
    const value = valueAt(input, path);
    const subject =
      issue.origin === "array"
        ? `${word} ${String(bound)} item(s)`
        : issue.origin === "string"
          ? `${word} ${String(bound)} characters`
          : `${word} ${String(bound)}`;
    return [
      {
        path,
        message: `must be ${subject}, found ${Array.isArray(value) ? `${value.length} item(s)` : describeValue(value)}`,
      },
    ];
  }
  return [{ path, message: issue.message }];
}

function article(expected: string): string {
  const names: Record<string, string> = {
    object: "a mapping",
    array: "a list",
    string: "a string",
    number: "a number",
    boolean: "true or false",
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string \`${value}\``;
  return `\`${String(value)}\``;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The object keys a zod schema accepts at a path (for "did you mean"). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const candidates = objectShapesAt(schema, path);
  return [...new Set(candidates.flatMap((shape) => Object.keys(shape)))];
}

function objectShapesAt(schema: z.ZodType, path: readonly PropertyKey[]): Array<Record<string, z.ZodType>> {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return objectShapesAt(def.innerType as z.ZodType, path);
    case "pipe":
      return objectShapesAt(def.in as z.ZodType, path);
    case "union":
      return (def.options as z.ZodType[]).flatMap((o) => objectShapesAt(o, path));
    case "array":
      return path.length === 0 ? [] : objectShapesAt(def.element as z.ZodType, path.slice(1));
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      if (path.length === 0) return [shape];
      const next = shape[String(path[0])];
      return next ? objectShapesAt(next, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

/** Closest known key by edit distance, if it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Source offset of the node at a path (or of its key), walking as far as the document goes. */
export function offsetOf(root: unknown, path: readonly PropertyKey[], keyItself: boolean): number | undefined {
  let node = root as Node | null | undefined;
  let offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key),
      );
      if (!pair) return offset;
      const isLast = i === path.length - 1;
      const keyRange = (pair.key as { range?: [number, number, number] }).range;
      if (isLast && keyItself) return keyRange?.[0] ?? offset;
      node = pair.value as Node | null;
      offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? keyRange?.[0] ?? offset;
    } else if (isSeq(node) && typeof key === "number") {
      const item = node.items[key] as Node | undefined;
      if (!item) return offset;
      node = item;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}
