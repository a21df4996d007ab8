/**
 * Loads cohort.yaml: YAML with positions → zod validation → a typed `Cohort`, or a
 * `CohortError` that lists every problem as `file:line:column: path: message`.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { type Cohort, CohortFileCheckedSchema, CohortFileSchema, type Person } from "./cohort";
import { parseRoster, type RosterRow } from "./roster-csv";
import { formatIssuePath } from "./run-spec";

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

export function formatProblem(p: CohortProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.path}: ${p.message}`;
}

/** Read and validate a cohort file. Throws `CohortError` on any problem. */
export function loadCohort(file: string): Cohort {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String((error as Error).message);
    throw new CohortError([
      {
        file,
        path: "(root)",
        message: `cannot read the cohort file (${reason}); pass the path of your cohort.yaml, e.g. workshop/cohort.example.yaml`,
      },
    ]);
  }
  return parseCohort(text, file);
}

/**
 * Validate cohort YAML text. `file` names it in messages and anchors a relative roster path.
 * `readRoster` is injectable for tests; by default it reads the file system.
 */
export function parseCohort(
  text: string,
  file: string,
  readRoster: (path: string) => string = (path) => readFileSync(path, "utf8"),
): Cohort {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CohortError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: "(yaml)", message: yamlMessage(e.code, e.message) };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new CohortError([
      {
        file,
        line: 1,
        column: 1,
        path: "(root)",
        message:
          "expected a mapping of cohort fields (name, schedule, cloud, gpuPools, ...); see workshop/cohort.example.yaml",
      },
    ]);
  }
  const locate = (path: readonly PropertyKey[], keyItself = false) => {
    const offset = offsetOf(doc.contents, path, keyItself);
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  const input = raw as Record<string, unknown>;
  let roster: { path: string; rows: RosterRow[] } | undefined;
  const learners = input.learners;
  if (learners && typeof learners === "object" && !Array.isArray(learners) && "roster" in learners) {
    const rosterName = (learners as { roster: unknown }).roster;
    if (typeof rosterName === "string" && rosterName.length > 0) {
      const rosterPath = isAbsolute(rosterName) ? rosterName : resolve(dirname(file), rosterName);
      const shownPath = isAbsolute(rosterName) ? rosterName : relative(process.cwd(), rosterPath) || rosterPath;
      let rosterText: string;
      try {
        rosterText = readRoster(rosterPath);
      } catch {
        throw new CohortError([
          {
            file,
            ...locate(["learners", "roster"]),
            path: "learners.roster",
            message: `roster file \`${rosterName}\` not found (looked for ${rosterPath}): create it as CSV with the header \`id,name,email\`, or list learners inline under \`learners\``,
          },
        ]);
      }
      const parsed = parseRoster(rosterText);
      if (parsed.problems.length > 0) {
        throw new CohortError(
          parsed.problems.map((p) => ({
            file: shownPath,
            line: p.line,
            column: p.column,
            path: "learners",
            message: p.message,
          })),
        );
      }
      roster = { path: shownPath, rows: parsed.rows };
      input.learners = parsed.rows.map((r) => r.person);
    }
  }

  const result = CohortFileCheckedSchema.safeParse(input);
  if (!result.success) {
    const problems = dropMissingKeysExplainedAsTypos(
      expandIssues(result.error.issues).flatMap((issue) => describeIssue(issue, input)),
    );
    throw new CohortError(
      problems.map(({ path, message, keyItself }) => {
        if (roster && path[0] === "learners" && typeof path[1] === "number") {
          const row = roster.rows[path[1]];
          return { file: roster.path, line: row?.line, column: 1, path: formatIssuePath(path), message };
        }
        return { file, ...locate(path, keyItself), path: formatIssuePath(path), message };
      }),
    );
  }
  const cohort = result.data;
  return {
    ...cohort,
    learners: cohort.learners as Person[],
    rosterSource: roster ? roster.path : "inline",
  };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0];
  if (code === "DUPLICATE_KEY") return `${first}: remove or rename the second one`;
  if (code === "TAB_AS_INDENT") return `${first}: indent with spaces, not tabs`;
  return `YAML syntax error: ${first}`;
}

type Issue = z.core.$ZodIssue;

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

interface DescribedIssue {
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
function offsetOf(root: unknown, path: readonly PropertyKey[], keyItself: boolean): number | undefined {
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
