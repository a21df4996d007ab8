/**
 * labkit's layering, enforced (docs/layering.md). Lower layers never import higher ones, and
 * nothing imports in a circle. `npm run lint:layers` and tests/layering.test.ts run it.
 *
 *   catalog → schema → core → charts, preflight → lab-controller, teardown, infra → cli
 *   lib (Node utilities) and dashboard (browser code, served by lab-controller) import no layer;
 *   bench/ and tests/ may import anything.
 */
const LAYERS = {
  catalog: [],
  lib: [],
  dashboard: [],
  schema: ["catalog"],
  core: ["catalog", "schema"],
  charts: ["catalog", "schema", "core", "lib"],
  preflight: ["catalog", "schema", "core", "lib"],
  "lab-controller": ["catalog", "schema", "core", "lib", "charts", "dashboard"],
  teardown: ["catalog", "schema", "core", "lib", "charts"],
  infra: ["catalog", "schema", "core", "lib", "charts", "preflight"],
  cli: ["catalog", "schema", "core", "lib", "charts", "preflight", "lab-controller", "teardown", "infra", "dashboard"],
};
const ALL = Object.keys(LAYERS);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "a circle of imports: extract what both sides need into a module of its own",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-pure",
      severity: "error",
      comment: "core/ is the pure planning domain: no Node built-ins (files, network, processes)",
      from: { path: "^core/" },
      to: { dependencyTypes: ["core"] },
    },
    ...Object.entries(LAYERS).map(([layer, allowed]) => ({
      name: `layer-${layer}`,
      severity: "error",
      comment: `${layer}/ may import only ${allowed.length > 0 ? allowed.join(", ") : "nothing of labkit's"} (docs/layering.md)`,
      from: { path: `^${layer}/` },
      to: { path: `^(${ALL.filter((l) => l !== layer && !allowed.includes(l)).join("|")}|bench|tests)/` },
    })),
    {
      name: "processes-through-lib",
      severity: "error",
      comment: "start programs through lib/run-process.ts (execa, with errors a person can act on)",
      from: { pathNot: "^lib/run-process\\.ts$" },
      to: { dependencyTypes: ["core"], path: "^(node:)?child_process$" },
    },
    {
      name: "no-test-imports",
      severity: "error",
      comment: "shipped code never imports tests or benchmarks",
      from: { pathNot: "^(tests|bench)/" },
      to: { path: "^(tests|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.venv)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
  },
};
