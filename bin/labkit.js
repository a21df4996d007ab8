#!/usr/bin/env node
// Entry point of the `labkit` command. labkit is written in TypeScript and runs through tsx,
// so a fresh `npm ci` is enough: there is no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
