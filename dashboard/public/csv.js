// @ts-check
/**
 * CSV for the dashboard's export links: RFC 4180 (CRLF line ends, quotes only where needed),
 * safe to open in a spreadsheet. Written by csv-stringify's browser build (served from the
 * installed package at `vendor/csv-stringify-sync.js`, see index.html's import map).
 *
 * Formula injection (https://owasp.org/www-community/attacks/CSV_Injection): the exports hold
 * text others wrote (roster ids, exercise names, reasons quoting a learner's input), and a
 * spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (or tab or CR) as a formula. Such
 * text cells get a leading `'`, which spreadsheets show as text. Numbers are not touched, so a
 * negative value (a loss delta of -0.12) stays a number: only strings are protected, which is
 * why the rows hold numbers as numbers and never format them first.
 */
import { stringify } from "csv-stringify/browser/esm/sync";

/**
 * Rows of values as CSV text, one CRLF-terminated line per row: `undefined` and `null` become
 * empty cells, numbers are written as they are, and text that a spreadsheet would read as a
 * formula is prefixed with `'`.
 * @param {Array<Array<string | number | null | undefined>>} rows
 * @returns {string}
 */
export function toCsv(rows) {
  return stringify(rows, { record_delimiter: "windows", quote_record_delimiter: true, escape_formulas: true });
}

/**
 * A `blob:` URL for `text` (CSV), replacing `previousUrl` (revoked) so exports do not leak memory.
 * @param {string} text
 * @param {string | null} [previousUrl]
 * @returns {string}
 */
export function csvObjectUrl(text, previousUrl) {
  if (previousUrl) URL.revokeObjectURL(previousUrl);
  return URL.createObjectURL(new Blob([text], { type: "text/csv" }));
}
