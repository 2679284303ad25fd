import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import { dropTrainedDuplicates, isMonitorKey, mergeLiveSeries } from '../charts/live-series';
import type { MetricSeries } from '@shared';
import { useJobsStore } from './jobs';
import { useNoticesStore } from './notices';
import { METRIC_MAX_POINTS, useRunsStore } from './runs';

/**
 * The training monitor: which run it follows, that run's stored return and success series
 * (re-read when the database is written), extended by the live `job.progress` readings of its job.
 */
export const useTrainingStore = defineStore('training', () => {
  const runId = ref<number | null>(null);
  const stored = shallowRef<MetricSeries[]>([]);
  const dialogOpen = ref(false);

  const job = computed(() => (runId.value === null ? null : (useJobsStore().byRun.get(runId.value) ?? null)));
  const series = computed<MetricSeries[]>(() => {
    const points = job.value === null ? [] : (useJobsStore().live.get(job.value.jobId) ?? []);
    const trainReward =
      runId.value === null ? null : (useRunsStore().index.runs.get(runId.value)?.run.reward.name ?? null);
    const merged = mergeLiveSeries(stored.value, points).filter((s) => isMonitorKey(s.key));
    return markRaw(dropTrainedDuplicates(merged, trainReward));
  });

  let request = 0;
  let reloadPending = false;
  let reloading: Promise<void> | null = null;

  async function loadSeries(): Promise<void> {
    const id = runId.value;
    if (id === null) return;
    const current = ++request;
    try {
      const api = useApi();
      const keys = (await api['metrics.keys']({ runId: id })).filter(isMonitorKey).slice(0, 64);
      const next =
        keys.length === 0
          ? []
          : await api['metrics.series']({ runId: id, keys, maxPoints: METRIC_MAX_POINTS });
      if (current === request) stored.value = markRaw(next);
    } catch (error) {
      if (current === request) useNoticesStore().reportError(error, `Reading the curves of run ${id}`);
    }
  }

  /** Re-reads the curves; writes arriving during a read cause one more read after it, not one each. */
  function reload(): void {
    if (reloading !== null) {
      reloadPending = true;
      return;
    }
    reloading = loadSeries().finally(() => {
      reloading = null;
      if (reloadPending) {
        reloadPending = false;
        reload();
      }
    });
  }

  function follow(next: number | null): void {
    if (next === runId.value) return;
    runId.value = next;
    stored.value = [];
    request += 1;
    if (next !== null) reload();
  }

  function openDialog(): void {
    dialogOpen.value = true;
  }

  function closeDialog(): void {
    dialogOpen.value = false;
  }

  function listen(): void {
    useApi().onEvent('db.changed', ({ reason }) => {
      if (reason === 'written' && runId.value !== null) reload();
      else if (reason !== 'written') follow(null);
    });
  }

  return { runId, stored, series, job, dialogOpen, follow, reload, openDialog, closeDialog, listen };
});
