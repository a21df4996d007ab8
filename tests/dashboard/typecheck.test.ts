/**
 * The dashboard's browser modules are type-checked from their JSDoc (dashboard/tsconfig.json,
 * also run by `npm run typecheck`). This proves the check covers every file and can fail.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const DASHBOARD_DIR = path.resolve(import.meta.dirname, "../../dashboard");
const PUBLIC_DIR = path.join(DASHBOARD_DIR, "public");
const publicModules = readdirSync(PUBLIC_DIR).filter((name) => name.endsWith(".js"));

/** The dashboard project as `tsc -p dashboard/tsconfig.json` builds it, with files optionally replaced. */
function checkDashboard(replaced: ReadonlyMap<string, string> = new Map()): { files: string[]; errors: string[] } {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(DASHBOARD_DIR, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("dashboard/tsconfig.json could not be read");
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => replaced.get(path.resolve(fileName)) ?? readFile(fileName);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file
      ? `${path.relative(DASHBOARD_DIR, diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
      : "dashboard/tsconfig.json";
    return `${where}: TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`;
  });
  return { files: config.fileNames.map((file) => path.resolve(file)), errors };
}

describe("type-checking the dashboard", () => {
  it("covers every module in dashboard/public/, each marked // @ts-check for editors, with no errors", () => {
    const { files, errors } = checkDashboard();
    for (const name of publicModules) {
      expect(files, name).toContain(path.join(PUBLIC_DIR, name));
      expect(readFileSync(path.join(PUBLIC_DIR, name), "utf8").startsWith("// @ts-check\n"), name).toBe(true);
    }
    expect(errors).toEqual([]);
  });

  it("fails on a type error in a dashboard module", () => {
    const file = path.join(PUBLIC_DIR, "format.js");
    const broken = `${readFileSync(file, "utf8")}\nformatMiB("512");\n`;
    const { errors } = checkDashboard(new Map([[file, broken]]));
    expect(errors).toEqual([expect.stringMatching(/^public\/format\.js:\d+: TS2345 Argument of type 'string'/)]);
  });
});
