/** The session token of the headless server: read once from the URL, then kept per tab. */

export const TOKEN_STORAGE_KEY = 'deltascope.token';

export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface TokenLookup {
  token: string | null;
  /** The address without `token=`, or null when the address had none and needs no rewrite. */
  cleanedUrl: string | null;
}

/** Takes `?token=` from `href` (storing it) or falls back to the stored token of this tab. */
export function resolveToken(href: string, storage: TokenStorage): TokenLookup {
  const url = new URL(href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null && fromUrl !== '') {
    storage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    url.searchParams.delete('token');
    return { token: fromUrl, cleanedUrl: `${url.pathname}${url.search}${url.hash}` };
  }
  return { token: storage.getItem(TOKEN_STORAGE_KEY), cleanedUrl: null };
}
