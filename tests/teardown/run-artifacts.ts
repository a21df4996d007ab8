/** Builds a run's artifacts as a runner writes them: an adapter archive and a results.json naming its sha256. */
import { createHash } from "node:crypto";
import { runArtifactPrefix } from "../../charts/names";
import type { RunResult } from "../../schema/run-result";

export interface SeededRun {
  readonly learner: string;
  readonly run: string;
  readonly adapterKey: string;
  readonly resultsKey: string;
  readonly adapter: Buffer;
  readonly results: RunResult;
}

/** A run's adapter bytes (`sizeBytes` pseudo-random bytes, default 64 KiB) and its RunResult. */
export function makeRun(cohort: string, learner: string, run: string, sizeBytes = 64 * 1024): SeededRun {
  const adapter = Buffer.alloc(sizeBytes);
  let x = [...`${learner}/${run}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  for (let i = 0; i < sizeBytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    adapter[i] = x >>> 24;
  }
  const prefix = runArtifactPrefix(cohort, learner, run);
  const results: RunResult = {
    runId: run,
    status: "succeeded",
    metrics: { before: { perplexity: 12.5, rougeL: 0.21 }, after: { perplexity: 6.25, rougeL: 0.38 } },
    peakVramMiB: 9216,
    lossSeries: [
      { step: 1, loss: 2.4 },
      { step: 2, loss: 1.9 },
    ],
    adapter: {
      uri: `s3://labkit-artifacts/${prefix}`,
      sha256: createHash("sha256").update(adapter).digest("hex"),
      sizeBytes,
    },
    samples: [],
  };
  return { learner, run, adapterKey: `${prefix}adapter.tar.gz`, resultsKey: `${prefix}results.json`, adapter, results };
}
