import { createBrowserTransport } from './browser-transport';
import { resolveToken } from './browser-token';
import { createElectronTransport } from './electron-transport';
import './host';
import type { Transport } from './transport';

export type { ApiClient } from './client';
export type { ConnectionState, Transport } from './transport';
export { createApiClient } from './client';
export { provideApi, useApi } from './provider';

/** Electron's preload bridge if present, otherwise the headless server this page came from. */
export function selectTransport(): Transport {
  const host = window.deltascopeHost;
  if (host !== undefined && host.mode === 'electron') return createElectronTransport(host);
  const { token, cleanedUrl } = resolveToken(window.location.href, window.sessionStorage);
  if (cleanedUrl !== null) window.history.replaceState(window.history.state, '', cleanedUrl);
  return createBrowserTransport({ origin: window.location.origin, token });
}
