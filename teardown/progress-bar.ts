/**
 * A progress bar for long copies (`labkit export`): drawn in place on a terminal, plain lines
 * otherwise, so logs and CI output stay readable.
 */

/** Where a copy stands. */
export interface CopyProgress {
  /** Bytes copied (or found already copied) so far. */
  readonly doneBytes: number;
  /** Bytes to copy in all. */
  readonly totalBytes: number;
  /** Files finished so far (copied, skipped as already verified, or failed). */
  readonly doneFiles: number;
  /** Files in all. */
  readonly totalFiles: number;
}

/** Bytes in human units: `512 B`, `3.4 MiB`, `1.2 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * One line of progress: `[#########-----------]  45%  12/30 files  1.2 GiB / 2.6 GiB`.
 * `widthChars` is the bar's inner width, default 30 characters.
 */
export function renderProgressBar(progress: CopyProgress, widthChars = 30): string {
  const fraction =
    progress.totalBytes > 0
      ? Math.min(1, progress.doneBytes / progress.totalBytes)
      : progress.totalFiles > 0
        ? Math.min(1, progress.doneFiles / progress.totalFiles)
        : 1;
  const filled = Math.round(fraction * widthChars);
  const bar = `${"#".repeat(filled)}${"-".repeat(widthChars - filled)}`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `[${bar}] ${percent}  ${progress.doneFiles}/${progress.totalFiles} files  ${formatBytes(progress.doneBytes)} / ${formatBytes(progress.totalBytes)}`;
}

/** What a progress display needs of a stream: stderr in the CLI, a buffer in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** True on a terminal: the bar is redrawn in place; false: one plain line per finished file. */
  readonly isTTY?: boolean;
}

/**
 * Shows copy progress on a stream: a bar redrawn at most every `redrawMs` (default 100 ms) on a
 * terminal, or one plain line per finished file when the stream is not a terminal.
 */
export class ProgressDisplay {
  private lastDrawMs = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly redrawMs = 100,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Bytes moved within a file: redraws the bar on a terminal; silent otherwise. */
  update(progress: CopyProgress): void {
    if (!this.stream.isTTY) return;
    const now = this.nowMs();
    if (this.drawn && now - this.lastDrawMs < this.redrawMs) return;
    this.lastDrawMs = now;
    this.drawn = true;
    this.stream.write(`\r${renderProgressBar(progress)}\u001b[K`);
  }

  /** A file finished: redraws the bar on a terminal, or prints `label` with the counts otherwise. */
  fileDone(progress: CopyProgress, label: string): void {
    if (this.stream.isTTY) {
      this.lastDrawMs = 0;
      this.drawn = false;
      this.update(progress);
      return;
    }
    this.stream.write(`[${progress.doneFiles}/${progress.totalFiles}] ${label}\n`);
  }

  /** Ends the bar's line on a terminal, so the next output starts on a fresh line. */
  finish(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}
