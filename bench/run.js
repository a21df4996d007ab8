#!/usr/bin/env node
// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose name contains the
// filter) one after another in its own process, so one benchmark's heap never skews the next.
// Each benchmark prints its own table of medians.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execaSync } from "execa";

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? "";
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(
    `no benchmark matches \`${filter}\`; available: ${readdirSync(here)
      .filter((f) => f.endsWith(".bench.ts"))
      .join(", ")}`,
  );
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  console.log(`\n### ${file}`);
  const result = execaSync(process.execPath, ["--import", "tsx", join(here, file)], {
    stdio: "inherit",
    reject: false,
  });
  if (result.exitCode !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
