import type { EventPayload } from '../shared';
import type { CliIo } from './command';

/** How often a plain (non-terminal) output gets a progress line. */
const PLAIN_INTERVAL_MS = 2000;

type JobProgress = EventPayload<'job.progress'>;

/**
 * A progress bar redrawn in place on a terminal; otherwise a plain line every few seconds.
 * `format` turns one job.progress event into the line (training and protocol runs differ).
 */
export class ProgressPrinter {
  private last: JobProgress | null = null;
  private printed: JobProgress | null = null;
  private printedAt = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly format: (progress: JobProgress) => string,
  ) {}

  update(progress: JobProgress): void {
    this.last = progress;
    if (this.io.ttyWrite !== undefined) {
      this.io.ttyWrite(`\r${this.format(progress)}\x1b[K`);
      this.drawn = true;
    } else if (Date.now() - this.printedAt >= PLAIN_INTERVAL_MS) {
      this.print(progress);
    }
  }

  /** Ends the redrawn line so that a message can follow. */
  interrupt(): void {
    if (this.drawn) this.io.ttyWrite?.('\n');
    this.drawn = false;
  }

  /** Leaves the final progress on screen: ends the bar's line, or prints the last plain line if it was skipped. */
  finish(): void {
    if (this.io.ttyWrite !== undefined) this.interrupt();
    else if (this.last !== null && this.last !== this.printed) this.print(this.last);
  }

  private print(progress: JobProgress): void {
    this.printed = progress;
    this.printedAt = Date.now();
    this.io.out(this.format(progress));
  }
}
