import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CohortError, parseCohort } from "../../schema/load-cohort";
import { CsvSyntaxError, parseCsv, parseRoster } from "../../schema/roster-csv";

describe("roster CSV", () => {
  it("reads quoted fields with commas, doubled quotes and CRLF line ends", () => {
    const { rows, problems } = parseRoster(
      'id,name,email\r\nada,"Lovelace, Ada",a@x.org\r\nbob,"The ""Builder""",\r\n',
    );
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { person: { id: "ada", name: "Lovelace, Ada", email: "a@x.org" }, line: 2 },
      { person: { id: "bob", name: 'The "Builder"' }, line: 3 },
    ]);
  });

  it("says which line has the wrong number of fields", () => {
    const { problems } = parseRoster("id,name,email\nada,Ada,a@x.org\nbob\n");
    expect(problems).toEqual([
      {
        line: 3,
        column: 1,
        message: "expected 3 fields (id,name,email), found 1; quote a field that contains a comma",
      },
    ]);
  });

  it("refuses a file without the id and name columns", () => {
    const { problems } = parseRoster("learner,fullname\nada,Ada\n");
    expect(problems[0].message).toBe(
      "the roster's header is `learner,fullname`: expected `id,name,email` (email optional)",
    );
  });

  it("round-trips any table of fields written with RFC 4180 quoting", () => {
    const field = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field, field), { minLength: 1, maxLength: 8 }), (table) => {
        const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
        const text = table.map((row) => row.map(quote).join(",")).join("\n");
        expect(parseCsv(text).map((r) => r.fields)).toEqual(table);
      }),
    );
  });

  it("numbers a row by the line it starts on when a quoted field runs over several lines", () => {
    const { rows, problems } = parseRoster('id,name,email\nada,"Ada\nLovelace",a@x.org\nbob,Bob,\n');
    expect(problems).toEqual([]);
    expect(rows.map((r) => [r.person.id, r.line])).toEqual([
      ["ada", 2],
      ["bob", 4],
    ]);
  });

  it("counts a CR LF as one line, inside quotes too, and in a file that mixes line ends", () => {
    const text = 'id,name,email\r\nada,"Ada\r\nLovelace",\r\n\r\nbob,Bob,\ncarl,"C\nM",\r\ndora,Dora,';
    expect(parseCsv(text).map((r) => r.line)).toEqual([1, 2, 5, 6, 8]);
  });

  it("skips a BOM and blank lines, and reads a quoted field after a space", () => {
    const { rows, problems } = parseRoster('\uFEFFid,name,email\n\n   \nada, "Lovelace, Ada" , a@x.org\n');
    expect(problems).toEqual([]);
    expect(rows).toEqual([{ person: { id: "ada", name: "Lovelace, Ada", email: "a@x.org" }, line: 4 }]);
  });

  it("keeps a quote inside an unquoted field as text", () => {
    expect(parseRoster('id,name\nseamus,O"Brien\n').rows[0].person.name).toBe('O"Brien');
  });

  it("points at the line and field where a quote opens and is never closed", () => {
    const { problems } = parseRoster('id,name,email\nada,Ada,\n\nbob,"Bob,\ncarl,Carl,\n');
    expect(problems).toEqual([
      {
        line: 4,
        column: 2,
        message:
          'this field opens a quote that is never closed: end it with `"` (inside quotes, write a quote as `""`)',
      },
    ]);
  });

  it("points at the line where text follows a closing quote", () => {
    expect(() => parseCsv('id,name\nada,"Ada\nL"ovelace\n')).toThrow(CsvSyntaxError);
    const { problems } = parseRoster('id,name\nada,"Ada\nL"ovelace\n');
    expect(problems.map((p) => [p.line, p.column])).toEqual([[3, 2]]);
    expect(problems[0].message).toContain('write each quote inside it as `""`');
  });

  it("reports a cohort problem at the roster's own line after a quoted line break", () => {
    const dir = join(import.meta.dirname, "../fixtures/cohorts");
    const cohortFile = join(dir, "valid-roster.yaml");
    const roster = 'id,name,email\r\nada,"Ada\r\nLovelace",\r\nAda Two,Ada,\r\n';
    try {
      parseCohort(readFileSync(cohortFile, "utf8"), cohortFile, () => roster);
      expect.unreachable("the roster has an invalid id");
    } catch (error) {
      expect(error).toBeInstanceOf(CohortError);
      const problems = (error as CohortError).problems;
      expect(problems.map((p) => `${p.line}:${p.column}: ${p.path}`)).toEqual(["4:1: learners[1].id"]);
      expect(problems[0].file).toMatch(/roster-good\.csv$/);
    }
  });
});
