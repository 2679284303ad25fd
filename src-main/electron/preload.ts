// The sandboxed preload: a generic proxy over the two IPC channels. It knows no method names;
// the renderer's api client is typed by the contract.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../shared/ipc-channels';

type WireEventLike = { event: string; payload: unknown };

contextBridge.exposeInMainWorld('deltascopeHost', {
  mode: 'electron',
  call: (method: string, params: unknown): Promise<unknown> =>
    ipcRenderer.invoke(IPC_CALL_CHANNEL, { method, params }),
  onEvent: (listener: (event: WireEventLike) => void): (() => void) => {
    const wrapped = (_event: IpcRendererEvent, wireEvent: WireEventLike) => listener(wireEvent);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
  // Files dropped from the operating system carry no path in the sandbox; Electron resolves it here.
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
});
