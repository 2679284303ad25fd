import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiService } from '../../../src-main/api';
import {
  trustedUrlMatcher,
  wireIpc,
  type IpcInvokeEventLike,
  type IpcMainLike,
  type WebContentsLike,
} from '../../../src-main/electron/ipc-wiring';
import {
  IPC_EVENT_CHANNEL,
  type ApiHandlers,
  type CallResult,
  type WireEvent,
} from '../../../src-main/shared';
import { writeSampleDatabase } from '../../fixtures/sample-db';
import { startApiService } from '../../helpers/api-service';
import { makeTempDir } from '../../helpers/temp-dir';

const RENDERER_URL = 'file:///opt/Deltascope/resources/app.asar/out/renderer/index.html';

/** Stands in for Electron's ipcMain and ipcRenderer, wired to each other as Electron would. */
class FakeIpc implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  senderUrl = RENDERER_URL;
  handle(
    channel: string,
    listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>,
  ): void {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return handler({ senderFrame: { url: this.senderUrl } }, ...args);
  }
}

class FakeWebContents implements WebContentsLike {
  readonly sent: { channel: string; payload: WireEvent }[] = [];
  destroyed = false;
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, payload: WireEvent): void {
    this.sent.push({ channel, payload });
  }
}

const fakeIpc = new FakeIpc();
const rendererListeners: ((event: unknown, wire: WireEvent) => void)[] = [];
const exposed: Record<string, unknown> = {};

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => fakeIpc.invoke(channel, ...args),
    on: (_channel: string, listener: (event: unknown, wire: WireEvent) => void) =>
      rendererListeners.push(listener),
    removeListener: () => undefined,
  },
}));

interface Host {
  mode: string;
  call(method: string, params: unknown): Promise<CallResult>;
  onEvent(listener: (event: WireEvent) => void): () => void;
}

const temp = makeTempDir('ipc');
let service: ApiService;
let unwire: () => void;
let treeHandler: ReturnType<typeof vi.fn>;
const window = new FakeWebContents();
const closedWindow = new FakeWebContents();
let host: Host;

beforeAll(async () => {
  const dbPath = join(temp.dir, 'sample.deltascope');
  writeSampleDatabase(dbPath);
  const { bus, ...api } = startApiService(temp.dir, { mode: 'electron', open: dbPath });
  service = api.service;
  treeHandler = vi.fn(service.handlers['runs.tree']);
  const handlers: ApiHandlers = { ...service.handlers, 'runs.tree': treeHandler as ApiHandlers['runs.tree'] };
  closedWindow.destroyed = true;
  unwire = wireIpc({
    ipcMain: fakeIpc,
    handlers,
    bus,
    isTrustedUrl: trustedUrlMatcher(RENDERER_URL),
    targets: () => [window, closedWindow],
  });
  await import('../../../src-main/electron/preload');
  host = exposed.deltascopeHost as Host;
});

afterAll(() => {
  unwire();
  service.dispose();
  temp.cleanup();
});

describe('the API over Electron IPC (preload proxy → ipcMain wiring → service)', () => {
  it('exposes one generic host object to the renderer', () => {
    expect(host.mode).toBe('electron');
    expect(typeof host.call).toBe('function');
  });

  it('answers a call from our renderer', async () => {
    const result = await host.call('runs.tree', {});
    expect(result.ok).toBe(true);
    if (result.ok)
      expect((result.result as { name: string }[]).map((e) => e.name)).toContain('maze-cheese-demo');
    expect(treeHandler).toHaveBeenCalledTimes(1);
  });

  it('rejects an invalid payload with a clear error before the service runs', async () => {
    const result = await host.call('metrics.series', { runId: -3, maxPoints: 'many' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_PAYLOAD');
      expect(result.error.message).toContain('params.runId');
      expect(result.error.message).toContain('params.maxPoints');
    }
  });

  it('refuses messages from any other frame', async () => {
    fakeIpc.senderUrl = 'https://example.com/evil.html';
    const before = treeHandler.mock.calls.length;
    const result = await host.call('runs.tree', {});
    fakeIpc.senderUrl = RENDERER_URL;
    expect(result).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(treeHandler.mock.calls.length).toBe(before);
  });

  it('pushes events to every live window, validated against the contract', () => {
    service.close();
    expect(window.sent.at(-1)).toEqual({
      channel: IPC_EVENT_CHANNEL,
      payload: { event: 'db.changed', payload: { info: null, reason: 'closed' } },
    });
    expect(closedWindow.sent).toHaveLength(0);
  });
});
