/**
 * Loads cohort.yaml: YAML with positions → zod validation → a typed `Cohort`, or a
 * `CohortError` that lists every problem as `file:line:column: path: message`. A roster CSV
 * named by `learners.roster` is read here too; the messages come from `cohort-diagnostics.ts`.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type Cohort, CohortFileCheckedSchema, type Person } from "./cohort";
import { CohortError, describeIssues, offsetOf, yamlMessage } from "./cohort-diagnostics";
import { parseRoster, type RosterRow } from "./roster-csv";
import { formatIssuePath } from "./run-spec";

export { CohortError, type CohortProblem, formatProblem } from "./cohort-diagnostics";

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
    const problems = describeIssues(result.error.issues, input);
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
