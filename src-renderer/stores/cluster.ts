import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { MergeSummary, WorkdirStatus } from '@shared';
import { useApi } from '../api/provider';
import { useDatabaseStore } from './database';
import { errorMessage } from './notices';

/** Seconds between two reads of a followed work folder's status while the view is open. */
export const CLUSTER_REFRESH_SECONDS = 5;
const WORKDIR_KEY = 'deltascope.cluster.workdir';

/** A merge's progress: tasks copied of all, and the seconds left (null: unknown yet). */
export interface MergeProgress {
  done: number;
  total: number;
  etaSeconds: number | null;
}

function rememberedWorkdir(): string {
  try {
    return globalThis.localStorage?.getItem(WORKDIR_KEY) ?? '';
  } catch {
    return '';
  }
}

/**
 * An experiment run as tasks on a cluster (or `--on local`), followed from its work folder: the status
 * is read-only and re-read every few seconds while the view is open; "Merge results" makes a
 * database of the finished tasks and opens it.
 */
export const useClusterStore = defineStore('cluster', () => {
  const workdir = ref(rememberedWorkdir());
  const status = shallowRef<WorkdirStatus | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  /** When the status on screen was read. */
  const readAt = ref<Date | null>(null);
  const mergeTarget = ref('');
  const merging = ref(false);
  const mergeProgress = ref<MergeProgress | null>(null);
  const merged = shallowRef<MergeSummary | null>(null);
  const mergeError = ref<string | null>(null);

  let timer: ReturnType<typeof setInterval> | null = null;
  let request = 0;
  let mergeSequence = 0;
  let mergeJobId: string | null = null;
  let listening = false;

  const doneCount = computed(() => status.value?.tasks.filter((t) => t.status === 'done').length ?? 0);
  const failedTasks = computed(() => status.value?.tasks.filter((t) => t.status === 'failed') ?? []);

  /** Follows `folder` from now on (remembered for the next session) and reads its status. */
  async function follow(folder: string): Promise<void> {
    const trimmed = folder.trim();
    if (trimmed === '') {
      error.value = 'Enter the work folder given to `deltascope run --workdir`.';
      return;
    }
    if (trimmed !== workdir.value) {
      status.value = null;
      merged.value = null;
      mergeError.value = null;
      mergeTarget.value = '';
    }
    workdir.value = trimmed;
    try {
      globalThis.localStorage?.setItem(WORKDIR_KEY, trimmed);
    } catch {
      // Private mode: the folder is simply not remembered.
    }
    await refresh();
  }

  /** Re-reads the followed folder's status; a reply to an older request is dropped. */
  async function refresh(): Promise<void> {
    if (workdir.value === '') return;
    const mine = ++request;
    loading.value = true;
    try {
      const next = await useApi()['cluster.status']({ workdir: workdir.value });
      if (mine !== request) return;
      status.value = next;
      error.value = null;
      readAt.value = new Date();
      if (mergeTarget.value === '') mergeTarget.value = `${next.workdir}/${next.experimentName}.deltascope`;
    } catch (caught) {
      if (mine !== request) return;
      status.value = null;
      error.value = errorMessage(caught);
    } finally {
      if (mine === request) loading.value = false;
    }
  }

  /** Re-reads every few seconds until `stopRefreshing` (the view calls both). */
  function startRefreshing(): void {
    stopRefreshing();
    timer = setInterval(() => {
      if (!loading.value && !merging.value) void refresh();
    }, CLUSTER_REFRESH_SECONDS * 1000);
  }

  function stopRefreshing(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  /** Merges the finished tasks into `mergeTarget`; on success the result waits for `openMerged`. */
  async function merge(): Promise<void> {
    if (merging.value || workdir.value === '') return;
    merging.value = true;
    mergeError.value = null;
    merged.value = null;
    mergeProgress.value = null;
    mergeJobId = `merge-ui-${++mergeSequence}`;
    try {
      merged.value = await useApi()['cluster.merge']({
        workdir: workdir.value,
        into: mergeTarget.value.trim(),
        jobId: mergeJobId,
      });
    } catch (caught) {
      mergeError.value = errorMessage(caught);
    } finally {
      merging.value = false;
      mergeJobId = null;
    }
  }

  /** Opens the merged database (the run browser then shows its experiment). */
  async function openMerged(): Promise<void> {
    const target = merged.value?.target;
    if (target !== undefined) await useDatabaseStore().open(target);
  }

  function listen(): void {
    if (listening) return;
    listening = true;
    useApi().onEvent('job.progress', (event) => {
      if (event.jobId !== mergeJobId) return;
      mergeProgress.value = { done: event.done, total: event.total, etaSeconds: event.etaSeconds };
    });
  }

  return {
    workdir,
    status,
    error,
    loading,
    readAt,
    mergeTarget,
    merging,
    mergeProgress,
    merged,
    mergeError,
    doneCount,
    failedTasks,
    follow,
    refresh,
    startRefreshing,
    stopRefreshing,
    merge,
    openMerged,
    listen,
  };
});
