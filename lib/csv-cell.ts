/**
 * CSV cells a spreadsheet shows as text. Excel, LibreOffice and Google Sheets read a cell that
 * starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so a learner named
 * `=HYPERLINK(...)` would become a link in the instructor's mail merge. OWASP's advice
 * (https://owasp.org/www-community/attacks/CSV_Injection): prefix such a cell with `'`.
 */

/** The first characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** `value` as a text cell: prefixed with `'` when it starts like a formula, else unchanged. */
export function formulaSafeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}
