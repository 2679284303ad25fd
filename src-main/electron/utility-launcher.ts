import { utilityProcess } from 'electron';
import { join } from 'node:path';
import type { WorkerHandle, WorkerLauncher } from '../jobs';

/**
 * Training workers in the desktop app: Electron's utilityProcess (a Node process that Electron
 * manages and that runs with Electron's ABI, so the Electron build of better-sqlite3 loads). The
 * worker speaks to `process.parentPort`; the job queue only sees the WorkerHandle interface.
 */
export function createUtilityProcessLauncher(mainDir: string): WorkerLauncher {
  const entry = join(mainDir, 'worker.cjs');
  return {
    name: 'electron-utility',
    launch(): WorkerHandle {
      const child = utilityProcess.fork(entry, [], {
        serviceName: 'Deltascope training',
        stdio: 'inherit',
        env: { ...process.env },
      });
      let exited = false;
      const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
      child.once('exit', (code) => {
        exited = true;
        for (const listener of exitListeners) listener(code, null);
      });
      return {
        get pid() {
          return child.pid;
        },
        postMessage: (message) => child.postMessage(message),
        onMessage: (listener) => child.on('message', listener),
        onExit: (listener) => exitListeners.push(listener),
        kill: () => {
          if (!exited) child.kill();
        },
      };
    },
  };
}
