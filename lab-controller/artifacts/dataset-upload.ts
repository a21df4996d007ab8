/**
 * Checks an uploaded training dataset before it is stored: JSONL, one JSON object per line with
 * a `messages` list of `{ role, content }` (the chat format SFTTrainer reads), within a size
 * limit, under a display name without path separators or control characters. Pure; errors name
 * the line.
 */
import { createHash } from "node:crypto";
import { DatasetDisplayNameSchema } from "../../schema/run-spec";

/** Largest dataset upload, bytes (the JSON body limit of `POST /v1/runs` follows it). Default 16 MiB. */
export const MAX_DATASET_BYTES = 16 * 1024 * 1024;

/** A dataset that passed the checks. */
export interface CheckedDataset {
  readonly bytes: Buffer;
  /** sha256 of the file, hex (content address in the bucket). */
  readonly sha256: string;
  /** Number of examples (non-empty lines). */
  readonly examples: number;
}

/** Decode and check an uploaded dataset; throws an Error whose message says what to fix. */
export function checkDatasetUpload(name: string, contentBase64: string, maxBytes = MAX_DATASET_BYTES): CheckedDataset {
  const named = DatasetDisplayNameSchema.safeParse(name);
  if (!named.success) {
    throw new Error(`dataset name ${JSON.stringify(name)}: ${named.error.issues[0]?.message ?? "not a file name"}`);
  }
  if (!/^[A-Za-z0-9+/=\s]*$/.test(contentBase64)) {
    throw new Error(`dataset \`${name}\`: contentBase64 is not base64`);
  }
  const bytes = Buffer.from(contentBase64, "base64");
  if (bytes.length === 0)
    throw new Error(`dataset \`${name}\` is empty: upload a JSONL file with one example per line`);
  if (bytes.length > maxBytes) {
    throw new Error(
      `dataset \`${name}\` is ${(bytes.length / 1048576).toFixed(1)} MiB; the limit is ${(maxBytes / 1048576).toFixed(0)} MiB: use fewer or shorter examples`,
    );
  }
  const text = bytes.toString("utf8");
  let examples = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const where = `dataset \`${name}\` line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(
        `${where} is not JSON: each line must be one object such as {"messages": [{"role": "user", "content": "..."}]}`,
      );
    }
    const messages = (value as { messages?: unknown })?.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new Error(
        `${where} has no \`messages\` list: each example needs {"messages": [{"role": ..., "content": ...}]}`,
      );
    }
    for (const [j, m] of messages.entries()) {
      const message = m as { role?: unknown; content?: unknown };
      if (typeof message?.role !== "string" || typeof message?.content !== "string") {
        throw new Error(`${where}: messages[${j}] needs a string \`role\` and a string \`content\``);
      }
    }
    examples++;
  }
  if (examples < 2)
    throw new Error(
      `dataset \`${name}\` has ${examples} example(s): at least 2 are needed (one is held out for evaluation)`,
    );
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), examples };
}
