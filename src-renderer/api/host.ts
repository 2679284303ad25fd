import type { CallResult, WireEvent } from '@shared';

/** What the Electron preload exposes on `window.deltascopeHost` through contextBridge. */
export interface DeltascopeHost {
  readonly mode: 'electron';
  call(method: string, params: unknown): Promise<CallResult>;
  onEvent(listener: (event: WireEvent) => void): () => void;
}

declare global {
  interface Window {
    deltascopeHost?: DeltascopeHost;
  }
}
