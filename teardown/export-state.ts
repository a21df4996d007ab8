/**
 * The resumable state of `labkit export`: which bucket objects are already on disk and verified,
 * so an interrupted export picks up where it stopped instead of copying everything again.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/write-file-atomic";

/** State file name inside the export folder. */
export const EXPORT_STATE_FILE = ".labkit-export-state.json";

/** A file already copied and verified. */
export interface CopiedFile {
  /** Entity tag the object had when copied; a different tag means it changed and is copied again. */
  readonly etag?: string;
  readonly sizeBytes: number;
  /** sha256 of the copied bytes, hex. */
  readonly sha256: string;
  /** Path relative to the export folder. */
  readonly path: string;
}

interface StateDocument {
  format: "labkit-export-state/1";
  bucket: string;
  cohort: string;
  files: Record<string, CopiedFile>;
}

/** The state file of one export folder; saves are serialized so concurrent copies never interleave. */
export class ExportState {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly document: StateDocument,
  ) {}

  /**
   * Opens the folder's state, or starts an empty one. Throws when the folder holds an export of
   * another bucket or cohort, so two exports never mix in one folder.
   */
  static async open(dir: string, bucket: string, cohort: string): Promise<ExportState> {
    await mkdir(dir, { recursive: true });
    let text: string | undefined;
    try {
      text = await readFile(join(dir, EXPORT_STATE_FILE), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text === undefined) return new ExportState(dir, { format: "labkit-export-state/1", bucket, cohort, files: {} });
    let document: StateDocument;
    try {
      document = JSON.parse(text) as StateDocument;
    } catch {
      // A state file cut short by a crash: start over; every file is verified again as it is copied.
      return new ExportState(dir, { format: "labkit-export-state/1", bucket, cohort, files: {} });
    }
    if (document.bucket !== bucket || document.cohort !== cohort) {
      throw new ExportFolderInUseError(dir, document.cohort, document.bucket);
    }
    return new ExportState(dir, { ...document, files: document.files ?? {} });
  }

  /** The copy recorded for `key`, if any. */
  copied(key: string): CopiedFile | undefined {
    return this.document.files[key];
  }

  /** Records a verified copy and saves the state. */
  async record(key: string, file: CopiedFile): Promise<void> {
    this.document.files[key] = file;
    await this.save();
  }

  /** Forgets a copy (its file failed verification or was removed) and saves the state. */
  async forget(key: string): Promise<void> {
    if (!(key in this.document.files)) return;
    delete this.document.files[key];
    await this.save();
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify(this.document, null, 1)}\n`;
    this.saving = this.saving.then(() => writeFileAtomic(join(this.dir, EXPORT_STATE_FILE), text));
    return this.saving;
  }
}

/** The export folder already holds another cohort's or bucket's export. */
export class ExportFolderInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly otherCohort: string,
    readonly otherBucket: string,
  ) {
    super(
      `${dir} already holds an export of cohort \`${otherCohort}\` from bucket \`${otherBucket}\`: choose an empty folder (or that export's own folder to resume it)`,
    );
    this.name = "ExportFolderInUseError";
  }
}
