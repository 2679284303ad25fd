import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests/e2e/helpers → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SERVE_ENTRY = join(REPO_ROOT, 'out', 'main', 'serve.cjs');
const RENDERER_INDEX = join(REPO_ROOT, 'out', 'renderer', 'index.html');

/** Runs `npm run build` when the server bundle or the renderer is missing (CI builds first). */
export function ensureBuilt(): void {
  if (existsSync(SERVE_ENTRY) && existsSync(RENDERER_INDEX)) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`npm run build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

export interface ServeProcess {
  /** The printed URL, token included. */
  url: string;
  child: ChildProcess;
  /** Output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const URL_PATTERN = /is serving (http:\/\/127\.0\.0\.1:\d+\/\S*)/;

/**
 * Starts `node out/main/serve.cjs --db <db> --port 0` with its app-data folder in `appDataDir`
 * (so the user's recent list is untouched) and resolves with the URL it prints.
 */
export function startServe(db: string, appDataDir: string, timeoutMs = 30_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [SERVE_ENTRY, '--db', db, '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DELTASCOPE_HOME: appDataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const stop = (): Promise<void> =>
    new Promise((resolvePromise) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(killer);
        resolvePromise();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the server printed no URL within ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      const match = URL_PATTERN.exec(log);
      if (match === null) return;
      clearTimeout(timer);
      resolvePromise({ url: match[1] as string, child, output: () => log, stop });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${code} before printing its URL:\n${log}`));
    });
  });
}
