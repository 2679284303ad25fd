import type { ApiClient } from './client';

let current: ApiClient | null = null;

/** Installs the client the stores use: main.ts at start-up, a fake client in tests. */
export function provideApi(client: ApiClient): void {
  current = client;
}

/** The installed client. */
export function useApi(): ApiClient {
  if (current === null)
    throw new Error('useApi: no API client installed; call provideApi() before mounting the app');
  return current;
}
