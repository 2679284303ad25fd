import type { Options } from 'better-sqlite3';

/**
 * better-sqlite3's native addon is compiled for one ABI. Under plain Node the package's own build
 * is used; `npm start` runs Electron with a copy built for Electron's ABI and names it here.
 */
export function withNativeBinding(options: Options): Options {
  const binding = process.env.DELTASCOPE_SQLITE_BINDING;
  return binding ? { ...options, nativeBinding: binding } : options;
}
