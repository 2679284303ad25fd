import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { MethodResponse, ObjectKind } from '@shared';
import type { PolicyMode, VisitationMode } from '@shared/contract-evaluation';
import { positionCount, stepPosition, type EpisodeRecording } from '../maze/episode-frames';
import { useNoticesStore } from './notices';

export type VisitationResult = MethodResponse<'episodes.visitation'>;
export type EvaluationRecord = MethodResponse<'eval.run'>;
export type EvaluationSummary = MethodResponse<'eval.list'>[number];
type LoadState = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The agent viewer: a checkpoint, one recorded held-out episode and the position shown in it, a
 * visitation map over many episodes, and the checkpoint's evaluations.
 */
export const useAgentStore = defineStore('agent', () => {
  const checkpointId = ref<number | null>(null);
  const mazeSeed = ref(0);
  const policy = ref<PolicyMode>('greedy');
  /** Seed of action sampling (sampled policy) and of the held-out maze stream. */
  const seed = ref(0);

  const recording = shallowRef<EpisodeRecording | null>(null);
  const recordingState = ref<LoadState>('idle');
  const position = ref(0);
  const playing = ref(false);

  const visitationMode = ref<VisitationMode>('fixed-maze');
  const anchorKind = ref<ObjectKind | null>(null);
  const visitation = shallowRef<VisitationResult | null>(null);
  const visitationState = ref<LoadState>('idle');

  const evaluations = shallowRef<EvaluationSummary[]>([]);
  const evaluation = shallowRef<EvaluationRecord | null>(null);
  const evaluationState = ref<LoadState>('idle');
  const evaluationEpisodes = ref(200);

  const positions = computed(() => (recording.value === null ? 0 : positionCount(recording.value)));

  let recordRequest = 0;
  let visitRequest = 0;
  let evalRequest = 0;

  async function record(): Promise<void> {
    const id = checkpointId.value;
    if (id === null) return;
    const current = ++recordRequest;
    recordingState.value = 'loading';
    playing.value = false;
    try {
      const next = await useApi()['episodes.record']({
        checkpointId: id,
        mazeSeed: mazeSeed.value,
        policy: policy.value,
        seed: seed.value,
      });
      if (current !== recordRequest) return;
      recording.value = markRaw(next);
      position.value = 0;
      recordingState.value = 'ready';
    } catch (error) {
      if (current !== recordRequest) return;
      recordingState.value = 'error';
      useNoticesStore().reportError(error, `Recording an episode of checkpoint ${id}`);
    }
  }

  async function loadVisitation(): Promise<void> {
    const id = checkpointId.value;
    if (id === null) return;
    const current = ++visitRequest;
    visitationState.value = 'loading';
    try {
      const next = await useApi()['episodes.visitation']({
        checkpointId: id,
        mode: visitationMode.value,
        mazeSeed: mazeSeed.value,
        policy: policy.value,
        seed: seed.value,
        ...(visitationMode.value === 'object-relative' && anchorKind.value !== null
          ? { anchorKind: anchorKind.value }
          : {}),
      });
      if (current !== visitRequest) return;
      visitation.value = markRaw(next);
      visitationState.value = 'ready';
    } catch (error) {
      if (current !== visitRequest) return;
      visitationState.value = 'error';
      useNoticesStore().reportError(error, `Computing the visitation map of checkpoint ${id}`);
    }
  }

  async function loadEvaluations(): Promise<void> {
    const id = checkpointId.value;
    if (id === null) return;
    try {
      const list = await useApi()['eval.list']({ checkpointId: id });
      if (id === checkpointId.value) evaluations.value = markRaw(list);
    } catch (error) {
      useNoticesStore().reportError(error, `Reading the evaluations of checkpoint ${id}`);
    }
  }

  async function evaluate(): Promise<void> {
    const id = checkpointId.value;
    if (id === null) return;
    const current = ++evalRequest;
    evaluationState.value = 'loading';
    try {
      const result = await useApi()['eval.run']({
        checkpointId: id,
        policy: policy.value,
        seed: seed.value,
        episodes: evaluationEpisodes.value,
      });
      if (current !== evalRequest) return;
      evaluation.value = markRaw(result);
      evaluationState.value = 'ready';
      await loadEvaluations();
    } catch (error) {
      if (current !== evalRequest) return;
      evaluationState.value = 'error';
      useNoticesStore().reportError(error, `Evaluating checkpoint ${id}`);
    }
  }

  /** Shows checkpoint `id`: records its first episode and reads its stored evaluations. */
  function open(id: number): void {
    if (id !== checkpointId.value) {
      checkpointId.value = id;
      recording.value = null;
      visitation.value = null;
      visitationState.value = 'idle';
      evaluation.value = null;
      evaluationState.value = 'idle';
      evaluations.value = [];
    }
    void record();
    void loadEvaluations();
  }

  function seek(next: number): void {
    position.value = stepPosition(next, 0, positions.value);
  }

  function step(delta: number): void {
    position.value = stepPosition(position.value, delta, positions.value);
  }

  /** Advances one position while playing; stops at the end. */
  function tick(): void {
    if (position.value >= positions.value - 1) playing.value = false;
    else step(1);
  }

  function togglePlay(): void {
    if (recording.value === null) return;
    if (!playing.value && position.value >= positions.value - 1) position.value = 0;
    playing.value = !playing.value;
  }

  function reset(): void {
    recordRequest += 1;
    visitRequest += 1;
    evalRequest += 1;
    checkpointId.value = null;
    recording.value = null;
    recordingState.value = 'idle';
    playing.value = false;
    visitation.value = null;
    visitationState.value = 'idle';
    evaluation.value = null;
    evaluationState.value = 'idle';
    evaluations.value = [];
  }

  /** A different database was opened or it was closed: its checkpoints are gone. */
  function listen(): void {
    useApi().onEvent('db.changed', ({ reason }) => {
      if (reason !== 'written') reset();
    });
  }

  return {
    checkpointId,
    mazeSeed,
    policy,
    seed,
    recording,
    recordingState,
    position,
    playing,
    positions,
    visitationMode,
    anchorKind,
    visitation,
    visitationState,
    evaluations,
    evaluation,
    evaluationState,
    evaluationEpisodes,
    record,
    loadVisitation,
    loadEvaluations,
    evaluate,
    open,
    seek,
    step,
    tick,
    togglePlay,
    reset,
    listen,
  };
});
