import { app, BrowserWindow, dialog, Menu, type MenuItemConstructorOptions } from 'electron';
import type { EventBus } from '../api';
import { DATABASE_EXTENSION } from '../api';
import type { CallResult, RecentFile } from '../shared';
import { devToolsAllowed, viewSubmenu } from './menu-template';

const FILE_FILTERS = [{ name: 'Deltascope database', extensions: [DATABASE_EXTENSION.slice(1)] }];

/** A contract call to the API service (in its own process: api-host-channel.ts). */
export type ApiCall = (method: string, params: unknown) => Promise<CallResult>;

/**
 * The native menu, with the recent files as the service last listed them. File actions use native
 * dialogs here and contract calls to the service; failures reach the UI as app.notice.
 */
export function buildMenu(
  call: ApiCall,
  recent: readonly RecentFile[],
  bus: EventBus,
  rebuild: () => void,
): Menu {
  const run = (method: string, params: unknown = {}) => {
    void call(method, params).then((result) => {
      if (!result.ok)
        bus.emit('app.notice', { level: 'error', message: result.error.message, code: result.error.code });
      rebuild();
    });
  };

  const openFile = async () => {
    const result = await dialog.showOpenDialog(focusedWindow(), {
      title: 'Open a Deltascope database',
      filters: FILE_FILTERS,
      properties: ['openFile'],
    });
    const path = result.filePaths[0];
    if (!result.canceled && path) run('db.open', { path });
  };

  const newFile = async () => {
    const result = await dialog.showSaveDialog(focusedWindow(), {
      title: 'New Deltascope database',
      filters: FILE_FILTERS,
      defaultPath: `experiments${DATABASE_EXTENSION}`,
    });
    if (result.canceled || !result.filePath) return;
    const path = result.filePath.endsWith(DATABASE_EXTENSION)
      ? result.filePath
      : result.filePath + DATABASE_EXTENSION;
    run('db.create', { path });
  };

  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New Database…', accelerator: 'CmdOrCtrl+N', click: () => void newFile() },
        { label: 'Open Database…', accelerator: 'CmdOrCtrl+O', click: () => void openFile() },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((entry) => ({
                label: entry.path,
                enabled: entry.exists,
                click: () => run('db.open', { path: entry.path }),
              }))
            : [{ label: 'No recent databases', enabled: false }],
        },
        {
          label: 'Open Default Database',
          click: () => run('db.openDefault'),
        },
        { label: 'Close Database', click: () => run('db.close') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: viewSubmenu(devToolsAllowed(app.isPackaged), () =>
        bus.emit('app.command', { command: 'view.runs' }),
      ),
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

function focusedWindow(): BrowserWindow {
  const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  if (!window) throw new Error('No window to attach the dialog to.');
  return window;
}
