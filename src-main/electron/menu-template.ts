import type { MenuItemConstructorOptions } from 'electron';

/**
 * The View menu's items, and whether this build shows DevTools: a packaged app does not (nor may its
 * windows open them: main.ts sets webPreferences.devTools from the same choice); a development run
 * (`npm start`) does. Type-only electron import: tested without Electron.
 */
export function devToolsAllowed(isPackaged: boolean): boolean {
  return !isPackaged;
}

export function viewSubmenu(devTools: boolean, showRuns: () => void): MenuItemConstructorOptions[] {
  return [
    { label: 'Run Browser', accelerator: 'CmdOrCtrl+1', click: showRuns },
    { type: 'separator' },
    ...(devTools
      ? ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as const)
      : ([] as const)),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { role: 'togglefullscreen' },
  ];
}
