/** One CLI command: a name, a one-line summary, its --help text, the options it parses, and what it does. */
export interface CliCommand {
  name: string;
  summary: string;
  help: string;
  /** Every option the command parses (by long name), `help` included; its --help lists exactly these. */
  options: Readonly<Record<string, { type: 'string' | 'boolean' }>>;
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Raw writes to a terminal, for progress redrawn with \r; absent when stdout is not a TTY. */
  ttyWrite?(text: string): void;
}

/** A usage mistake: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {}

/** A flag's value as a positive integer; a usage mistake naming the flag otherwise. */
export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} needs a positive integer; got "${text}".`);
  return n;
}
