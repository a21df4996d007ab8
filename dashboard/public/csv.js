/** CSV for the dashboard's export links (RFC 4180: CRLF line ends, quotes only where needed). */

/** Rows of values as CSV text; `undefined` and `null` become empty cells. */
export function toCsv(rows) {
  const quote = (value) => {
    const text = value === undefined || value === null ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return rows.map((row) => `${row.map(quote).join(",")}\r\n`).join("");
}

/** A `blob:` URL for `text` (CSV), replacing `previousUrl` (revoked) so exports do not leak memory. */
export function csvObjectUrl(text, previousUrl) {
  if (previousUrl) URL.revokeObjectURL(previousUrl);
  return URL.createObjectURL(new Blob([text], { type: "text/csv" }));
}
