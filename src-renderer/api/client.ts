import {
  DeltascopeError,
  METHOD_NAMES,
  describeIssues,
  events,
  fromErrorPayload,
  isEventName,
  methods,
  toErrorPayload,
  type DeltascopeApi,
  type EventListener,
  type EventName,
  type MethodName,
  type WireEvent,
} from '@shared';
import type { ConnectionState, Transport } from './transport';

/** The typed API plus pushed events and the state of the event channel. */
export interface ApiClient extends DeltascopeApi {
  readonly mode: 'electron' | 'browser';
  onEvent<E extends EventName>(name: E, listener: EventListener<E>): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  connection(): ConnectionState;
}

type AnyListener = (payload: unknown) => void;

/** Builds the client: one function per contract method, replies checked against their schema. */
export function createApiClient(transport: Transport): ApiClient {
  const listeners = new Map<EventName, Set<AnyListener>>();

  const call = async (method: MethodName, request: unknown): Promise<unknown> => {
    let reply;
    try {
      reply = await transport.call(method, request ?? {});
    } catch (error) {
      throw error instanceof DeltascopeError ? error : fromErrorPayload(toErrorPayload(error));
    }
    if (!reply.ok) throw fromErrorPayload(reply.error);
    const parsed = methods[method].response.safeParse(reply.result);
    if (!parsed.success) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `The reply to ${method} does not match the API contract: ${describeIssues(parsed.error, 'result')}`,
      );
    }
    return parsed.data;
  };

  const dispatch = (wire: WireEvent): void => {
    if (!isEventName(wire.event)) return;
    const subscribers = listeners.get(wire.event);
    if (subscribers === undefined || subscribers.size === 0) return;
    const parsed = events[wire.event].payload.safeParse(wire.payload);
    if (!parsed.success) {
      console.warn(`Deltascope: ignoring ${wire.event} event: ${describeIssues(parsed.error, 'payload')}`);
      return;
    }
    for (const listener of subscribers) listener(parsed.data);
  };

  let unsubscribeTransport: (() => void) | null = null;
  const callers = Object.fromEntries(
    METHOD_NAMES.map((method) => [method, (request: unknown) => call(method, request)]),
  ) as unknown as DeltascopeApi;

  return {
    ...callers,
    mode: transport.mode,
    onEvent(name, listener) {
      if (unsubscribeTransport === null) unsubscribeTransport = transport.subscribe(dispatch);
      const set = listeners.get(name) ?? new Set<AnyListener>();
      listeners.set(name, set);
      const erased = listener as AnyListener;
      set.add(erased);
      return () => {
        set.delete(erased);
      };
    },
    onConnection: (listener) => transport.onConnection(listener),
    connection: () => transport.connection,
  };
}
