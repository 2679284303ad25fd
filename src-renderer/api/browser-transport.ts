import { DeltascopeError, type CallResult, type WireEvent } from '@shared';
import { isCallResult, isWireEvent } from './call-result';
import { reconnectDelayMs } from './reconnect-backoff';
import type { ConnectionState, Transport } from './transport';

export interface BrowserTransportOptions {
  /** e.g. `http://127.0.0.1:5123`; calls go to `<origin>/api/call`, events to `<origin>/events`. */
  origin: string;
  token: string | null;
}

/** The headless server's HTTP + WebSocket endpoints as a Transport, reconnecting with backoff. */
export function createBrowserTransport(options: BrowserTransportOptions): Transport {
  const eventListeners = new Set<(event: WireEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const wsOrigin = options.origin.replace(/^http/, 'ws');
  const tokenQuery = options.token === null ? '' : `?token=${encodeURIComponent(options.token)}`;
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let failedAttempts = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const setState = (next: ConnectionState): void => {
    if (next === state) return;
    state = next;
    for (const listener of connectionListeners) listener(next);
  };

  const scheduleReconnect = (): void => {
    if (retryTimer !== null || eventListeners.size === 0) return;
    const delay = reconnectDelayMs(failedAttempts);
    failedAttempts += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  };

  const connect = (): void => {
    const ws = new WebSocket(`${wsOrigin}/events${tokenQuery}`);
    socket = ws;
    ws.onopen = () => {
      failedAttempts = 0;
      setState('connected');
    };
    ws.onmessage = (message: MessageEvent) => {
      if (typeof message.data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        console.warn('Deltascope: ignoring an event that is not JSON');
        return;
      }
      if (!isWireEvent(parsed)) return;
      for (const listener of eventListeners) listener(parsed);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setState('disconnected');
      scheduleReconnect();
    };
  };

  const call = async (method: string, params: unknown): Promise<CallResult> => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.token !== null) headers.Authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await fetch(`${options.origin}/api/call`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ method, params }),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DeltascopeError(
        'IO_ERROR',
        `Cannot reach the Deltascope server at ${options.origin} (${reason}).`,
      );
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: reported below with the HTTP status.
    }
    if (isCallResult(body)) return body;
    throw new DeltascopeError(
      'IO_ERROR',
      `The Deltascope server answered ${method} with HTTP ${response.status} and no readable reply.`,
    );
  };

  return {
    mode: 'browser',
    call,
    subscribe(listener) {
      eventListeners.add(listener);
      if (socket === null && retryTimer === null) connect();
      return () => {
        eventListeners.delete(listener);
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    get connection() {
      return state;
    },
  };
}
