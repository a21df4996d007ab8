/**
 * Reads a roster CSV (`id,name,email`, header first) into people, with errors that name the
 * file and line. The CSV itself is read by csv-parse (RFC 4180: `"Lovelace, Ada"`, `""` for a
 * quote, quoted fields over several lines); this module adds the roster's own line numbers and
 * says what is wrong in roster terms.
 */
import { CsvError, parse } from "csv-parse/sync";
import type { Person } from "./cohort";

export interface RosterRow {
  readonly person: Person;
  /** 1-based line of the row in the file. */
  readonly line: number;
}

export interface RosterProblem {
  /** 1-based line in the file. */
  readonly line: number;
  /** 1-based field of the row (the table's column). */
  readonly column: number;
  readonly message: string;
}

/** One CSV record: its fields, and the line it starts on. */
export interface CsvRow {
  /** 1-based line of the record's first field; a quoted field may continue on later lines. */
  readonly line: number;
  readonly fields: string[];
}

/** CSV that cannot be read as a table (a quote never closed, text after a closing quote). */
export class CsvSyntaxError extends Error {
  constructor(
    /** 1-based line in the file. */
    readonly line: number,
    /** 1-based field of the row. */
    readonly column: number,
    message: string,
  ) {
    super(message);
    this.name = "CsvSyntaxError";
  }
}

/**
 * Split CSV text into records of fields, each with the line it starts on. A leading BOM and
 * blank lines are skipped, whitespace around a field is dropped (not inside quotes), a quote
 * inside an unquoted field is kept as text (`O"Brien`), and a record may have any number of
 * fields: the caller says which count is wrong. Throws `CsvSyntaxError` on malformed quoting.
 */
export function parseCsv(text: string): CsvRow[] {
  // csv-parse counts a CR LF inside a quoted field as two lines, and expects one kind of line
  // end per file; with LF alone, its line count is the file's own line numbers.
  const body = text.replace(/\r\n?/g, "\n");
  const rows: CsvRow[] = [];
  let lastLine = 0;
  try {
    parse(body, {
      bom: true,
      record_delimiter: "\n",
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      on_record: (fields: string[], context) => {
        // `context.lines` is the record's last line; its quoted line breaks lead back to the first.
        const breaks = fields.reduce((n, field) => n + field.split("\n").length - 1, 0);
        rows.push({ line: context.lines - breaks, fields });
        lastLine = context.lines;
        return null;
      },
    });
  } catch (error) {
    if (error instanceof CsvError) throw syntaxError(error, body, lastLine);
    throw error;
  }
  return rows;
}

/** csv-parse's error as a position in the roster and a sentence about what to change. */
function syntaxError(error: CsvError, body: string, lastLine: number): CsvSyntaxError {
  const field = typeof error.column === "number" ? error.column + 1 : 1;
  const line = typeof error.lines === "number" ? error.lines : lastLine + 1;
  if (error.code === "CSV_QUOTE_NOT_CLOSED") {
    // csv-parse reports the end of the file; the open quote is in the record after the last one read.
    const lines = body.split("\n");
    let start = lastLine + 1;
    while (start < lines.length && lines[start - 1].trim() === "") start++;
    return new CsvSyntaxError(
      start,
      field,
      'this field opens a quote that is never closed: end it with `"` (inside quotes, write a quote as `""`)',
    );
  }
  if (error.code === "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE" || error.code === "CSV_INVALID_CLOSING_QUOTE") {
    return new CsvSyntaxError(
      line,
      field,
      'text follows the closing `"` of a quoted field: quote the whole field and write each quote inside it as `""`, e.g. `"The ""Builder"""`',
    );
  }
  return new CsvSyntaxError(line, field, `cannot read the CSV: ${error.message}`);
}

/** Parse roster CSV text; returns the rows and every problem found (never throws). */
export function parseRoster(text: string): { rows: RosterRow[]; problems: RosterProblem[] } {
  const problems: RosterProblem[] = [];
  let table: CsvRow[];
  try {
    table = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    return { rows: [], problems: [{ line: error.line, column: error.column, message: error.message }] };
  }
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
