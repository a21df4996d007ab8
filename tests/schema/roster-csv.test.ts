import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCsv, parseRoster } from "../../schema/roster-csv";

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
});
