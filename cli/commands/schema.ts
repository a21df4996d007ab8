/** `labkit schema`: print (or write) the JSON Schemas generated from labkit's zod schemas. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../lib/write-file-atomic";
import { renderCohortReference } from "../../schema/cohort-reference";
import { GENERATED_SCHEMA_DIR, generateJsonSchemas, type SchemaFileName } from "../../schema/json-schema";
import { BadInputError } from "../exit-codes";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of cohort.yaml (for editors), or write every generated schema")
    .option(
      "--name <name>",
      "which schema to print: cohort, run-spec, run-spec-input, run-result, run-summary, runner-event",
      "cohort",
    )
    .option("--write [dir]", `write every schema into a folder (default ${GENERATED_SCHEMA_DIR})`)
    .option("--reference", "print the cohort.yaml field reference as Markdown (docs/cohort-reference.md)")
    .addHelpText(
      "after",
      "\nEditors: put this first line in cohort.yaml for completion and checks (YAML language server):\n  # yaml-language-server: $schema=<path to>/schema/generated/cohort.schema.json",
    )
    .action(async (options: { name: string; write?: string | boolean; reference?: boolean }) => {
      if (options.reference) {
        process.stdout.write(renderCohortReference());
        return;
      }
      const schemas = generateJsonSchemas();
      if (options.write !== undefined) {
        const dir = typeof options.write === "string" ? options.write : GENERATED_SCHEMA_DIR;
        mkdirSync(dir, { recursive: true });
        for (const [name, text] of Object.entries(schemas)) await writeFileAtomic(join(dir, name), text);
        process.stdout.write(`wrote ${Object.keys(schemas).length} schemas to ${dir}\n`);
        return;
      }
      const fileName = `${options.name}.schema.json` as SchemaFileName;
      if (!(fileName in schemas)) {
        const names = Object.keys(schemas).map((n) => n.replace(".schema.json", ""));
        throw new BadInputError(`unknown schema \`${options.name}\`: use one of ${names.join(", ")}`);
      }
      process.stdout.write(schemas[fileName]);
    });
}
