import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formulaSafeCell } from "../../lib/csv-cell";

describe("formulaSafeCell", () => {
  it.each([
    ["=", '=HYPERLINK("https://evil.example","click")'],
    ["+", "+1-555-0100"],
    ["-", "-2+3"],
    ["@", "@SUM(A1:A2)"],
    ["tab", "\t=1+1"],
    ["carriage return", "\r=1+1"],
  ])("prefixes a cell starting with %s with a quote, so a spreadsheet shows it as text", (_start, value) => {
    expect(formulaSafeCell(value)).toBe(`'${value}`);
  });

  it.each(["ada", "https://labs.example.org/u/ada/", "", "a=b", "'=already text", " =1"])(
    "leaves `%s` unchanged",
    (value) => {
      expect(formulaSafeCell(value)).toBe(value);
    },
  );

  it("never lets a cell start like a formula, and only ever adds one leading quote", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const cell = formulaSafeCell(value);
        expect(cell).not.toMatch(/^[=+\-@\t\r]/);
        expect(cell === value || cell === `'${value}`).toBe(true);
      }),
    );
  });
});
