/**
 * Cohort files for the preflight tests: workshop/cohort.example.yaml (and its roster) copied
 * into a temporary folder, with some fields changed there. The example itself is never edited.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { REPO_ROOT } from "../harness/run-cli";

const EXAMPLE = join(REPO_ROOT, "workshop", "cohort.example.yaml");
const ROSTER = join(REPO_ROOT, "workshop", "roster.example.csv");

/** A YAML path and the value to put there; `undefined` deletes the field. */
export type FixtureEdit = readonly [path: readonly (string | number)[], value: unknown];

/** Writes the example cohort with `edits` applied into a new temporary folder; returns the file's path. */
export function exampleCohortWith(edits: readonly FixtureEdit[]): string {
  const dir = mkdtempSync(join(tmpdir(), "labkit-preflight-"));
  copyFileSync(ROSTER, join(dir, "roster.example.csv"));
  const doc = parseDocument(readFileSync(EXAMPLE, "utf8"));
  for (const [path, value] of edits) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, value);
  }
  const file = join(dir, "cohort.yaml");
  writeFileSync(file, doc.toString());
  return file;
}
