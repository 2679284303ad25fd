import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src-main/api';
import {
  connectHost,
  hostEnd,
  type FromHost,
  type Port,
  type ToHost,
} from '../../../src-main/electron/api-host-channel';
import type { WorkerHandle, WorkerLauncher } from '../../../src-main/jobs';
import type { ApiHandlers, WireEvent } from '../../../src-main/shared';

/**
 * The protocol between Electron's main process and the API host (a utilityProcess in the app), over
 * a real MessageChannel: calls are answered by the host's service, events come back, training
 * workers started by main are relayed, and quit finishes the jobs before the host exits.
 */

function port<Out, In>(end: MessagePort): Port<Out, In> {
  return {
    postMessage: (message) => end.postMessage(message),
    onMessage: (listener) => end.on('message', (message: In) => listener(message)),
  };
}

/** A fake training worker that echoes what it is sent and exits when told to. */
function fakeLauncher(): WorkerLauncher & { launched: number } {
  const launcher = {
    name: 'fake',
    launched: 0,
    launch(): WorkerHandle {
      launcher.launched++;
      const messages: ((m: unknown) => void)[] = [];
      const exits: ((code: number | null, signal: string | null) => void)[] = [];
      return {
        pid: 4242,
        postMessage: (message) => {
          setTimeout(() => messages.forEach((listener) => listener({ echo: message })), 0);
        },
        onMessage: (listener) => messages.push(listener),
        onExit: (listener) => exits.push(listener),
        kill: () => setTimeout(() => exits.forEach((listener) => listener(null, 'SIGTERM')), 0),
      };
    },
  };
  return launcher;
}

const channels: MessageChannel[] = [];
afterEach(() => channels.splice(0).forEach((c) => (c.port1.close(), c.port2.close())));

function setup(handlers: Partial<ApiHandlers>, disposeJobs: () => Promise<void> = async () => undefined) {
  const channel = new MessageChannel();
  channels.push(channel);
  const events: WireEvent[] = [];
  const launcher = fakeLauncher();
  const client = connectHost(port<ToHost, FromHost>(channel.port1), {
    onEvent: (event) => events.push(event),
    launcher,
  });
  const end = hostEnd(port<FromHost, ToHost>(channel.port2));
  const bus = new EventBus();
  const log: string[] = [];
  end.serve(
    {
      handlers: handlers as ApiHandlers,
      disposeJobs: async () => {
        log.push('disposeJobs');
        await disposeJobs();
      },
      dispose: () => log.push('dispose'),
    },
    bus,
    () => log.push('exit'),
  );
  return { client, end, bus, events, launcher, log };
}

describe('the API host channel', () => {
  it('answers contract calls with the host service, errors as data, and forwards pushed events', async () => {
    const { client, bus, events } = setup({
      'db.recent': async () => [{ path: '/x.deltascope', openedAt: '2026-01-01T00:00:00Z', exists: true }],
    } as Partial<ApiHandlers>);
    const ok = await client.call('db.recent', {});
    expect(ok).toEqual({
      ok: true,
      result: [{ path: '/x.deltascope', openedAt: '2026-01-01T00:00:00Z', exists: true }],
    });
    const unknown = await client.call('no.such.method', {});
    expect(unknown.ok).toBe(false);
    bus.emit('app.notice', { level: 'info', message: 'hello' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([{ event: 'app.notice', payload: { level: 'info', message: 'hello' } }]);
  });

  it('answers calls while one is still computing (each call is its own message)', async () => {
    let release: () => void = () => undefined;
    const { client } = setup({
      'db.current': () => new Promise((resolve) => (release = () => resolve(null))),
      'db.recent': async () => [],
    } as Partial<ApiHandlers>);
    const slow = client.call('db.current', {});
    const fast = await client.call('db.recent', {});
    expect(fast).toEqual({ ok: true, result: [] });
    release();
    expect(await slow).toEqual({ ok: true, result: null });
  });

  it('relays a training worker that main starts for the host: messages both ways, pid, kill and exit', async () => {
    const { end, launcher } = setup({});
    const handle = end.launcher.launch();
    const received: unknown[] = [];
    const exited: (string | null)[] = [];
    handle.onMessage((message) => received.push(message));
    handle.onExit((_code, signal) => exited.push(signal));
    handle.postMessage({ type: 'cancel' } as never);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(launcher.launched).toBe(1);
    expect(handle.pid).toBe(4242);
    expect(received).toEqual([{ echo: { type: 'cancel' } }]);
    handle.kill();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(exited).toEqual(['SIGTERM']);
  });

  it('quit finishes the jobs and closes the service before the host exits', async () => {
    const { client, log } = setup({}, () => new Promise((resolve) => setTimeout(resolve, 20)));
    await client.quit();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log).toEqual(['disposeJobs', 'dispose', 'exit']);
  });

  it('when the host process dies, pending and later calls fail with the reason instead of hanging', async () => {
    const { client } = setup({ 'db.current': () => new Promise(() => undefined) } as Partial<ApiHandlers>);
    const pending = client.call('db.current', {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    client.hostExited('the Deltascope API process ended (exit code 1)');
    expect(await pending).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'the Deltascope API process ended (exit code 1)' },
    });
    expect((await client.call('db.recent', {})).ok).toBe(false);
  });
});
