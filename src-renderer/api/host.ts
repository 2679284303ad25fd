import type { CallResult, WireEvent } from '@shared';

/** What the Electron preload exposes on `window.deltascopeHost` through contextBridge. */
export interface DeltascopeHost {
  readonly mode: 'electron';
  call(method: string, params: unknown): Promise<CallResult>;
  onEvent(listener: (event: WireEvent) => void): () => void;
  /** The file-system path of a File dropped from the operating system (Electron only). */
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    deltascopeHost?: DeltascopeHost;
  }
}
