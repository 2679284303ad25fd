import { defineStore } from 'pinia';
import { ref } from 'vue';
import { useApi } from '../api/provider';
import type { DatabaseInfo, DirListing, RecentFile } from '@shared';
import { errorMessage, useNoticesStore } from './notices';
import { useRunsStore } from './runs';

/** What a file action came to; the message is the main side's, e.g. naming the file and the problem. */
export type ActionOutcome = { ok: true } | { ok: false; message: string };

export const useDatabaseStore = defineStore('database', () => {
  const info = ref<DatabaseInfo | null>(null);
  const recent = ref<RecentFile[]>([]);
  /** False until the first `refresh()` answered: the UI shows neither start page nor tree before. */
  const ready = ref(false);
  const busy = ref(false);

  /** Takes a new state of the open file; a different file (or none) resets the run browser. */
  function adopt(next: DatabaseInfo | null): void {
    const changedFile = (info.value?.path ?? null) !== (next?.path ?? null);
    info.value = next;
    if (!changedFile) return;
    const runs = useRunsStore();
    runs.reset();
    if (next !== null) void runs.loadTree();
  }

  async function loadRecent(): Promise<void> {
    try {
      recent.value = await useApi()['db.recent']({});
    } catch (error) {
      useNoticesStore().reportError(error, 'Reading the recent files');
    }
  }

  /** Asks the main side which file is open (start-up, and after the server connection came back). */
  async function refresh(): Promise<void> {
    try {
      const current = await useApi()['db.current']({});
      const sameFile = current !== null && current.path === info.value?.path;
      if (sameFile) {
        info.value = current;
        void useRunsStore().refreshAfterWrite();
      } else adopt(current);
    } catch (error) {
      useNoticesStore().reportError(error, 'Reading the open database');
    } finally {
      ready.value = true;
    }
    await loadRecent();
  }

  async function run(action: () => Promise<DatabaseInfo | null>, context: string): Promise<ActionOutcome> {
    busy.value = true;
    try {
      adopt(await action());
      return { ok: true };
    } catch (error) {
      useNoticesStore().reportError(error, context);
      return { ok: false, message: errorMessage(error) };
    } finally {
      busy.value = false;
      void loadRecent();
    }
  }

  const open = (path: string): Promise<ActionOutcome> =>
    run(() => useApi()['db.open']({ path }), `Opening ${path}`);
  const create = (path: string): Promise<ActionOutcome> =>
    run(() => useApi()['db.create']({ path }), `Creating ${path}`);
  const openDefault = (): Promise<ActionOutcome> =>
    run(() => useApi()['db.openDefault']({}), 'Opening the default database');
  const close = (): Promise<ActionOutcome> =>
    run(async () => {
      await useApi()['db.close']({});
      return null;
    }, 'Closing the database');

  async function forgetRecent(path: string): Promise<void> {
    try {
      recent.value = await useApi()['db.forgetRecent']({ path });
    } catch (error) {
      useNoticesStore().reportError(error, `Removing ${path} from the recent files`);
    }
  }

  /**
   * Lists a folder on the machine running Deltascope for the file dialog (the home folder without
   * `dir`); a failure is reported as a notice and its message returned for the dialog to show.
   */
  async function listFolder(
    dir?: string,
  ): Promise<{ ok: true; listing: DirListing } | { ok: false; message: string }> {
    try {
      return { ok: true, listing: await useApi()['fs.list'](dir === undefined ? {} : { dir }) };
    } catch (error) {
      useNoticesStore().reportError(error, `Listing ${dir ?? 'the home folder'}`);
      return { ok: false, message: errorMessage(error) };
    }
  }

  function listen(): void {
    useApi().onEvent('db.changed', ({ info: next, reason }) => {
      adopt(next);
      if (reason !== 'written') void loadRecent();
    });
  }

  return {
    info,
    recent,
    ready,
    busy,
    refresh,
    loadRecent,
    open,
    create,
    openDefault,
    close,
    forgetRecent,
    listFolder,
    listen,
  };
});
