import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DatasetRecord } from "../../../lab-controller/store/dataset-store";
import { RunStore } from "../../../lab-controller/store/run-store";

const record = (over: Partial<DatasetRecord> = {}): DatasetRecord => ({
  id: "ds-aaaaaaaaaaaa",
  learnerId: "ada",
  name: "mine.jsonl",
  sha256: "a".repeat(64),
  uri: `s3://b/cohorts/c/learners/lab-ada/datasets/${"a".repeat(64)}.jsonl`,
  examples: 12,
  sizeBytes: 3456,
  createdAt: "2026-12-07T09:00:00.000Z",
  ...over,
});

describe("the learners' dataset uploads in the SQLite store", () => {
  let dir: string;
  let store: RunStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "labkit-datasets-"));
    store = RunStore.open(join(dir, "c.db"));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds an upload only for the learner who made it", () => {
    store.datasets.insert(record());
    expect(store.datasets.findOwn("ada", "ds-aaaaaaaaaaaa")).toEqual(record());
    expect(store.datasets.findOwn("bob", "ds-aaaaaaaaaaaa")).toBeUndefined();
    expect(store.datasets.findOwn("ada", "ds-bbbbbbbbbbbb")).toBeUndefined();
  });

  it("keeps the first record when a learner uploads the same bytes again, and lists newest first", () => {
    store.datasets.insert(record());
    const again = store.datasets.insert(record({ id: "ds-cccccccccccc", name: "again.jsonl" }));
    expect(again.id).toBe("ds-aaaaaaaaaaaa");
    // The same bytes from another learner are their own upload.
    store.datasets.insert(record({ id: "ds-dddddddddddd", learnerId: "bob", createdAt: "2026-12-07T10:00:00.000Z" }));
    store.datasets.insert(
      record({ id: "ds-eeeeeeeeeeee", sha256: "e".repeat(64), createdAt: "2026-12-07T11:00:00.000Z" }),
    );
    expect(store.datasets.list("ada").map((d) => d.id)).toEqual(["ds-eeeeeeeeeeee", "ds-aaaaaaaaaaaa"]);
    expect(store.datasets.list().map((d) => d.id)).toEqual(["ds-eeeeeeeeeeee", "ds-dddddddddddd", "ds-aaaaaaaaaaaa"]);
    expect(store.datasets.countOf("ada")).toBe(2);
  });

  it("keeps uploads across a restart", () => {
    store.datasets.insert(record());
    store.close();
    store = RunStore.open(join(dir, "c.db"));
    expect(store.datasets.findOwn("ada", "ds-aaaaaaaaaaaa")?.uri).toBe(record().uri);
  });
});
