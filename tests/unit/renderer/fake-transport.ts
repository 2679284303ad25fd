import type { ConnectionState, Transport } from '../../../src-renderer/api/transport';
import {
  DeltascopeError,
  type CallResult,
  type MethodName,
  type MethodResponse,
  type WireEvent,
} from '@shared';

type Handler = (params: unknown) => unknown;

/** An in-memory main side: answers calls from handlers, pushes events on demand, records calls. */
export class FakeTransport implements Transport {
  readonly mode = 'browser' as const;
  connection: ConnectionState = 'connected';
  readonly calls: { method: string; params: unknown }[] = [];
  private readonly handlers = new Map<string, Handler>();
  private readonly eventListeners = new Set<(event: WireEvent) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();

  handle<M extends MethodName>(method: M, handler: (params: unknown) => MethodResponse<M>): this {
    this.handlers.set(method, handler);
    return this;
  }

  async call(method: string, params: unknown): Promise<CallResult> {
    this.calls.push({ method, params });
    const handler = this.handlers.get(method);
    if (handler === undefined)
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `no fake for ${method}` } };
    try {
      return { ok: true, result: handler(params) };
    } catch (error) {
      if (error instanceof DeltascopeError) return { ok: false, error: error.toPayload() };
      throw error;
    }
  }

  subscribe(listener: (event: WireEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  emit(event: string, payload: unknown): void {
    for (const listener of this.eventListeners) listener({ event, payload });
  }

  setConnection(state: ConnectionState): void {
    this.connection = state;
    for (const listener of this.connectionListeners) listener(state);
  }
}
