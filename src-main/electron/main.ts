// The Electron shell: app lifecycle, the window, the menu and the IPC wiring. Everything else
// lives in plain Node modules (api, store, …) that the headless server uses too.
import { app, BrowserWindow, ipcMain, Menu, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_VERSION, ApiService, EventBus } from '../api';
import { toErrorPayload } from '../shared';
import { trustedUrlMatcher, wireIpc } from './ipc-wiring';
import { APP_INDEX_URL, APP_SCHEME, resolveAppRequest } from './app-protocol';
import { buildMenu } from './menu';
import { devToolsAllowed } from './menu-template';
import { hardenSession, hardenWebContents, RENDERER_CSP } from './security';
import { createUtilityProcessLauncher } from './utility-launcher';

app.setName('Deltascope');
if (process.env.DELTASCOPE_HOME) app.setPath('userData', process.env.DELTASCOPE_HOME);

const rendererDir = join(__dirname, '..', 'renderer');
const preloadPath = join(__dirname, 'preload.cjs');

// app://renderer/… serves out/renderer (app-protocol.ts): a standard, secure origin of its own, so the
// CSP header applies and the IPC check trusts exactly that origin. Must be registered before ready.
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
  },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  hardenWebContents(app);
  app.on('second-instance', () => {
    const window = BrowserWindow.getAllWindows()[0];
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.whenReady().then(start, (error: unknown) => {
    console.error(error);
    app.exit(1);
  });
}

/** Serves the renderer's files, confined to its folder, each with the CSP header. */
async function serveApp(request: Request): Promise<Response> {
  const answer = resolveAppRequest(request.url, rendererDir);
  if (!answer.ok) return new Response(answer.reason, { status: answer.status });
  return new Response(await readFile(answer.file), {
    headers: { 'Content-Type': answer.mimeType, 'Content-Security-Policy': RENDERER_CSP },
  });
}

function start(): void {
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, serveApp);
  const bus = new EventBus();
  const service = new ApiService({
    appDataDir: app.getPath('userData'),
    mode: 'electron',
    version: APP_VERSION,
    bus,
    jobLauncher: createUtilityProcessLauncher(__dirname),
  });
  const lastOpened = service.recentFiles().find((entry) => entry.exists)?.path;
  try {
    service.openPath(lastOpened ?? service.defaultDatabasePath, lastOpened ? 'open' : 'default');
  } catch (error) {
    // The UI starts on its empty state and shows why the last file could not be opened.
    queueMicrotask(() => bus.emit('app.notice', { level: 'error', message: toErrorPayload(error).message }));
  }

  wireIpc({
    ipcMain,
    handlers: service.handlers,
    bus,
    isTrustedUrl: trustedUrlMatcher(APP_INDEX_URL),
    targets: () => BrowserWindow.getAllWindows().map((window) => window.webContents),
  });

  const rebuildMenu = () => Menu.setApplicationMenu(buildMenu(service, bus, rebuildMenu));
  rebuildMenu();
  bus.subscribe((event) => {
    if (event.event === 'db.changed') rebuildMenu();
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    // Let running training jobs write their last checkpoint before the app goes away.
    event.preventDefault();
    quitting = true;
    void service.disposeJobs().finally(() => {
      service.dispose();
      app.quit();
    });
  });
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Deltascope',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      devTools: devToolsAllowed(app.isPackaged),
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_INDEX_URL);
  return window;
}
