import type { DeltascopeHost } from './host';
import type { Transport } from './transport';

/** The preload's IPC bridge as a Transport; IPC never disconnects while the window lives. */
export function createElectronTransport(host: DeltascopeHost): Transport {
  return {
    mode: 'electron',
    call: (method, params) => host.call(method, params),
    subscribe: (listener) => host.onEvent(listener),
    onConnection: () => () => undefined,
    connection: 'connected',
  };
}
