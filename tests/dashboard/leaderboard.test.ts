import { describe, expect, it } from "vitest";
import { loadPublicModule } from "./load-public-module";

type Metrics = { perplexity?: number; rougeL?: number; bleu?: number };
interface Entry {
  learnerId: string;
  runId: string;
  exercise: string;
  before: Metrics;
  after: Metrics;
}
interface LeaderboardModule {
  rankLeaderboard(
    entries: Entry[],
    metric: string,
    options?: { bestPerLearner?: boolean },
  ): Array<Entry & { rank: number }>;
  leaderboardCsv(ranked: Array<Entry & { rank: number }>): string;
}
const { rankLeaderboard, leaderboardCsv } = await loadPublicModule<LeaderboardModule>("leaderboard.js");

const entries: Entry[] = [
  {
    learnerId: "ada",
    runId: "a1",
    exercise: "sft",
    before: { perplexity: 12, rougeL: 0.2 },
    after: { perplexity: 6, rougeL: 0.4 },
  },
  {
    learnerId: "ada",
    runId: "a2",
    exercise: "sft",
    before: { perplexity: 12, rougeL: 0.2 },
    after: { perplexity: 5, rougeL: 0.35 },
  },
  {
    learnerId: "bob",
    runId: "b1",
    exercise: "sft",
    before: { perplexity: 12, rougeL: 0.1 },
    after: { perplexity: 7, rougeL: 0.4 },
  },
  { learnerId: "cy", runId: "c1", exercise: "sft", before: { perplexity: 12 }, after: { perplexity: 9 } },
];

describe("the leaderboard", () => {
  it("ranks higher ROUGE-L first, shares a rank on equal scores, and breaks the tie by the larger improvement", () => {
    const ranked = rankLeaderboard(entries, "rougeL");
    expect(ranked.map((e) => [e.rank, e.runId])).toEqual([
      [1, "b1"], // 0.4, improved by 0.3
      [1, "a1"], // 0.4, improved by 0.2
    ]);
  });

  it("ranks lower perplexity first and keeps only each learner's best run", () => {
    expect(rankLeaderboard(entries, "perplexity").map((e) => e.runId)).toEqual(["a2", "b1", "c1"]);
  });

  it("lists every run when asked for all runs, leaving out runs without the chosen metric", () => {
    expect(rankLeaderboard(entries, "rougeL", { bestPerLearner: false }).map((e) => e.runId)).toEqual([
      "b1",
      "a1",
      "a2",
    ]);
    expect(rankLeaderboard(entries, "bleu")).toEqual([]);
  });

  it("exports CSV with one column per metric before and after, quoting what needs quoting", () => {
    const csv = leaderboardCsv([{ ...entries[0], exercise: 'say "hi", politely', rank: 1 }]);
    const [header, row] = csv.split("\r\n");
    expect(header).toBe(
      "rank,learner,run,exercise,perplexity_before,perplexity_after,rougeL_before,rougeL_after,bleu_before,bleu_after",
    );
    expect(row).toBe('1,ada,a1,"say ""hi"", politely",12,6,0.2,0.4,,');
  });
});
