import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import {
  isUnreadable,
  type AggregateFolderResult,
  type OverviewTilePayload,
  type RelevanceMapSummary,
  type UnreadableArtifact,
} from '@shared/contract-weights';
import { useApi } from '../api/provider';
import { useNavigationStore } from './navigation';
import { errorMessage, useNoticesStore } from './notices';
import type { LoadState } from './runs';
import type { AggregateFolderRequest, AggregatePreset, AggregateRequest } from '../models/relevance-model';

/**
 * A large aggregation's progress: tensors folded (a map) or parameters written (a folder) of all,
 * and the seconds left (null: unknown yet).
 */
export interface AggregateProgress {
  done: number;
  total: number;
  unit: string;
  etaSeconds: number | null;
}

/**
 * Relevance maps (weights.aggregate artifacts): the stored list, the open map with its whole-model
 * overview and chosen tensor, and the "Aggregate deltas…" dialog (which can also write its result
 * as a safetensors folder, weights.aggregateToFolder). A map is drawn through the diff
 * methods with both sides `{ artifactId }` and view 'a'.
 */
export const useRelevanceStore = defineStore('relevance', () => {
  const maps = shallowRef<RelevanceMapSummary[]>([]);
  /** Stored maps that could not be read, each with the reason (listed, not opened). */
  const unreadable = shallowRef<UnreadableArtifact[]>([]);
  const state = ref<LoadState>('idle');
  const selectedId = ref<number | null>(null);
  const overview = shallowRef<OverviewTilePayload[] | null>(null);
  const overviewState = ref<LoadState>('idle');
  const selectedTensor = ref<string | null>(null);
  const dialogOpen = ref(false);
  /** Base and deltas the dialog starts with (from a diff's "Compare deltas"), or null. */
  const dialogPreset = shallowRef<AggregatePreset | null>(null);
  const aggregating = ref(false);
  const aggregateError = ref<string | null>(null);
  /** Tensors folded so far by a large aggregation (its worker's job.progress), or null. */
  const aggregateProgress = ref<AggregateProgress | null>(null);
  /** The folder the dialog's last "Save as a safetensors folder" wrote, shown until the form changes. */
  const writtenFolder = shallowRef<AggregateFolderResult | null>(null);

  const selected = computed(() => maps.value.find((m) => m.artifactId === selectedId.value) ?? null);
  const selectedTile = computed(
    () => overview.value?.find((tile) => tile.name === selectedTensor.value) ?? null,
  );

  let listRequest = 0;
  let overviewRequest = 0;
  let listening = false;
  let aggregateSequence = 0;
  /** The running aggregation's job id: its progress events are picked out by it, and it cancels. */
  let aggregateJobId: string | null = null;

  async function load(): Promise<void> {
    const request = ++listRequest;
    state.value = 'loading';
    try {
      const reply = await useApi()['weights.relevanceMaps']({});
      if (request !== listRequest) return;
      maps.value = markRaw(reply.filter((entry): entry is RelevanceMapSummary => !isUnreadable(entry)));
      unreadable.value = markRaw(reply.filter(isUnreadable));
      state.value = 'ready';
      if (selectedId.value !== null && selected.value === null) select(null);
    } catch (caught) {
      if (request !== listRequest) return;
      state.value = 'error';
      useNoticesStore().reportError(caught, 'Listing the relevance maps');
    }
  }

  /** Opens a map: its overview is fetched, and its largest-share tensor chosen. */
  function select(artifactId: number | null): void {
    selectedId.value = artifactId;
    overview.value = null;
    overviewState.value = 'idle';
    const map = selected.value;
    selectedTensor.value =
      map === null || map.tensors.length === 0
        ? null
        : map.tensors.reduce((best, t) => (t.massShare > best.massShare ? t : best)).name;
    if (map !== null) void loadOverview();
  }

  async function loadOverview(): Promise<void> {
    const artifactId = selectedId.value;
    if (artifactId === null) return;
    const request = ++overviewRequest;
    overviewState.value = 'loading';
    const ref = { artifactId };
    try {
      const reply = await useApi()['diff.overview']({ a: ref, b: ref, view: 'a', maxSize: 64 });
      if (request !== overviewRequest) return;
      overview.value = markRaw(reply.tensors.map((tile) => markRaw(tile)));
      overviewState.value = 'ready';
    } catch (caught) {
      if (request !== overviewRequest) return;
      overviewState.value = 'error';
      useNoticesStore().reportError(caught, 'Reading the relevance map');
    }
  }

  /** Opens "Aggregate deltas…" (in the relevance view), optionally on a given base and deltas. */
  function openDialog(preset: AggregatePreset | null = null): void {
    aggregateError.value = null;
    writtenFolder.value = null;
    dialogPreset.value = preset;
    dialogOpen.value = true;
    useNavigationStore().show('relevance');
  }

  function closeDialog(): void {
    dialogOpen.value = false;
  }

  /** Runs one aggregation call with a fresh job id (for its progress and Stop); null and a message on failure. */
  async function runAggregation<T>(call: (jobId: string) => Promise<T>): Promise<T | null> {
    aggregating.value = true;
    aggregateError.value = null;
    aggregateProgress.value = null;
    writtenFolder.value = null;
    const jobId = `aggregate-${Date.now().toString(36)}-${++aggregateSequence}`;
    aggregateJobId = jobId;
    try {
      return await call(jobId);
    } catch (caught) {
      aggregateError.value = errorMessage(caught);
      return null;
    } finally {
      if (aggregateJobId === jobId) aggregateJobId = null;
      aggregating.value = false;
      aggregateProgress.value = null;
    }
  }

  /** Runs weights.aggregate; on success the new map opens. False (and a message) on failure. */
  async function aggregate(request: AggregateRequest): Promise<boolean> {
    const summary = await runAggregation((jobId) => useApi()['weights.aggregate']({ ...request, jobId }));
    if (summary === null) return false;
    await load();
    select(summary.artifactId);
    useNavigationStore().show('relevance');
    useNoticesStore().push('info', `Saved relevance map ${summary.artifactId}: ${summary.name}.`);
    return true;
  }

  /**
   * Runs weights.aggregateToFolder: the result goes to a sharded safetensors folder on the machine
   * running Deltascope, not the database. On success `writtenFolder` holds what was written.
   */
  async function aggregateToFolder(request: AggregateFolderRequest): Promise<boolean> {
    const result = await runAggregation((jobId) =>
      useApi()['weights.aggregateToFolder']({ ...request, jobId }),
    );
    writtenFolder.value = result === null ? null : markRaw(result);
    return result !== null;
  }

  /** Stops the running aggregation (only large ones, run in a worker, can stop); it saves nothing. */
  async function cancelAggregate(): Promise<void> {
    if (aggregateJobId === null || !aggregating.value) return;
    try {
      await useApi()['diff.cancel']({ jobId: aggregateJobId });
    } catch (caught) {
      useNoticesStore().reportError(caught, 'Stopping the aggregation');
    }
  }

  function reset(): void {
    listRequest += 1;
    overviewRequest += 1;
    maps.value = [];
    unreadable.value = [];
    state.value = 'idle';
    selectedId.value = null;
    overview.value = null;
    overviewState.value = 'idle';
    selectedTensor.value = null;
    dialogOpen.value = false;
    dialogPreset.value = null;
    aggregateError.value = null;
    writtenFolder.value = null;
  }

  /** Forgets the maps when another database opens (subscribed once, on first use). */
  function listen(): void {
    if (listening) return;
    listening = true;
    const api = useApi();
    api.onEvent('db.changed', ({ reason }) => {
      if (reason !== 'written') reset();
    });
    api.onEvent('job.progress', (event) => {
      if (event.jobId !== aggregateJobId || !aggregating.value) return;
      aggregateProgress.value = {
        done: event.done,
        total: event.total,
        unit: event.unit,
        etaSeconds: event.etaSeconds,
      };
    });
  }

  return {
    maps,
    unreadable,
    state,
    selectedId,
    selected,
    overview,
    overviewState,
    selectedTensor,
    selectedTile,
    dialogOpen,
    dialogPreset,
    aggregating,
    aggregateError,
    aggregateProgress,
    writtenFolder,
    load,
    select,
    loadOverview,
    openDialog,
    closeDialog,
    aggregate,
    aggregateToFolder,
    cancelAggregate,
    reset,
    listen,
  };
});
