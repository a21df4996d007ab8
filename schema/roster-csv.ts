/**
 * Reads a roster CSV (`id,name,email`, header first) into people, with errors that name the
 * file and line. Quoted fields (RFC 4180: `"Lovelace, Ada"`, `""` for a quote) are supported.
 */
import type { Person } from "./cohort";

export interface RosterRow {
  readonly person: Person;
  /** 1-based line of the row in the file. */
  readonly line: number;
}

export interface RosterProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Split CSV text into rows of fields, remembering each row's first line. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      fieldStarted = false;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && body[i + 1] === "\n") i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== "") rows.push({ line: rowLine, fields });
      fields = [];
      field = "";
      fieldStarted = false;
      line++;
      rowLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    rows.push({ line: rowLine, fields });
  }
  return rows;
}

/** Parse roster CSV text; returns the rows and every problem found (never throws). */
export function parseRoster(text: string): { rows: RosterRow[]; problems: RosterProblem[] } {
  const problems: RosterProblem[] = [];
  const table = parseCsv(text);
  if (table.length === 0) {
    return {
      rows: [],
      problems: [
        {
          line: 1,
          column: 1,
          message: "the roster is empty: expected a header `id,name,email` and one row per learner",
        },
      ],
    };
  }
  const header = table[0].fields.map((h) => h.trim().toLowerCase());
  const column = (name: string) => header.indexOf(name);
  const idCol = column("id");
  const nameCol = column("name");
  const emailCol = column("email");
  if (idCol < 0 || nameCol < 0) {
    return {
      rows: [],
      problems: [
        {
          line: table[0].line,
          column: 1,
          message: `the roster's header is \`${table[0].fields.join(",")}\`: expected \`id,name,email\` (email optional)`,
        },
      ],
    };
  }
  const rows: RosterRow[] = [];
  for (const { line, fields } of table.slice(1)) {
    if (fields.length !== header.length) {
      problems.push({
        line,
        column: 1,
        message: `expected ${header.length} fields (${header.join(",")}), found ${fields.length}; quote a field that contains a comma`,
      });
      continue;
    }
    const id = fields[idCol].trim();
    const name = fields[nameCol].trim();
    const email = emailCol >= 0 ? fields[emailCol].trim() : "";
    if (!name) {
      problems.push({ line, column: nameCol + 1, message: `learner \`${id}\` has no name` });
      continue;
    }
    rows.push({ person: email ? { id, name, email } : { id, name }, line });
  }
  if (rows.length === 0 && problems.length === 0) {
    problems.push({ line: table[0].line, column: 1, message: "the roster has a header but no learners" });
  }
  return { rows, problems };
}
