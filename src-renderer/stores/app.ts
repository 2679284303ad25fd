import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ConnectionState } from '../api/transport';
import { useApi } from '../api/provider';
import type { MethodResponse } from '@shared';
import { useNoticesStore } from './notices';

export type AppInfo = MethodResponse<'app.info'>;
export type FileDialogMode = 'open' | 'new';

export const useAppStore = defineStore('app', () => {
  const info = shallowRef<AppInfo | null>(null);
  const connection = ref<ConnectionState>('connected');
  const fileDialog = ref<FileDialogMode | null>(null);
  /** Bumped when the tree should take keyboard focus (View → Runs in the native menu). */
  const focusTreeRequest = ref(0);

  async function loadInfo(): Promise<void> {
    try {
      info.value = await useApi()['app.info']({});
    } catch (error) {
      useNoticesStore().reportError(error, 'Reading app info');
    }
  }

  function openFileDialog(mode: FileDialogMode): void {
    fileDialog.value = mode;
  }

  function closeFileDialog(): void {
    fileDialog.value = null;
  }

  function requestTreeFocus(): void {
    focusTreeRequest.value += 1;
  }

  /** Follows the event channel; `onReconnect` runs when it comes back after a drop. */
  function listen(onReconnect: () => void): void {
    const api = useApi();
    connection.value = api.connection();
    api.onConnection((state) => {
      const wasDown = connection.value === 'disconnected';
      connection.value = state;
      if (state === 'connected' && wasDown) onReconnect();
    });
    api.onEvent('app.command', ({ command }) => {
      if (command === 'file.open') openFileDialog('open');
      else if (command === 'file.new') openFileDialog('new');
      else requestTreeFocus();
    });
    api.onEvent('app.notice', ({ level, message, code }) => {
      useNoticesStore().push(level, message, code === undefined ? {} : { code });
    });
  }

  return {
    info,
    connection,
    fileDialog,
    focusTreeRequest,
    loadInfo,
    openFileDialog,
    closeFileDialog,
    requestTreeFocus,
    listen,
  };
});
