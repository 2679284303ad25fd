import { dispatch, type ApiService, type EventBus } from '../api';
import type { ParentMessage, WorkerHandle, WorkerLauncher } from '../jobs';
import type { CallResult, WireEvent } from '../shared';

/**
 * The desktop app's API service runs in its own utilityProcess (api-host.ts), so that nothing it
 * computes can stall Electron's main process (windows, menus, IPC). This is the message protocol
 * between the two, with both ends written against a minimal port so tests drive them with a
 * MessageChannel and no Electron:
 *   main → host: contract calls, quit, and the training workers' messages and exits;
 *   host → main: call results, pushed events, and requests to start, message or kill a worker.
 * Training workers are themselves utility processes, which only the main process can start (the
 * RunAsNode fuse is off): main starts them for the host and relays their messages, nothing else.
 */

export type ToHost =
  | { type: 'call'; id: number; method: unknown; params: unknown }
  | { type: 'quit' }
  | { type: 'worker-started'; workerId: number; pid: number | undefined }
  | { type: 'worker-message'; workerId: number; message: unknown }
  | { type: 'worker-exit'; workerId: number; code: number | null; signal: string | null };

export type FromHost =
  | { type: 'result'; id: number; result: CallResult }
  | { type: 'event'; event: WireEvent }
  | { type: 'worker-launch'; workerId: number }
  | { type: 'worker-post'; workerId: number; message: ParentMessage }
  | { type: 'worker-kill'; workerId: number }
  | { type: 'quit-done' };

/** One end of a message port: what it sends and what it hears. */
export interface Port<Out, In> {
  postMessage(message: Out): void;
  onMessage(listener: (message: In) => void): void;
}

// ------------------------------------------------------------------------------ main's end

export interface HostClient {
  /** A contract call answered by the host's ApiService. */
  call(method: unknown, params: unknown): Promise<CallResult>;
  /** Asks the host to finish its jobs and close the database; resolves when it has. */
  quit(): Promise<void>;
  /** The host process ended: every pending and later call fails with this reason. */
  hostExited(reason: string): void;
}

/**
 * Main's end: forwards calls, hands pushed events to `onEvent`, and starts/relays/kills training
 * workers on the host's behalf with `launcher` (Electron's utilityProcess launcher).
 */
export function connectHost(
  port: Port<ToHost, FromHost>,
  options: { onEvent: (event: WireEvent) => void; launcher: WorkerLauncher },
): HostClient {
  const pending = new Map<number, (result: CallResult) => void>();
  const workers = new Map<number, WorkerHandle>();
  let quitDone: (() => void) | null = null;
  let exited: string | null = null;
  let nextId = 1;

  port.onMessage((message) => {
    switch (message.type) {
      case 'result':
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
        break;
      case 'event':
        options.onEvent(message.event);
        break;
      case 'worker-launch': {
        const { workerId } = message;
        try {
          const handle = options.launcher.launch();
          workers.set(workerId, handle);
          handle.onMessage((data) => port.postMessage({ type: 'worker-message', workerId, message: data }));
          handle.onExit((code, signal) => {
            workers.delete(workerId);
            port.postMessage({ type: 'worker-exit', workerId, code, signal });
          });
          port.postMessage({ type: 'worker-started', workerId, pid: handle.pid });
        } catch {
          port.postMessage({ type: 'worker-exit', workerId, code: null, signal: 'launch-failed' });
        }
        break;
      }
      case 'worker-post':
        workers.get(message.workerId)?.postMessage(message.message);
        break;
      case 'worker-kill':
        workers.get(message.workerId)?.kill();
        break;
      case 'quit-done':
        quitDone?.();
        break;
    }
  });

  const failAll = (reason: string) => {
    for (const resolve of pending.values()) {
      resolve({ ok: false, error: { code: 'INTERNAL', message: reason } });
    }
    pending.clear();
  };

  return {
    call(method, params) {
      if (exited !== null)
        return Promise.resolve({ ok: false, error: { code: 'INTERNAL', message: exited } });
      const id = nextId++;
      return new Promise<CallResult>((resolve) => {
        pending.set(id, resolve);
        port.postMessage({ type: 'call', id, method, params });
      });
    },
    quit() {
      if (exited !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        quitDone = resolve;
        port.postMessage({ type: 'quit' });
      });
    },
    // (also ends a quit: the host may exit before its quit-done message is delivered)
    hostExited(reason) {
      exited = reason;
      failAll(reason);
      quitDone?.();
      for (const handle of workers.values()) handle.kill();
      workers.clear();
    },
  };
}

// ------------------------------------------------------------------------------ the host's end

export interface HostEnd {
  /** Training workers started by main and relayed through this port (the service's job launcher). */
  launcher: WorkerLauncher;
  /** Answers main's calls with `service` and forwards `bus` events; quit ends with `exit`. */
  serve(
    service: Pick<ApiService, 'handlers' | 'disposeJobs' | 'dispose'>,
    bus: EventBus,
    exit: () => void,
  ): void;
}

interface RelayedWorker {
  pid: number | undefined;
  messageListeners: ((message: unknown) => void)[];
  exitListeners: ((code: number | null, signal: string | null) => void)[];
  exited: boolean;
}

/** The host's end of the port. */
export function hostEnd(port: Port<FromHost, ToHost>): HostEnd {
  const workers = new Map<number, RelayedWorker>();
  let nextWorker = 1;
  let onCall: ((message: Extract<ToHost, { type: 'call' }>) => void) | null = null;
  let onQuit: (() => void) | null = null;

  port.onMessage((message) => {
    switch (message.type) {
      case 'call':
        onCall?.(message);
        break;
      case 'quit':
        onQuit?.();
        break;
      case 'worker-started': {
        const worker = workers.get(message.workerId);
        if (worker !== undefined) worker.pid = message.pid;
        break;
      }
      case 'worker-message':
        workers.get(message.workerId)?.messageListeners.forEach((listener) => listener(message.message));
        break;
      case 'worker-exit': {
        const worker = workers.get(message.workerId);
        if (worker === undefined) break;
        worker.exited = true;
        workers.delete(message.workerId);
        worker.exitListeners.forEach((listener) => listener(message.code, message.signal));
        break;
      }
    }
  });

  const launcher: WorkerLauncher = {
    name: 'electron-utility (relayed by main)',
    launch(): WorkerHandle {
      const workerId = nextWorker++;
      const worker: RelayedWorker = {
        pid: undefined,
        messageListeners: [],
        exitListeners: [],
        exited: false,
      };
      workers.set(workerId, worker);
      port.postMessage({ type: 'worker-launch', workerId });
      return {
        get pid() {
          return worker.pid;
        },
        postMessage: (message) => port.postMessage({ type: 'worker-post', workerId, message }),
        onMessage: (listener) => worker.messageListeners.push(listener),
        onExit: (listener) => worker.exitListeners.push(listener),
        kill: () => {
          if (!worker.exited) port.postMessage({ type: 'worker-kill', workerId });
        },
      };
    },
  };

  return {
    launcher,
    serve(service, bus, exit) {
      bus.subscribe((event) => port.postMessage({ type: 'event', event }));
      onCall = ({ id, method, params }) => {
        void dispatch(service.handlers, method, params).then((result) =>
          port.postMessage({ type: 'result', id, result }),
        );
      };
      let quitting = false;
      onQuit = () => {
        if (quitting) return;
        quitting = true;
        void service
          .disposeJobs()
          .finally(() => {
            service.dispose();
            port.postMessage({ type: 'quit-done' });
          })
          .finally(exit);
      };
    },
  };
}
