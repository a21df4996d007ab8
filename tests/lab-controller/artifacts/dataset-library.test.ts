import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ArtifactLink, ArtifactStore } from "../../../lab-controller/artifacts/artifact-store";
import { DatasetLibrary, DatasetUploadError } from "../../../lab-controller/artifacts/dataset-library";
import { RunStore } from "../../../lab-controller/store/run-store";

class MemoryBucket implements ArtifactStore {
  readonly bucket = "b";
  readonly keys: string[] = [];
  async put(key: string): Promise<void> {
    this.keys.push(key);
  }
  async links(): Promise<ArtifactLink[]> {
    return [];
  }
  async readText(): Promise<string | undefined> {
    return undefined;
  }
}

const file = (tag: string) =>
  Buffer.from(
    [1, 2]
      .map((i) =>
        JSON.stringify({
          messages: [
            { role: "user", content: `${tag} ${i}` },
            { role: "assistant", content: "ok" },
          ],
        }),
      )
      .join("\n"),
  ).toString("base64");

describe("DatasetLibrary", () => {
  let store: RunStore;
  let bucket: MemoryBucket;
  let library: DatasetLibrary;
  beforeEach(() => {
    store = RunStore.open(":memory:");
    bucket = new MemoryBucket();
    library = new DatasetLibrary({
      cohortName: "c",
      store: store.datasets,
      artifacts: bucket,
      bucket: "b",
      maxUploadsPerLearner: 2,
    });
  });
  afterEach(() => store.close());

  it("refuses a learner's upload past the limit, saying how to reuse one, but takes the same file again", async () => {
    const first = await library.upload("ada", "a.jsonl", file("a"));
    await library.upload("ada", "b.jsonl", file("b"));
    expect((await library.upload("ada", "a-again.jsonl", file("a"))).id).toBe(first.id);
    await expect(library.upload("ada", "c.jsonl", file("c"))).rejects.toThrow(
      new DatasetUploadError(
        "you already have 2 uploads, the most a learner may keep: reuse one by its id (GET /v1/datasets lists them)",
      ),
    );
    // Another learner has their own allowance, and their own key in the bucket.
    await library.upload("bob", "c.jsonl", file("c"));
    expect(bucket.keys.every((k) => k.startsWith("cohorts/c/learners/lab-"))).toBe(true);
    expect(bucket.keys).toHaveLength(3);
  });

  it("previews an inline file without storing it", () => {
    const preview = library.preview("ada", "p.jsonl", file("p"));
    expect(preview.uri).toMatch(/^s3:\/\/b\/cohorts\/c\/learners\/lab-ada\/datasets\/[0-9a-f]{64}\.jsonl$/);
    expect(bucket.keys).toEqual([]);
    expect(library.list("ada")).toEqual([]);
  });
});
