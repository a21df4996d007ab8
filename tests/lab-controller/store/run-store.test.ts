import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../../lab-controller/store/migrations";
import { RunStore } from "../../../lab-controller/store/run-store";
import { resolveRunSpec } from "../../../schema/run-spec";

const spec = resolveRunSpec({}, "lora-warmup", {
  baseModel: "HuggingFaceTB/SmolLM2-360M-Instruct",
  method: "lora",
  dataset: { source: "builtin", name: "k8s-troubleshooting" },
});
const estimate = { totalMiB: 3000, breakdown: { baseWeights: 700 } };

describe("the SQLite run store", () => {
  let dir: string;
  let store: RunStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "labkit-store-"));
    store = RunStore.open(join(dir, "c.db"));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs every migration once, in WAL mode, and reopens without re-running them", () => {
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    expect(store.journalMode).toBe("wal");
    store.insertRun({
      id: "r1",
      learnerId: "ada",
      spec,
      estimate,
      state: "queued",
      createdAt: "2026-12-07T09:00:00.000Z",
    });
    store.close();
    store = RunStore.open(join(dir, "c.db"));
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    expect(store.getRun("r1")?.spec).toEqual(spec);
  });

  it("changes a run only from the states it names, so a repeated transition is harmless", () => {
    store.insertRun({
      id: "r1",
      learnerId: "ada",
      spec,
      estimate,
      state: "queued",
      createdAt: "2026-12-07T09:00:00.000Z",
    });
    expect(
      store.updateRun("r1", { state: "starting", placement: { node: "n1", gpuIndex: 0 } }, ["queued"])?.state,
    ).toBe("starting");
    expect(store.updateRun("r1", { state: "starting" }, ["queued"])).toBeUndefined();
    expect(store.updateRun("r1", { placement: null })?.placement).toBeUndefined();
  });

  it("stores a runner event once per sequence number and numbers events per run", () => {
    store.insertRun({
      id: "r1",
      learnerId: "ada",
      spec,
      estimate,
      state: "running",
      createdAt: "2026-12-07T09:00:00.000Z",
    });
    expect(
      store.appendEvent("r1", { type: "progress", data: { step: 1, loss: 2 }, attempt: 1, runnerSeq: 1 })?.seq,
    ).toBe(1);
    expect(
      store.appendEvent("r1", { type: "progress", data: { step: 1, loss: 2 }, attempt: 1, runnerSeq: 1 }),
    ).toBeUndefined();
    // A second attempt starts its runner sequence again.
    expect(
      store.appendEvent("r1", { type: "progress", data: { step: 1, loss: 1.5 }, attempt: 2, runnerSeq: 1 })?.seq,
    ).toBe(2);
    expect(store.eventsAfter("r1", 1).map((e) => e.seq)).toEqual([2]);
    expect(store.lossPoints("r1")).toEqual([{ step: 1, loss: 1.5 }]);
  });

  it("records each attempt's GPU time once in the usage ledger", () => {
    const entry = {
      learnerId: "ada",
      runId: "r1",
      attempt: 1,
      gpuMinutes: 2.5,
      vramMiB: 4000,
      startedAt: "a",
      endedAt: "b",
    };
    store.recordUsage(entry);
    store.recordUsage(entry);
    store.recordUsage({ ...entry, attempt: 2, gpuMinutes: 1 });
    expect(store.gpuMinutesByLearner().get("ada")).toBe(3.5);
  });

  it("lists runs newest first, by learner and state, and queued runs in queue order", () => {
    store.insertRun({
      id: "old",
      learnerId: "ada",
      spec,
      estimate,
      state: "queued",
      createdAt: "2026-12-07T09:00:00.000Z",
    });
    store.insertRun({
      id: "new",
      learnerId: "bob",
      spec,
      estimate,
      state: "queued",
      createdAt: "2026-12-07T09:05:00.000Z",
    });
    expect(store.listRuns().map((r) => r.id)).toEqual(["new", "old"]);
    expect(store.listRuns({ learnerId: "ada" }).map((r) => r.id)).toEqual(["old"]);
    expect(store.queuedRuns().map((r) => r.id)).toEqual(["old", "new"]);
    expect(store.countByState()).toEqual({ queued: 2 });
  });
});
