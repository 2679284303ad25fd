import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../../src-main/cli/main';

/**
 * The `deltascope` command run the two ways the CLI tests need: in this process (fast, the sources
 * as they are) or as the built command in a child process (the bundle in out/main, worker threads and
 * processes, signals, exit codes as a shell sees them). Both return the same shape.
 */

/** Exit code and what was printed: lines joined with "\n" in this process, the raw streams from a child. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command users run: bin/deltascope.cjs (which loads out/main/cli.cjs). */
export const DELTASCOPE_BIN = fileURLToPath(new URL('../../bin/deltascope.cjs', import.meta.url));

/** Runs the CLI in this process (`runCli`), capturing its output. */
export async function deltascope(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

export interface CliProcessOptions {
  /** DELTASCOPE_HOME of the child (where it keeps app data): the test's temp folder. */
  home: string;
  /** Its working folder; the test runner's when not set. */
  cwd?: string;
}

/**
 * A runner of the built `deltascope` command in its own process: a non-zero exit is returned as
 * `code`, not thrown; a child that could not be started at all (or was killed) throws.
 */
export function deltascopeProcess(options: CliProcessOptions): (...args: string[]) => Promise<CliResult> {
  const run = promisify(execFile);
  return async (...args) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [DELTASCOPE_BIN, ...args], {
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        // `status --json` of a large work folder and `info --json` print more than execFile's 1 MiB.
        maxBuffer: 1 << 26,
        env: { ...process.env, DELTASCOPE_HOME: options.home },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof failed.code !== 'number') throw error;
      return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };
}
