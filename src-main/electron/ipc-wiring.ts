import type { EventBus } from '../api';
import { dispatch } from '../api';
import {
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  type ApiHandlers,
  type CallResult,
  type WireEvent,
} from '../shared';

/** The parts of Electron's ipcMain and WebContents this module uses, so tests can pass fakes. */
export interface IpcInvokeEventLike {
  senderFrame: { url: string } | null;
}
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>,
  ): void;
  removeHandler(channel: string): void;
}
export interface WebContentsLike {
  isDestroyed(): boolean;
  send(channel: string, payload: WireEvent): void;
}

export interface IpcWiringOptions {
  ipcMain: IpcMainLike;
  /** The service's handlers in this process, or `call`: a service elsewhere (the desktop app's API host). */
  handlers?: ApiHandlers;
  call?: (method: unknown, params: unknown) => Promise<CallResult>;
  bus: EventBus;
  /** True only for our own renderer page; every message's sender frame is checked with it. */
  isTrustedUrl: (url: string) => boolean;
  /** The web contents of every open window, for pushed events. */
  targets: () => WebContentsLike[];
}

/**
 * The contract over Electron IPC: one invoke channel carrying `{ method, params }`, answered with
 * a CallResult, and one event channel. Messages from any frame other than our renderer are refused.
 */
export function wireIpc(options: IpcWiringOptions): () => void {
  options.ipcMain.handle(IPC_CALL_CHANNEL, async (event, request): Promise<CallResult> => {
    const url = event.senderFrame?.url ?? '';
    if (!options.isTrustedUrl(url)) {
      return {
        ok: false,
        error: {
          code: 'UNAUTHORIZED',
          message: `IPC from an untrusted frame (${url || 'unknown'}) was refused.`,
        },
      };
    }
    if (typeof request !== 'object' || request === null) {
      return {
        ok: false,
        error: { code: 'INVALID_PAYLOAD', message: 'IPC request must be { method, params }.' },
      };
    }
    const { method, params } = request as { method?: unknown; params?: unknown };
    if (options.call !== undefined) return options.call(method, params);
    if (options.handlers === undefined) throw new Error('wireIpc needs handlers or call');
    return dispatch(options.handlers, method, params);
  });
  const unsubscribe = options.bus.subscribe((wireEvent) => {
    for (const target of options.targets()) {
      if (!target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, wireEvent);
    }
  });
  return () => {
    unsubscribe();
    options.ipcMain.removeHandler(IPC_CALL_CHANNEL);
  };
}

/** Trusts exactly the renderer's index page (any hash/query), nothing else on file:// or elsewhere. */
export function trustedUrlMatcher(indexUrl: string): (url: string) => boolean {
  const base = indexUrl.split(/[?#]/)[0];
  return (url) => url.split(/[?#]/)[0] === base;
}
