import { app, BrowserWindow, dialog, Menu, type MenuItemConstructorOptions } from 'electron';
import type { ApiService, EventBus } from '../api';
import { DATABASE_EXTENSION } from '../api';
import { toErrorPayload } from '../shared';
import { devToolsAllowed, viewSubmenu } from './menu-template';

const FILE_FILTERS = [{ name: 'Deltascope database', extensions: [DATABASE_EXTENSION.slice(1)] }];

/** The native menu. File actions use native dialogs here; failures reach the UI as app.notice. */
export function buildMenu(service: ApiService, bus: EventBus, rebuild: () => void): Menu {
  const run = (action: () => void) => {
    try {
      action();
    } catch (error) {
      const payload = toErrorPayload(error);
      bus.emit('app.notice', { level: 'error', message: payload.message, code: payload.code });
    }
    rebuild();
  };

  const openFile = async () => {
    const result = await dialog.showOpenDialog(focusedWindow(), {
      title: 'Open a Deltascope database',
      filters: FILE_FILTERS,
      properties: ['openFile'],
    });
    const path = result.filePaths[0];
    if (!result.canceled && path) run(() => service.openPath(path, 'open'));
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
    run(() => service.openPath(path, 'create'));
  };

  const recent = service.recentFiles();
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
                click: () => run(() => service.openPath(entry.path, 'open')),
              }))
            : [{ label: 'No recent databases', enabled: false }],
        },
        {
          label: 'Open Default Database',
          click: () => run(() => service.openPath(service.defaultDatabasePath, 'default')),
        },
        { label: 'Close Database', click: () => run(() => service.close()) },
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
