import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBrowserTransport } from '../../../../src-renderer/api/browser-transport';
import type { ConnectionState } from '../../../../src-renderer/api/transport';

/** Just enough of the browser WebSocket for the transport: handlers and the URL it was opened with. */
class FakeSocket {
  static opened: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.opened = [];
  vi.stubGlobal('WebSocket', FakeSocket);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('createBrowserTransport', () => {
  it('posts calls to /api/call with the bearer token and returns the CallResult body', async () => {
    const fetchMock = vi.fn(
      async () => new Response(JSON.stringify({ ok: true, result: 42 }), { status: 200 }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const transport = createBrowserTransport({ origin: 'http://127.0.0.1:5183', token: 'secret' });
    await expect(transport.call('app.info', {})).resolves.toEqual({ ok: true, result: 42 });
    expect(fetchMock).toHaveBeenCalledWith('http://127.0.0.1:5183/api/call', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer secret' },
      body: JSON.stringify({ method: 'app.info', params: {} }),
    });
  });

  it('passes a 401 UNAUTHORIZED reply through so its message reaches the user', async () => {
    const body = { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong token.' } };
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(body), { status: 401 }));
    const transport = createBrowserTransport({ origin: 'http://127.0.0.1:5183', token: null });
    await expect(transport.call('db.current', {})).resolves.toEqual(body);
  });

  it('turns an unreachable server or a non-JSON reply into an IO_ERROR naming the server', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const transport = createBrowserTransport({ origin: 'http://127.0.0.1:5183', token: 't' });
    await expect(transport.call('db.current', {})).rejects.toMatchObject({
      code: 'IO_ERROR',
      message: 'Cannot reach the Deltascope server at http://127.0.0.1:5183 (Failed to fetch).',
    });
    vi.stubGlobal('fetch', async () => new Response('<html>oops</html>', { status: 502 }));
    await expect(transport.call('db.current', {})).rejects.toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringContaining('HTTP 502'),
    });
  });

  it('opens the event socket with the token, forwards events, and reconnects with backoff after a drop', () => {
    const transport = createBrowserTransport({ origin: 'http://127.0.0.1:5183', token: 'a b' });
    const states: ConnectionState[] = [];
    transport.onConnection((state) => states.push(state));
    const events: unknown[] = [];
    transport.subscribe((event) => events.push(event));

    const first = FakeSocket.opened[0];
    expect(first?.url).toBe('ws://127.0.0.1:5183/events?token=a%20b');
    first?.onopen?.();
    first?.onmessage?.({
      data: JSON.stringify({ event: 'db.changed', payload: { info: null, reason: 'closed' } }),
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    first?.onmessage?.({ data: 'not json' });
    expect(warn).toHaveBeenCalledOnce();
    expect(events).toEqual([{ event: 'db.changed', payload: { info: null, reason: 'closed' } }]);
    expect(transport.connection).toBe('connected');

    first?.onclose?.();
    expect(transport.connection).toBe('disconnected');
    vi.advanceTimersByTime(499);
    expect(FakeSocket.opened).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.opened).toHaveLength(2);
    FakeSocket.opened[1]?.onclose?.();
    vi.advanceTimersByTime(999);
    expect(FakeSocket.opened).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.opened).toHaveLength(3);
    FakeSocket.opened[2]?.onopen?.();
    expect(states).toEqual(['connected', 'disconnected', 'connected']);
  });
});
