/**
 * The part of csv-stringify's browser build (`csv-stringify/browser/esm/sync`, served at
 * `/dashboard/vendor/csv-stringify-sync.js`) that the dashboard uses. The package's own typings
 * reference @types/node, which would make Node's globals look available in browser code, so
 * dashboard/tsconfig.json maps the import here instead. tests/dashboard/csv.test.ts checks that
 * every call these types allow is one the package's own typings allow too.
 */

/** Options of `stringify`, named as csv-stringify names them. */
export interface StringifyOptions {
  /** Line end after every record: `windows` is CRLF (RFC 4180). Default `\n`. */
  record_delimiter?: "unix" | "windows";
  /** Quote fields holding `\r` or `\n`. Default true, but false once `record_delimiter` is set. */
  quote_record_delimiter?: boolean;
  /** Prefix `'` to string fields starting with `=`, `+`, `-`, `@`, tab or CR. Default false. */
  escape_formulas?: boolean;
}

/** Records (arrays of fields) as CSV text. */
export function stringify(records: unknown[][], options?: StringifyOptions): string;
