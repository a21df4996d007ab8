/**
 * Imports one of the dashboard's browser modules (plain JS in dashboard/public/)
 * into a Node test. The modules have no type declarations (they ship to the browser as written),
 * so each test states the shape it uses.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

const PUBLIC_DIR = path.resolve(import.meta.dirname, "../../dashboard/public");

/** Import `public/<fileName>` and return it typed as `T`. */
export async function loadPublicModule<T>(fileName: string): Promise<T> {
  const url = pathToFileURL(path.join(PUBLIC_DIR, fileName)).href;
  return (await import(url)) as T;
}
