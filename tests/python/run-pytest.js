#!/usr/bin/env node
// `npm run test:python`: run the Python suite (runner, client, notebooks, Dockerfile checks)
// with the project's virtual environment, and pass pytest's exit status on.
// "No tests collected" (pytest exit 5) counts as a failure: an empty run proves nothing.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execaSync } from "execa";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const python = join(root, ".venv", "bin", "python");
if (!existsSync(python)) {
  console.error(
    `test:python: ${python} not found. Create the virtual environment first:\n` +
      "  python3.11 -m venv .venv && .venv/bin/pip install -r images/requirements.txt pytest nbclient nbformat ipykernel moto[server]\n" +
      "(the same steps as .ci/run)",
  );
  process.exit(1);
}
const result = execaSync(python, ["-m", "pytest", "tests/python", "-q", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  reject: false,
});
if (result.exitCode === undefined) {
  console.error(`test:python: could not start pytest: ${result.shortMessage}`);
  process.exit(1);
}
if (result.exitCode === 5) {
  console.error("test:python: pytest collected no tests; that is a failure, not a pass");
  process.exit(1);
}
process.exit(result.exitCode);
