import { describe, expect, it } from 'vitest';
import {
  TOKEN_STORAGE_KEY,
  resolveToken,
  type TokenStorage,
} from '../../../../src-renderer/api/browser-token';
import { reconnectDelayMs } from '../../../../src-renderer/api/reconnect-backoff';

function memoryStorage(
  initial: Record<string, string> = {},
): TokenStorage & { data: Record<string, string> } {
  const data = { ...initial };
  return {
    data,
    getItem: (key) => data[key] ?? null,
    setItem: (key, value) => {
      data[key] = value;
    },
  };
}

describe('resolveToken', () => {
  it('takes the token from the URL, stores it and strips it from the address', () => {
    const storage = memoryStorage();
    const result = resolveToken('http://127.0.0.1:5183/?token=abc123&x=1#top', storage);
    expect(result.token).toBe('abc123');
    expect(result.cleanedUrl).toBe('/?x=1#top');
    expect(storage.data[TOKEN_STORAGE_KEY]).toBe('abc123');
  });

  it('falls back to the token stored for this tab after a reload', () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'kept' });
    expect(resolveToken('http://127.0.0.1:5183/', storage)).toEqual({ token: 'kept', cleanedUrl: null });
  });

  it('has no token when neither the URL nor the tab has one', () => {
    expect(resolveToken('http://127.0.0.1:5183/', memoryStorage())).toEqual({
      token: null,
      cleanedUrl: null,
    });
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3].map((n) => reconnectDelayMs(n))).toEqual([500, 1000, 2000, 4000]);
    expect(reconnectDelayMs(10)).toBe(10_000);
    expect(reconnectDelayMs(1000)).toBe(10_000);
    expect(() => reconnectDelayMs(-1)).toThrow(/attempt must be a non-negative integer/);
  });
});
