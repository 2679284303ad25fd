import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { MetricSeries } from '@shared';
import { METRIC_KEYS } from '@shared/metric-keys';
import { RUN_TABLE_METRICS, type RunTableMetric, type RunTableSort } from '../models/run-table';
import { useNoticesStore } from './notices';
import { METRIC_MAX_POINTS, type LoadState } from './runs';

/** One picked run's curve of the compared metric, with its steps-per-second readings (for wall time). */
export interface ComparedRun {
  runId: number;
  series: MetricSeries | null;
  stepsPerSecond: MetricSeries | null;
}

/** Runs picked in the tree, overlaid in one chart; and the final metrics of the run table. */
export const useRunCompareStore = defineStore('runCompare', () => {
  const picked = ref<number[]>([]);
  const metricKey = ref<string>(METRIC_KEYS.episodicReturn);
  /** Every key any picked run recorded, sorted. */
  const keys = shallowRef<string[]>([]);
  const compared = shallowRef<ComparedRun[]>([]);
  const state = ref<LoadState>('idle');
  const finals = shallowRef<Map<number, Partial<Record<RunTableMetric, number>>>>(new Map());
  const tableSort = ref<RunTableSort>({ column: 'name', descending: false });
  const keysOfRun = new Map<number, string[]>();
  let request = 0;

  async function load(): Promise<void> {
    const current = ++request;
    const runIds = [...picked.value];
    if (runIds.length === 0) {
      compared.value = [];
      keys.value = [];
      state.value = 'idle';
      return;
    }
    state.value = 'loading';
    const api = useApi();
    try {
      for (const runId of runIds) {
        if (!keysOfRun.has(runId)) keysOfRun.set(runId, await api['metrics.keys']({ runId }));
      }
      const union = [...new Set(runIds.flatMap((runId) => keysOfRun.get(runId) ?? []))].sort();
      const key = metricKey.value;
      const next: ComparedRun[] = [];
      for (const runId of runIds) {
        const own = keysOfRun.get(runId) ?? [];
        const wanted = [key, METRIC_KEYS.stepsPerSecond].filter((k) => own.includes(k));
        const series =
          wanted.length === 0
            ? []
            : await api['metrics.series']({ runId, keys: wanted, maxPoints: METRIC_MAX_POINTS });
        next.push({
          runId,
          series: series.find((s) => s.key === key) ?? null,
          stepsPerSecond: series.find((s) => s.key === METRIC_KEYS.stepsPerSecond) ?? null,
        });
      }
      if (current !== request) return;
      keys.value = markRaw(union);
      compared.value = markRaw(next);
      state.value = 'ready';
    } catch (error) {
      if (current !== request) return;
      state.value = 'error';
      useNoticesStore().reportError(error, 'Reading the metrics of the compared runs');
    }
  }

  function isPicked(runId: number): boolean {
    return picked.value.includes(runId);
  }

  /** Adds a run to the overlay, or takes it out. */
  function toggle(runId: number): void {
    picked.value = isPicked(runId) ? picked.value.filter((id) => id !== runId) : [...picked.value, runId];
    void load();
  }

  function setMetric(key: string): void {
    metricKey.value = key;
    void load();
  }

  function clear(): void {
    picked.value = [];
    void load();
  }

  /** The last return and success of each run, for the run table. */
  async function loadFinals(runIds: readonly number[]): Promise<void> {
    if (runIds.length === 0) return;
    try {
      const rows = await useApi()['metrics.final']({
        runIds: [...runIds],
        keys: Object.values(RUN_TABLE_METRICS),
      });
      const next = new Map(finals.value);
      for (const runId of runIds) next.set(runId, {});
      const columns = Object.entries(RUN_TABLE_METRICS) as [RunTableMetric, string][];
      for (const row of rows) {
        const column = columns.find(([, key]) => key === row.key)?.[0];
        const entry = next.get(row.runId);
        if (column !== undefined && entry !== undefined) entry[column] = row.value;
      }
      finals.value = markRaw(next);
    } catch (error) {
      useNoticesStore().reportError(error, 'Reading the final metrics of the runs');
    }
  }

  /** A different database was opened, or it was written: forget what was read. */
  function reset(): void {
    request += 1;
    picked.value = [];
    keys.value = [];
    compared.value = [];
    state.value = 'idle';
    finals.value = new Map();
    keysOfRun.clear();
  }

  /** The database was written: keys may have grown and final values moved on. */
  async function refresh(): Promise<void> {
    keysOfRun.clear();
    const known = [...finals.value.keys()];
    if (picked.value.length > 0) await load();
    if (known.length > 0) await loadFinals(known);
  }

  function listen(): void {
    useApi().onEvent('db.changed', ({ reason }) => {
      if (reason === 'written') void refresh();
      else reset();
    });
  }

  return {
    picked,
    metricKey,
    keys,
    compared,
    state,
    finals,
    tableSort,
    load,
    isPicked,
    toggle,
    setMetric,
    clear,
    loadFinals,
    reset,
    refresh,
    listen,
  };
});
