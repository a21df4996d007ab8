/** Plain-text tables and number formats for terminal reports. */

/** Render rows under a header with padded columns; numbers-looking cells are right-aligned. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string[] {
  const cells = [header, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((row) => /^[-$]?[\d.,]+( ?[%a-zA-Z/×]*)?$/.test(String(row[i] ?? ""))),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)];
}

/** `$1,234.56` */
export function usd(value: number): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** MiB as GiB with one decimal: `45.0 GiB`. */
export function gib(mib: number): string {
  return `${(mib / 1024).toFixed(1)} GiB`;
}

/** A count with its noun: `1 learner`, `24 learners`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
