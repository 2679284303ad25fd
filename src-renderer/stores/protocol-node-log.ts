import { defineStore } from 'pinia';
import { markRaw, shallowRef } from 'vue';
import type { ProtocolNodeLog } from '@shared';
import { useApi } from '../api/provider';
import { errorMessage } from './notices';

/** The log of one protocol node (every stored attempt), read when the node detail opens it. */
export const useProtocolNodeLogStore = defineStore('protocol-node-log', () => {
  const log = shallowRef<ProtocolNodeLog | null>(null);
  const error = shallowRef<string | null>(null);
  let version = 0;

  /** Reads the log of `nodeId`; a failure is shown where the log would be. */
  async function load(experimentId: number, nodeId: string): Promise<void> {
    const current = ++version;
    error.value = null;
    try {
      const next = await useApi()['protocol.nodeLog']({ experimentId, nodeId });
      if (current === version) log.value = markRaw(next);
    } catch (failure) {
      if (current !== version) return;
      log.value = null;
      error.value = errorMessage(failure);
    }
  }

  function close(): void {
    version += 1;
    log.value = null;
    error.value = null;
  }

  return { log, error, load, close };
});
