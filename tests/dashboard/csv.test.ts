/**
 * The dashboard's CSV exports (dashboard/public/csv.js, csv-stringify's browser build) in Node:
 * RFC 4180 quoting, and text that a spreadsheet would run as a formula written as text
 * (https://owasp.org/www-community/attacks/CSV_Injection).
 */

import { parse } from "csv-parse/sync";
import type { stringify as packageStringify } from "csv-stringify/browser/esm/sync";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { stringify as dashboardStringify } from "../../dashboard/types/csv-stringify-sync";
import { loadPublicModule } from "./load-public-module";

type Cell = string | number | null | undefined;
interface CsvModule {
  toCsv(rows: Cell[][]): string;
}
interface RunListModule {
  runsCsv(runs: Array<Record<string, unknown>>): string;
}
const { toCsv } = await loadPublicModule<CsvModule>("csv.js");
const { runsCsv } = await loadPublicModule<RunListModule>("run-list.js");

/** What a text cell reads as once protected: csv-stringify also protects the full-width forms. */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const asText = (value: string): string => (FORMULA_START.test(value) ? `'${value}` : value);

describe("the dashboard's CSV export", () => {
  it.each([
    ["=", '=HYPERLINK("https://evil.example","click")'],
    ["+", "+1-555-0100"],
    ["-", "-2+3+cmd|' /C calc'!A0"],
    ["@", "@SUM(A1:A2)"],
    ["tab", "\t=1+1"],
    ["carriage return", "\r=1+1"],
    ["full-width =", "\uFF1D1+1"],
  ])("writes a text cell starting with %s as text, behind a single quote", (_start, value) => {
    const [[cell]] = parse(toCsv([[value, "x"]]), { relax_quotes: false });
    expect(cell).toBe(`'${value}`);
  });

  it("keeps numbers numbers: a negative loss delta is written as -0.12, while the text -0.12 is protected", () => {
    expect(toCsv([[-0.12, "-0.12", 0, 3.5]])).toBe("-0.12,'-0.12,0,3.5\r\n");
  });

  it("quotes only what RFC 4180 needs quoted, doubles quotes, and ends every line with CRLF", () => {
    expect(toCsv([["plain", 'say "hi", politely', "two\nlines", "cr\ronly", null, undefined, ""]])).toBe(
      'plain,"say ""hi"", politely","two\nlines","cr\ronly",,,\r\n',
    );
    expect(toCsv([["a"], ["b"]])).toBe("a\r\nb\r\n");
  });

  it("protects and quotes the same cell when it needs both", () => {
    expect(toCsv([["=1,2", '@"x"']])).toBe('"\'=1,2","\'@""x"""\r\n');
  });

  it("reads back, cell for cell, as the rows it was given, with formula-like text behind a quote", () => {
    const width = fc.integer({ min: 2, max: 4 });
    const rows = width.chain((n) =>
      fc.array(fc.array(fc.string({ unit: "grapheme-ascii" }), { minLength: n, maxLength: n }), { minLength: 1 }),
    );
    const alsoControl = width.chain((n) =>
      fc.array(
        fc.array(fc.constantFrom("=", "-", "\r", "\n", '"', ",", "\t", "a", "+1", "@"), { minLength: n, maxLength: n }),
        {
          minLength: 1,
        },
      ),
    );
    fc.assert(
      fc.property(fc.oneof(rows, alsoControl), (given) => {
        expect(parse(toCsv(given))).toEqual(given.map((row) => row.map(asText)));
      }),
    );
  });

  it("never starts a text cell like a formula, whatever the text", () => {
    const start = fc.constantFrom("=", "+", "-", "@", "\t", "\r", "\n", '"', "'", "\uFF1D", "\uFF0D", "a", "");
    const text = fc.tuple(start, fc.string({ unit: "grapheme" })).map(([first, rest]) => first + rest);
    fc.assert(
      fc.property(text, (value) => {
        const [[cell]] = parse(toCsv([[value, "x"]]));
        expect(cell).not.toMatch(FORMULA_START);
        expect(cell === value || cell === `'${value}`).toBe(true);
      }),
    );
  });

  it("protects what learners name in the instructor's run export, and leaves its numbers alone", () => {
    const csv = runsCsv([
      {
        id: "r1",
        learnerId: "ada",
        exercise: '=HYPERLINK("https://evil.example","click")',
        state: "failed",
        createdAt: "2025-01-01T00:00:00.000Z",
        lastLoss: -0.5,
        reason: "-not a formula either",
        attempts: 1,
      },
    ]);
    const [header, row] = parse(csv, { columns: false });
    const cell = (name: string) => row[header.indexOf(name)];
    expect(cell("exercise")).toBe('\'=HYPERLINK("https://evil.example","click")');
    expect(cell("reason")).toBe("'-not a formula either");
    expect(cell("last_loss")).toBe("-0.5");
  });

  it("is typed (dashboard/types/csv-stringify-sync.d.ts) only with calls csv-stringify's own typings accept", () => {
    expectTypeOf<Parameters<typeof dashboardStringify>>().toExtend<Parameters<typeof packageStringify>>();
    expectTypeOf<ReturnType<typeof dashboardStringify>>().toEqualTypeOf<ReturnType<typeof packageStringify>>();
  });
});
