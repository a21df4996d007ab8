/**
 * YAML that means the same to every reader: kubectl and Helm read manifests with go-yaml v2, a
 * YAML 1.1 reader (`on`, `yes`, `off`, `no`, `y`, `n` are booleans, `012` is octal, `12:30` is a
 * base-60 number), while labkit, editors and most tools read YAML 1.2 (where `0o17` is octal and
 * `on` a string). Every string scalar that either version would read as something other than that
 * string is double-quoted. tests/contracts/kubectl-yaml.test.ts checks the output against
 * sigs.k8s.io/yaml, the reader kubectl itself uses.
 */
import { Document, parse, Scalar, visit } from "yaml";

/** Whether `text`, written as a plain scalar, reads back as exactly that string under `version`. */
function readsAsString(text: string, version: "1.1" | "1.2"): boolean {
  try {
    return parse(`k: ${text}\n`, { version })?.k === text;
  } catch {
    return false;
  }
}

/** One document as YAML whose strings no YAML 1.1 or 1.2 reader turns into booleans, numbers, dates or null. */
export function toPortableYaml(value: unknown): string {
  const doc = new Document(value, { version: "1.1", aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string" || node.value.includes("\n")) return;
      if (!readsAsString(node.value, "1.1") || !readsAsString(node.value, "1.2")) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  // The `%YAML 1.1` directive is left out: kubectl ignores it and some tools refuse it.
  return doc.toString({ lineWidth: 0, directives: false });
}

/** Several documents as one `---`-separated stream of `toPortableYaml` documents. */
export function toPortableYamlStream(values: readonly unknown[]): string {
  return values.map((value) => toPortableYaml(value)).join("---\n");
}
