#!/usr/bin/env node
// `npm run check:python`: lint (ruff check), format (ruff format --check) and type-check (mypy) the
// workshop's Python and the Python tests with the project's virtual environment, configured by
// workshop/pyproject.toml. Every check runs; the exit status is 1 when any of them found a problem.
// A missing tool is a failure, never a skip: CI installs them from tests/requirements.txt.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execaSync } from "execa";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(root, ".venv", "bin");
const config = "workshop/pyproject.toml";
// ruff takes the folders (its config excludes workshop/notebooks); mypy takes the packages and
// scripts one by one, so that workshop/datasets/ is not mistaken for the `datasets` package.
const lintPaths = ["workshop", "tests/python"];
const typedPaths = [
  "workshop/labkit_runner",
  "workshop/labkit_client",
  "workshop/smoke_gpu.py",
  "workshop/datasets/validate_dataset.py",
  "tests/python",
];

const checks = [
  { name: "ruff check", tool: "ruff", args: ["check", "--config", config, ...lintPaths] },
  { name: "ruff format --check", tool: "ruff", args: ["format", "--check", "--config", config, ...lintPaths] },
  { name: "mypy", tool: "mypy", args: ["--config-file", config, ...typedPaths] },
];

for (const tool of new Set(checks.map((check) => check.tool))) {
  if (!existsSync(join(bin, tool))) {
    console.error(
      `check:python: ${join(bin, tool)} not found. Install the test tools into the virtual environment:\n` +
        "  .venv/bin/python -m pip install -r images/requirements.txt -r tests/requirements.txt\n" +
        "(the same step as .ci/run)",
    );
    process.exit(1);
  }
}

const failed = [];
for (const check of checks) {
  console.log(`check:python: ${check.name}`);
  const result = execaSync(join(bin, check.tool), check.args, { cwd: root, stdio: "inherit", reject: false });
  if (result.exitCode === undefined) {
    console.error(`check:python: could not start ${check.tool}: ${result.shortMessage}`);
    failed.push(check.name);
  } else if (result.exitCode !== 0) {
    failed.push(check.name);
  }
}
if (failed.length > 0) {
  console.error(`check:python: failed: ${failed.join(", ")}`);
  process.exit(1);
}
