/**
 * Contract: what labkit writes as YAML means to kubectl what it means to labkit.
 *
 * Rule: kubectl (and Helm) decode manifests with k8s.io/apimachinery/pkg/util/yaml, which hands
 * each document to sigs.k8s.io/yaml's YAMLToJSON, built on go-yaml v2: a YAML 1.1 reader, where
 * `on`, `off`, `yes`, `no`, `y`, `n` are booleans and `012` an octal number. Sources:
 * kubernetes/apimachinery pkg/util/yaml/decoder.go (imports sigs.k8s.io/yaml);
 * kubernetes-sigs/yaml goyaml.v2/README.md ("supports most of YAML 1.1"). Checked here by running
 * that very code (tests/contracts/kubectl-yaml, sigs.k8s.io/yaml v1.6.0) on `labkit render`'s output.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { GPU_NODE_LABEL } from "../../charts/names";
import { toPortableYaml, toPortableYamlStream } from "../../lib/portable-yaml";
import { runLabkit } from "../harness/run-cli";
import { readAsKubectl } from "./kubectl-reader";

const dir = mkdtempSync(join(tmpdir(), "labkit-kubectl-yaml-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Strings a YAML 1.1 or a YAML 1.2 reader would take for something else. */
const AMBIGUOUS = [
  "on",
  "off",
  "yes",
  "no",
  "y",
  "n",
  "Y",
  "True",
  "NULL",
  "~",
  "012",
  "0o17",
  "0x1f",
  "1e3",
  "12:30",
  "1_000",
  "2026-12-07",
  ".inf",
  "-.5",
];

describe("kubectl reads labkit's YAML as labkit meant it", () => {
  beforeAll(() => {
    readAsKubectl("a: 1\n"); // builds the reader before the timed tests
  }, 300_000);

  it("is a real YAML 1.1 reader: the GPU node label written naively reaches the API server as a boolean", () => {
    // What `labkit render` wrote before: the Node label value `on` unquoted.
    const naive = stringify({ nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value } });
    expect(naive).toContain("gpu: on\n");
    expect(readAsKubectl(naive)).toEqual([{ nodeSelector: { gpu: true } }]);
  });

  it.each(AMBIGUOUS)("keeps the string %j a string for kubectl and for YAML 1.2 readers", (value) => {
    const text = toPortableYaml({ labels: { value } });
    expect(readAsKubectl(text)).toEqual([{ labels: { value } }]);
    expect(parseAllDocuments(text).map((d) => d.toJS())).toEqual([{ labels: { value } }]);
  });

  it("keeps numbers, booleans and multi-line strings as they are", () => {
    const value = { replicas: 1, enabled: true, ratio: 0.5, script: "line one\nline: two\n", empty: "" };
    expect(readAsKubectl(toPortableYamlStream([value, value]))).toEqual([value, value]);
  });

  it("sends every object of `labkit render` for the example cohort to the API server unchanged", async () => {
    const file = join(dir, "labs.yaml");
    const result = await runLabkit([
      "render",
      "workshop/cohort.example.yaml",
      "--image-registry",
      "123456789012.dkr.ecr.eu-central-1.amazonaws.com/ft-dec26",
      "-o",
      file,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    const ours = parseAllDocuments(text).map((d) => d.toJS());
    const kubectls = readAsKubectl(text);
    expect(kubectls).toHaveLength(ours.length);
    expect(kubectls).toEqual(ours);
    // The objects that carry the GPU label keep it a string.
    const selectors = JSON.stringify(kubectls).match(/"gpu":("on"|true)/g) ?? [];
    expect(selectors.length).toBeGreaterThan(0);
    expect(selectors.every((s) => s === '"gpu":"on"')).toBe(true);
  });
});
