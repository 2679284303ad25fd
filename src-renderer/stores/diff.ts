import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { DeltascopeError, type MethodRequest, type MethodResponse } from '@shared';
import type {
  CheckpointRef,
  DiffComputeResult,
  DiffView,
  OverviewTilePayload,
} from '@shared/contract-weights';
import { useApi } from '../api/provider';
import { blockOfTensor, groupByBlock, type BlockStat } from '../models/diff-blocks';
import { sortTensors, type DiffColumnKey, type SortDirection } from '../models/diff-model';
import { diffPaths } from '../models/diff-paths';
import { defaultCompareTargets, refKey } from '../models/diff-refs';
import {
  createDiffTileSource,
  decodeTile,
  type DiffTileSource,
  type DiffTileTarget,
} from '../models/diff-tile-source';
import type { HeatmapTileData } from '../heatmap/tile-types';
import { useNavigationStore } from './navigation';
import { errorMessage, useNoticesStore } from './notices';
import { useRunsStore, type LoadState } from './runs';

export type DiffTab = 'layers' | 'overview' | 'compare';

/** Tensors per page of the whole-model overview. */
export const OVERVIEW_PAGE = 48;
export type CompareResult = MethodResponse<'diff.compareMany'>;
export type CellReply = MethodResponse<'diff.cell'>;

export interface DiffPair {
  a: CheckpointRef;
  b: CheckpointRef;
}

export interface DiffProgress {
  done: number;
  total: number;
  unit: string;
}

/** The open diff (Δ = B − A): its statistics, the table's sort, the heatmap settings, comparisons. */
export const useDiffStore = defineStore('diff', () => {
  const pair = shallowRef<DiffPair | null>(null);
  const result = shallowRef<DiffComputeResult | null>(null);
  const state = ref<LoadState>('idle');
  const error = ref<{ code: string; message: string } | null>(null);
  const progress = ref<DiffProgress | null>(null);
  /** Threshold of the frac>ε column. */
  const epsilon = ref(1e-6);
  /** Diff only the tensors both sides share (set after a mismatch, on request). */
  const partial = ref(false);
  const tab = ref<DiffTab>('layers');
  const selectedTensor = ref<string | null>(null);
  const sortKey = ref<DiffColumnKey>('l2');
  const sortDirection = ref<SortDirection>('desc');
  const chartStat = ref<DiffColumnKey>('l2');
  /** Heatmap: what it shows, the percentile of |v| that saturates, and the log mapping. */
  const heatmapView = ref<DiffView>('delta');
  const percentile = ref(99);
  const logScale = ref(false);
  const logDecades = ref(3);
  const overview = shallowRef<OverviewTilePayload[] | null>(null);
  const overviewState = ref<LoadState>('idle');
  /** The overview's page: its first tensor and how many tensors the whole overview has. */
  const overviewOffset = ref(0);
  const overviewTotal = ref(0);
  const compareTargets = shallowRef<CheckpointRef[]>([]);
  const compareResult = shallowRef<CompareResult | null>(null);
  const compareState = ref<LoadState>('idle');
  /** The tensor whose cosine matrix is shown; null for the whole model. */
  const compareTensor = ref<string | null>(null);
  /** Large models: the tensor table grouped by block, which blocks are open, the blocks' statistic. */
  const groupBlocks = ref(true);
  const expandedBlocks = shallowRef<ReadonlySet<string>>(new Set());
  const blockStat = ref<BlockStat>('l2');

  const sortedTensors = computed(() =>
    result.value === null ? [] : sortTensors(result.value.tensors, sortKey.value, sortDirection.value),
  );
  const selected = computed(
    () => result.value?.tensors.find((tensor) => tensor.name === selectedTensor.value) ?? null,
  );
  /** The diff's tensors by block (`model.layers.N`, `h.N`, `blocks.N`); null when none is in a block. */
  const blocks = computed(() => (result.value === null ? null : groupByBlock(result.value.tensors)));
  /** The tensors the table lists: every one, or when grouped by block those of the open blocks. */
  const listedTensors = computed(() => {
    const groups = blocks.value;
    if (groups === null || !groupBlocks.value) return sortedTensors.value;
    const open = new Set(
      groups.filter((g) => expandedBlocks.value.has(g.key)).flatMap((g) => g.tensors.map((t) => t.name)),
    );
    return sortedTensors.value.filter((t) => open.has(t.name));
  });

  let computeRequest = 0;
  let overviewRequest = 0;
  let compareRequest = 0;
  let jobId: string | null = null;

  /** Opens the diff of `b` against `a` in the Diff view and computes it. */
  async function open(a: CheckpointRef, b: CheckpointRef): Promise<void> {
    if (refKey(a) === refKey(b)) {
      useNoticesStore().push('info', 'That is the same checkpoint twice; pick two different ones to diff.');
      return;
    }
    pair.value = markRaw({ a, b });
    result.value = null;
    partial.value = false;
    tab.value = 'layers';
    selectedTensor.value = null;
    overview.value = null;
    overviewState.value = 'idle';
    overviewOffset.value = 0;
    overviewTotal.value = 0;
    compareResult.value = null;
    compareState.value = 'idle';
    compareTensor.value = null;
    expandedBlocks.value = new Set();
    compareTargets.value = markRaw(defaultCompareTargets(useRunsStore().tree, a, b));
    useNavigationStore().show('diff');
    await compute();
  }

  async function compute(): Promise<void> {
    const current = pair.value;
    if (current === null) return;
    const request = ++computeRequest;
    jobId = `diff-${Date.now().toString(36)}-${request}`;
    state.value = 'loading';
    error.value = null;
    progress.value = null;
    try {
      const reply = await useApi()['diff.compute']({
        a: current.a,
        b: current.b,
        epsilon: epsilon.value,
        partial: partial.value,
        jobId,
      });
      if (request !== computeRequest) return;
      result.value = markRaw(reply);
      state.value = 'ready';
      if (selectedTensor.value !== null && !reply.tensors.some((t) => t.name === selectedTensor.value))
        selectedTensor.value = null;
    } catch (caught) {
      if (request !== computeRequest) return;
      state.value = 'error';
      const code = caught instanceof DeltascopeError ? caught.code : 'INTERNAL';
      error.value = { code, message: errorMessage(caught) };
      if (code !== 'CANCELLED') useNoticesStore().reportError(caught, 'Computing the diff');
    } finally {
      if (request === computeRequest) progress.value = null;
    }
  }

  async function cancel(): Promise<void> {
    if (jobId === null || state.value !== 'loading') return;
    try {
      await useApi()['diff.cancel']({ jobId });
    } catch (caught) {
      useNoticesStore().reportError(caught, 'Cancelling the diff');
    }
  }

  /**
   * Opens the diff of two model files or folders by path (A first): the browser's path fields and
   * the desktop app's drop of two files or folders. Returns why not, or null once the diff opens.
   */
  function openPaths(paths: readonly string[]): { message: string; field: 'a' | 'b' | null } | null {
    const checked = diffPaths(paths);
    if (!checked.ok) return { message: checked.message, field: checked.field };
    void open(checked.a, checked.b);
    return null;
  }

  function swap(): Promise<void> {
    const current = pair.value;
    return current === null ? Promise.resolve() : open(current.b, current.a);
  }

  function setEpsilon(value: number): void {
    if (!(Number.isFinite(value) && value >= 0) || value === epsilon.value) return;
    epsilon.value = value;
    void compute();
  }

  function diffSharedTensors(): void {
    partial.value = true;
    void compute();
  }

  function sortBy(key: DiffColumnKey): void {
    if (sortKey.value === key) sortDirection.value = sortDirection.value === 'asc' ? 'desc' : 'asc';
    else {
      sortKey.value = key;
      sortDirection.value = key === 'name' || key === 'shape' ? 'asc' : 'desc';
    }
  }

  function selectTensor(name: string | null): void {
    selectedTensor.value = name;
    if (name === null) return;
    tab.value = 'layers';
    const block = blocks.value === null ? null : blockOfTensor(blocks.value, name);
    if (block !== null) revealBlock(block.key);
  }

  function toggleBlock(key: string): void {
    const next = new Set(expandedBlocks.value);
    if (!next.delete(key)) next.add(key);
    expandedBlocks.value = next;
  }

  function revealBlock(key: string): void {
    if (!expandedBlocks.value.has(key)) expandedBlocks.value = new Set([...expandedBlocks.value, key]);
  }

  /**
   * One page of the whole-model overview (OVERVIEW_PAGE tensors from `offset`, in checkpoint order):
   * only that page is read and pooled, so a model of hundreds of tensors opens at once.
   */
  async function loadOverview(offset = overviewOffset.value): Promise<void> {
    const current = pair.value;
    if (current === null) return;
    const request = ++overviewRequest;
    overviewState.value = 'loading';
    try {
      const reply = await useApi()['diff.overview']({
        a: current.a,
        b: current.b,
        view: 'delta',
        maxSize: 64,
        percentile: percentile.value,
        partial: partial.value,
        offset: Math.max(0, offset),
        limit: OVERVIEW_PAGE,
      });
      if (request !== overviewRequest) return;
      overview.value = markRaw(reply.tensors.map((tile) => markRaw(tile)));
      overviewOffset.value = reply.offset;
      overviewTotal.value = reply.total;
      overviewState.value = 'ready';
    } catch (caught) {
      if (request !== overviewRequest) return;
      overviewState.value = 'error';
      useNoticesStore().reportError(caught, 'Reading the whole-model overview');
    }
  }

  /** Shows the overview page holding tensor `name` (a tensor of the diff, in checkpoint order). */
  function overviewPageOf(name: string): number {
    const index = result.value?.tensors.findIndex((t) => t.name === name) ?? -1;
    return index < 0 ? 0 : Math.floor(index / OVERVIEW_PAGE) * OVERVIEW_PAGE;
  }

  function setCompareTargets(targets: readonly CheckpointRef[]): void {
    compareTargets.value = markRaw([...targets]);
  }

  /** Cosine similarity between the deltas (target − A) of every compare target. */
  async function runCompare(): Promise<void> {
    const current = pair.value;
    if (current === null) return;
    if (compareTargets.value.length < 2) {
      useNoticesStore().push('info', 'Pick at least two checkpoints to compare their deltas against A.');
      return;
    }
    const request = ++compareRequest;
    compareState.value = 'loading';
    try {
      const reply = await useApi()['diff.compareMany']({
        base: current.a,
        others: [...compareTargets.value],
        partial: partial.value,
      });
      if (request !== compareRequest) return;
      compareResult.value = markRaw(reply);
      compareState.value = 'ready';
      if (compareTensor.value !== null && !reply.tensors.some((t) => t.name === compareTensor.value))
        compareTensor.value = null;
    } catch (caught) {
      if (request !== compareRequest) return;
      compareState.value = 'error';
      useNoticesStore().reportError(caught, 'Comparing the deltas');
    }
  }

  /** Tiles of one tensor heatmap from `diff.tile` (each heatmap owns its source). */
  function tileSource(target: DiffTileTarget): DiffTileSource {
    return createDiffTileSource(useApi(), target);
  }

  /** Exact A, B and Δ of one heatmap cell (`diff.cell`); rejects with the call's error for the hover to show. */
  function cellValues(request: MethodRequest<'diff.cell'>): Promise<CellReply> {
    return useApi()['diff.cell'](request);
  }

  /** Forgets the diff: a different database was opened, or it was closed. */
  function reset(): void {
    computeRequest += 1;
    overviewRequest += 1;
    compareRequest += 1;
    jobId = null;
    pair.value = null;
    result.value = null;
    state.value = 'idle';
    error.value = null;
    progress.value = null;
    selectedTensor.value = null;
    overview.value = null;
    overviewState.value = 'idle';
    overviewOffset.value = 0;
    overviewTotal.value = 0;
    compareTargets.value = [];
    compareResult.value = null;
    compareState.value = 'idle';
    compareTensor.value = null;
    expandedBlocks.value = new Set();
  }

  /**
   * Each Δᵢ = targetᵢ − base of one tensor as a whole-tensor tile, and the largest of their robust
   * colour limits (one shared scale: a weaker delta then looks weaker, as it is).
   */
  async function loadDeltaTiles(
    base: CheckpointRef,
    targets: readonly CheckpointRef[],
    tensor: string,
    tilePercentile: number,
  ): Promise<{ ok: true; tiles: HeatmapTileData[]; limit: number } | { ok: false; message: string }> {
    try {
      const api = useApi();
      const replies = await Promise.all(
        targets.map((target) =>
          api['diff.tile']({ a: base, b: target, tensor, view: 'delta', percentile: tilePercentile }),
        ),
      );
      const limit = Math.max(
        ...replies.map((r) => (r.scale.limit > 0 ? r.scale.limit : 0)),
        Number.MIN_VALUE,
      );
      return { ok: true, tiles: replies.map(decodeTile), limit };
    } catch (caught) {
      return { ok: false, message: errorMessage(caught) };
    }
  }

  function listen(): void {
    const api = useApi();
    api.onEvent('job.progress', (event) => {
      if (event.jobId === jobId && state.value === 'loading')
        progress.value = { done: event.done, total: event.total, unit: event.unit };
    });
    api.onEvent('db.changed', ({ reason }) => {
      if (reason === 'written') return;
      reset();
      useNavigationStore().reset();
    });
  }

  return {
    pair,
    result,
    state,
    error,
    progress,
    epsilon,
    partial,
    tab,
    selectedTensor,
    sortKey,
    sortDirection,
    chartStat,
    heatmapView,
    percentile,
    logScale,
    logDecades,
    overview,
    overviewState,
    overviewOffset,
    overviewTotal,
    compareTargets,
    compareResult,
    compareState,
    compareTensor,
    groupBlocks,
    expandedBlocks,
    blockStat,
    blocks,
    listedTensors,
    sortedTensors,
    selected,
    open,
    openPaths,
    compute,
    cancel,
    swap,
    setEpsilon,
    diffSharedTensors,
    sortBy,
    selectTensor,
    toggleBlock,
    revealBlock,
    loadOverview,
    overviewPageOf,
    setCompareTargets,
    runCompare,
    loadDeltaTiles,
    tileSource,
    cellValues,
    reset,
    listen,
  };
});
