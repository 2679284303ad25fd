import { homedir } from 'node:os';
import { join } from 'node:path';

export const DATABASE_EXTENSION = '.deltascope';

/**
 * The per-user app-data folder, as Electron's `app.getPath('userData')` would give it, so the
 * headless server and the desktop app share the default database and the recent list.
 * `DELTASCOPE_HOME` overrides it (tests, portable installs).
 */
export function defaultAppDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.DELTASCOPE_HOME) return env.DELTASCOPE_HOME;
  const home = homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Deltascope');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Deltascope');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Deltascope');
}

export function defaultDatabasePath(appDataDir: string): string {
  return join(appDataDir, `default${DATABASE_EXTENSION}`);
}
