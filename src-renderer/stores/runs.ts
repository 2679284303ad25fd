import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { CheckpointDetail, ExperimentNode, MetricSeries } from '@shared';
import type { MetricsXAxis } from '@shared/charts/line-chart-options';
import { errorMessage, useNoticesStore } from './notices';
import {
  ancestorKeys,
  buildTreeIndex,
  filterTree,
  nodeKey,
  type TreeSelection,
} from '../models/runs-tree-model';

export type LoadState = 'idle' | 'loading' | 'ready' | 'error';

/** Points per metric key asked of the main side; the chart stays smooth and the reply small. */
export const METRIC_MAX_POINTS = 2000;
/** metrics.series accepts at most this many keys per call. */
const KEYS_PER_CALL = 64;

export const useRunsStore = defineStore('runs', () => {
  const tree = shallowRef<ExperimentNode[]>([]);
  const treeState = ref<LoadState>('idle');
  const expanded = ref(new Set<string>());
  const selection = ref<TreeSelection | null>(null);
  const metricKeys = shallowRef<string[]>([]);
  const metricSeries = shallowRef<MetricSeries[]>([]);
  const metricsState = ref<LoadState>('idle');
  const checkpoint = shallowRef<CheckpointDetail | null>(null);
  const checkpointState = ref<LoadState>('idle');
  /** EMA weight of the metric charts, kept across run selections. */
  const smoothing = ref(0.6);
  /** The metric charts' x axis (environment steps or training time) and y scale, kept across runs. */
  const xAxis = ref<MetricsXAxis>('step');
  const logY = ref(false);
  /** The tree's search words (see filterTree); empty shows every run. */
  const treeFilter = ref('');

  const index = computed(() => buildTreeIndex(tree.value));
  /** The tree as the sidebar shows it: narrowed by the search words. */
  const filteredTree = computed(() => filterTree(tree.value, treeFilter.value));
  const selectedExperiment = computed(() =>
    selection.value?.kind === 'experiment' ? (index.value.experiments.get(selection.value.id) ?? null) : null,
  );
  const selectedRun = computed(() =>
    selection.value?.kind === 'run' ? (index.value.runs.get(selection.value.id) ?? null) : null,
  );
  const selectedCheckpoint = computed(() =>
    selection.value?.kind === 'checkpoint' ? (index.value.checkpoints.get(selection.value.id) ?? null) : null,
  );

  // Replies to superseded requests are dropped: each loader keeps the number of its latest call.
  let treeRequest = 0;
  let metricsRequest = 0;
  let checkpointRequest = 0;

  async function loadTree(): Promise<boolean> {
    const request = ++treeRequest;
    treeState.value = tree.value.length === 0 ? 'loading' : treeState.value;
    try {
      const next = await useApi()['runs.tree']({});
      if (request !== treeRequest) return false;
      const firstLoad = tree.value.length === 0;
      tree.value = markRaw(next);
      treeState.value = 'ready';
      if (firstLoad) expanded.value = new Set(next.map((e) => nodeKey({ kind: 'experiment', id: e.id })));
      return true;
    } catch (error) {
      if (request !== treeRequest) return false;
      treeState.value = 'error';
      useNoticesStore().reportError(error, 'Reading the experiment tree');
      return false;
    }
  }

  async function loadMetrics(runId: number): Promise<void> {
    const request = ++metricsRequest;
    metricsState.value = 'loading';
    const api = useApi();
    try {
      const keys = await api['metrics.keys']({ runId });
      const series: MetricSeries[] = [];
      for (let i = 0; i < keys.length; i += KEYS_PER_CALL) {
        const chunk = keys.slice(i, i + KEYS_PER_CALL);
        series.push(...(await api['metrics.series']({ runId, keys: chunk, maxPoints: METRIC_MAX_POINTS })));
      }
      if (request !== metricsRequest) return;
      metricKeys.value = markRaw(keys);
      metricSeries.value = markRaw(series.map((s) => markRaw(s)));
      metricsState.value = 'ready';
    } catch (error) {
      if (request !== metricsRequest) return;
      metricsState.value = 'error';
      useNoticesStore().reportError(error, `Reading the metrics of run ${runId}`);
    }
  }

  async function loadCheckpoint(checkpointId: number): Promise<void> {
    const request = ++checkpointRequest;
    checkpointState.value = 'loading';
    try {
      const detail = await useApi()['checkpoints.get']({ checkpointId });
      if (request !== checkpointRequest) return;
      checkpoint.value = markRaw(detail);
      checkpointState.value = 'ready';
    } catch (error) {
      if (request !== checkpointRequest) return;
      checkpointState.value = 'error';
      useNoticesStore().reportError(error, `Reading checkpoint ${checkpointId}`);
    }
  }

  function setExpanded(key: string, open: boolean): void {
    const next = new Set(expanded.value);
    if (open) next.add(key);
    else next.delete(key);
    expanded.value = next;
  }

  /** Selects a node, expands its ancestors so it is visible, and loads what its panel shows. */
  function select(next: TreeSelection): void {
    const ancestors = ancestorKeys(index.value, next);
    if (ancestors === null) {
      useNoticesStore().push('error', `The ${next.kind} with id ${next.id} is not in the open database.`);
      return;
    }
    if (ancestors.some((key) => !expanded.value.has(key)))
      expanded.value = new Set([...expanded.value, ...ancestors]);
    const same = selection.value?.kind === next.kind && selection.value.id === next.id;
    selection.value = next;
    if (same) return;
    if (next.kind === 'run') {
      metricKeys.value = [];
      metricSeries.value = [];
      void loadMetrics(next.id);
    } else if (next.kind === 'checkpoint') {
      checkpoint.value = null;
      void loadCheckpoint(next.id);
    }
  }

  /** Forgets everything shown: a different database was opened, or it was closed. */
  function reset(): void {
    treeRequest += 1;
    metricsRequest += 1;
    checkpointRequest += 1;
    tree.value = [];
    treeState.value = 'idle';
    expanded.value = new Set();
    selection.value = null;
    metricKeys.value = [];
    metricSeries.value = [];
    metricsState.value = 'idle';
    checkpoint.value = null;
    checkpointState.value = 'idle';
  }

  /** The database was written to: refresh the tree, and the selected run's metrics. */
  async function refreshAfterWrite(): Promise<void> {
    await loadTree();
    const current = selection.value;
    if (current === null) return;
    if (ancestorKeys(index.value, current) === null) {
      selection.value = null;
      return;
    }
    if (current.kind === 'run') await loadMetrics(current.id);
  }

  /**
   * Imports a model file (safetensors, tfjs model.json) on the machine running Deltascope as a
   * checkpoint of the experiment "imported" (with `reference`, a safetensors file or folder is
   * pointed at in place instead of copied), says so (and warns of NaN/±Infinity values it holds),
   * and re-reads the tree. A failure's message is returned for the dialog that asked to show.
   */
  async function importCheckpoint(
    path: string,
    options: { reference?: boolean } = {},
  ): Promise<{ ok: true; checkpointId: number } | { ok: false; message: string }> {
    const notices = useNoticesStore();
    try {
      const reply = await useApi()['weights.import']({
        path,
        ...(options.reference === true ? { reference: true } : {}),
      });
      notices.push(
        'info',
        reply.reference
          ? `Referenced ${path} in place as checkpoint ${reply.checkpoint.id} (experiment "imported"; not copied: reading it is refused if the files change).`
          : `Imported ${path} as checkpoint ${reply.checkpoint.id} (experiment "imported").`,
      );
      if (reply.nonFinite !== null) {
        notices.push(
          'info',
          `Warning: ${path} holds ${reply.nonFinite.total} NaN or ±Infinity values (in ${Object.keys(reply.nonFinite.tensors).join(', ')}); they were imported as they are.`,
        );
      }
      await loadTree();
      return { ok: true, checkpointId: reply.checkpoint.id };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  }

  function listen(): void {
    useApi().onEvent('db.changed', ({ reason }) => {
      if (reason === 'written' && treeState.value !== 'idle') void refreshAfterWrite();
    });
  }

  return {
    tree,
    treeState,
    expanded,
    selection,
    metricKeys,
    metricSeries,
    metricsState,
    checkpoint,
    checkpointState,
    smoothing,
    xAxis,
    logY,
    treeFilter,
    filteredTree,
    index,
    selectedExperiment,
    selectedRun,
    selectedCheckpoint,
    loadTree,
    loadMetrics,
    loadCheckpoint,
    setExpanded,
    select,
    reset,
    refreshAfterWrite,
    importCheckpoint,
    listen,
  };
});
