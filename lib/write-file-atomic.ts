/**
 * Writes `text` to `path` through a temporary file beside it and a rename, so a reader (or an
 * interrupted run) never sees half a file. `mode` applies to the file even when it already
 * existed with a wider mode (a rendered manifest holding tokens must stay private).
 */
import { chmod, rename, rm, writeFile } from "node:fs/promises";

export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, mode === undefined ? undefined : { mode });
    if (mode !== undefined) await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
