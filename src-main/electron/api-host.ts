// The desktop app's API service, in a utilityProcess of its own (started by main.ts): every contract
// call, database access and job-queue step runs here, so nothing can stall Electron's main process.
// The message protocol with main is api-host-channel.ts; Electron's `process.parentPort` is
// described here without importing electron.
import { APP_VERSION, ApiService, EventBus } from '../api';
import { toErrorPayload } from '../shared';
import { hostEnd, type FromHost, type ToHost } from './api-host-channel';

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
const appDataDir = process.env.DELTASCOPE_APP_DATA_DIR;
if (parentPort === undefined || appDataDir === undefined || appDataDir === '') {
  console.error("api-host runs only as the Deltascope app's utilityProcess (DELTASCOPE_APP_DATA_DIR set)");
  process.exit(2);
}

const end = hostEnd({
  postMessage: (message: FromHost) => parentPort.postMessage(message),
  onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ToHost)),
});
const bus = new EventBus();
const service = new ApiService({
  appDataDir,
  mode: 'electron',
  version: APP_VERSION,
  bus,
  jobLauncher: end.launcher,
});
end.serve(service, bus, () => process.exit(0));

const lastOpened = service.recentFiles().find((entry) => entry.exists)?.path;
try {
  service.openPath(lastOpened ?? service.defaultDatabasePath, lastOpened ? 'open' : 'default');
} catch (error) {
  // The UI starts on its empty state and shows why the last file could not be opened.
  queueMicrotask(() => bus.emit('app.notice', { level: 'error', message: toErrorPayload(error).message }));
}
