import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeltascopeError } from '../shared/errors';
import type { WorkerHandle, WorkerLauncher } from './launcher';

export interface NodeForkLauncherOptions {
  /** The worker script; default: see defaultWorkerEntry. */
  entry?: string;
  /** Node flags of the worker; default: none for a .cjs entry, `--import tsx` for a .ts one. */
  execArgv?: string[];
  /** Environment of the worker; default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** This module's folder, in the CommonJS bundle (out/main) and when run from source (tsx, vitest). */
function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

/**
 * The worker entry next to this code: out/main/worker.cjs in the bundle (the CLI, the server, the
 * app), else src-main/jobs/worker.ts run through tsx (tests and scripts running from source).
 */
export function defaultWorkerEntry(): { entry: string; execArgv: string[] } {
  const dir = moduleDir();
  const bundled = join(dir, 'worker.cjs');
  if (existsSync(bundled)) return { entry: bundled, execArgv: [] };
  const source = join(dir, 'worker.ts');
  if (existsSync(source)) return { entry: source, execArgv: ['--import', 'tsx'] };
  throw new DeltascopeError(
    'INTERNAL',
    `The training worker is missing: neither ${bundled} nor ${source} exists. Run \`node scripts/build-main.mjs\`.`,
  );
}

/** Starts workers with child_process.fork; messages travel over Node's IPC channel as JSON. */
export function createNodeForkLauncher(options: NodeForkLauncherOptions = {}): WorkerLauncher {
  return {
    name: 'node-fork',
    launch(): WorkerHandle {
      const fallback = options.entry === undefined ? defaultWorkerEntry() : null;
      const entry = options.entry ?? fallback!.entry;
      const execArgv =
        options.execArgv ?? fallback?.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []);
      if (!existsSync(entry)) {
        throw new DeltascopeError('INTERNAL', `The training worker ${entry} does not exist.`);
      }
      const child = fork(entry, [], {
        execArgv,
        env: options.env ?? process.env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
      let exit: [number | null, string | null] | null = null;
      const finish = (code: number | null, signal: string | null): void => {
        if (exit !== null) return;
        exit = [code, signal];
        for (const listener of exitListeners) listener(code, signal);
      };
      child.once('exit', (code, signal) => finish(code, signal));
      // A process that could not be spawned emits 'error' and never 'exit'.
      child.on('error', () => {
        if (child.pid === undefined || child.exitCode !== null) finish(child.exitCode, null);
      });
      return {
        pid: child.pid,
        postMessage: (message) => {
          if (child.connected) child.send(message);
        },
        onMessage: (listener) => child.on('message', listener),
        onExit: (listener) => {
          if (exit === null) exitListeners.push(listener);
          else listener(...exit);
        },
        kill: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    },
  };
}
