import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * Follows a spawned CLI's stdout and stderr (interleaved, in arrival order) so that a test waits for
 * a line or for the exit with a deadline of its own, and a wait that fails says what the child
 * printed — instead of hanging until the test's timeout with nothing to go on.
 */
export interface WatchedChild {
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the output once it matches `pattern`; rejects (with the output) on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, what: string, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code (null when ended by a signal); rejects (with the output) after `timeoutMs`. */
  exit(timeoutMs: number): Promise<number | null>;
}

export function watchChild(child: ChildProcessWithoutNullStreams): WatchedChild {
  const started = performance.now();
  let output = '';
  let exitCode: number | null | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((listener) => listener());
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    notify();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code) => {
    exitCode = code;
    notify();
  });
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;

  /** Settles when `check` returns a value (or throws), or fails after `timeoutMs` naming `what`. */
  const until = <T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(poll);
        settle();
      };
      const poll = (): void => {
        try {
          const value = check();
          if (value !== undefined) finish(() => resolve(value));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new Error(
                `no ${what} within ${timeoutMs} ms (${elapsed()} since the start); the child printed:\n${output}`,
              ),
            ),
          ),
        timeoutMs,
      );
      listeners.add(poll);
      poll();
    });

  return {
    output: () => output,
    waitFor: (pattern, what, timeoutMs) =>
      until(
        () => {
          if (pattern.test(output)) return output;
          if (exitCode !== undefined)
            throw new Error(
              `exited (code ${exitCode}) before ${what} (${elapsed()}); it printed:\n${output}`,
            );
          return undefined;
        },
        what,
        timeoutMs,
      ),
    exit: (timeoutMs) => until(() => exitCode, 'exit', timeoutMs),
  };
}
