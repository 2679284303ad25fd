import type { CallResult, WireEvent } from '@shared';

/** `connecting` before the first event channel is up, `disconnected` after it dropped. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** A way to reach the main side: one request/reply call and one stream of pushed events. */
export interface Transport {
  readonly mode: 'electron' | 'browser';
  /** Resolves with the main side's reply; rejects only when the main side cannot be reached. */
  call(method: string, params: unknown): Promise<CallResult>;
  subscribe(listener: (event: WireEvent) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  readonly connection: ConnectionState;
}
