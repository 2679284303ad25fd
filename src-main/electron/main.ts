// The Electron shell: app lifecycle, the window, the menu and the IPC wiring. The API service runs in
// a utilityProcess of its own (api-host.ts, api-host-channel.ts): this process only relays, so no
// computation can freeze the windows. Everything else lives in plain Node modules (api, store, …)
// that the headless server uses too.
import { app, BrowserWindow, ipcMain, Menu, protocol, session, utilityProcess } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '../api/event-bus';
import { IPC_EVENT_CHANNEL, RecentFileSchema, type WireEvent } from '../shared';
import { connectHost, type FromHost, type HostClient } from './api-host-channel';
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

/** Starts the API host process and connects to it; events it pushes go to `onEvent`. */
function startApiHost(onEvent: (event: WireEvent) => void, onExit: (code: number) => void): HostClient {
  const child = utilityProcess.fork(join(__dirname, 'api-host.cjs'), [], {
    serviceName: 'Deltascope API',
    stdio: 'inherit',
    env: { ...process.env, DELTASCOPE_APP_DATA_DIR: app.getPath('userData') },
  });
  const client = connectHost(
    {
      postMessage: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', (message: unknown) => listener(message as FromHost)),
    },
    { onEvent, launcher: createUtilityProcessLauncher(__dirname) },
  );
  child.once('exit', (code) => {
    client.hostExited(`the Deltascope API process ended (exit code ${code}); restart the app`);
    onExit(code);
  });
  return client;
}

function start(): void {
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, serveApp);
  const bus = new EventBus();
  const targets = () => BrowserWindow.getAllWindows().map((window) => window.webContents);
  let quitting = false;

  const rebuildMenu = (): void => {
    void host.call('db.recent', {}).then((result) => {
      const recent = result.ok ? RecentFileSchema.array().safeParse(result.result) : null;
      const call = (method: string, params: unknown) => host.call(method, params);
      Menu.setApplicationMenu(buildMenu(call, recent?.success ? recent.data : [], bus, rebuildMenu));
    });
  };
  const host = startApiHost(
    (event) => {
      for (const contents of targets()) if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, event);
      if (event.event === 'db.changed') rebuildMenu();
    },
    (code) => {
      if (quitting) return;
      bus.emit('app.notice', {
        level: 'error',
        message: `The Deltascope API process ended unexpectedly (exit code ${code}); restart the app.`,
      });
    },
  );

  wireIpc({
    ipcMain,
    call: (method, params) => host.call(method, params),
    bus,
    isTrustedUrl: trustedUrlMatcher(APP_INDEX_URL),
    targets,
  });
  rebuildMenu();

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', (event) => {
    if (quitting) return;
    // Let running training jobs write their last checkpoint, and the database close, first.
    event.preventDefault();
    quitting = true;
    void host.quit().finally(() => app.quit());
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
