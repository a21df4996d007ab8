/**
 * kubectl's own YAML reader, built from tests/contracts/kubectl-yaml (Go, sigs.k8s.io/yaml
 * v1.6.0, the module k8s.io/apimachinery's YAML decoder calls to turn each manifest into JSON).
 * Go is part of the test toolchain: a missing `go` fails the suite instead of skipping it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessError, runProcessSync } from "../../lib/run-process";

const SOURCE = join(import.meta.dirname, "kubectl-yaml");
let binary: string | undefined;

/** Build the reader once per test file (the Go module cache makes later builds fast). */
export function kubectlYamlReader(): string {
  if (binary) return binary;
  const out = join(mkdtempSync(join(tmpdir(), "kubectl-yaml-")), "kubectl-yaml");
  try {
    runProcessSync("go", ["build", "-o", out, "."], { cwd: SOURCE, timeoutMs: 300_000 });
  } catch (error) {
    if (!(error instanceof ProcessError)) throw error;
    throw new Error(
      error.notInstalled
        ? "the Go toolchain (`go`) is needed to build kubectl's YAML reader for the contract tests: install Go (>= 1.22)"
        : `building tests/contracts/kubectl-yaml failed: ${error.result?.stderr ?? error.message}`,
    );
  }
  binary = out;
  return out;
}

/** What kubectl would send to the API server for each document of `yaml`, as JSON values. */
export function readAsKubectl(yaml: string): unknown[] {
  const output = runProcessSync(kubectlYamlReader(), [], { input: yaml }).stdout;
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
