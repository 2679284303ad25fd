import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { EpisodeScan } from '@shared/contract-evaluation';
import type { EpisodeRecording } from '../maze/episode-frames';
import type { ScanCondition } from '../models/episode-scan';
import { useAgentStore } from './agent';
import { useNoticesStore } from './notices';

type LoadState = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The agent viewer's second checkpoint (B): the same maze replayed by it beside A's, and a scan of
 * many mazes by both (`episodes.scan`) to find where a behaviour shows.
 */
export const useAgentCompareStore = defineStore('agentCompare', () => {
  const checkpointId = ref<number | null>(null);
  const recording = shallowRef<EpisodeRecording | null>(null);
  const recordingState = ref<LoadState>('idle');
  const scan = shallowRef<EpisodeScan | null>(null);
  const scanState = ref<LoadState>('idle');
  const mazes = ref(64);
  const kind = ref<string | null>(null);
  const condition = ref<ScanCondition>('a-not-b');
  let recordRequest = 0;
  let scanRequest = 0;

  /** B plays the maze A shows (same maze seed, policy and seed). */
  async function record(): Promise<void> {
    const id = checkpointId.value;
    const agent = useAgentStore();
    if (id === null) {
      recording.value = null;
      return;
    }
    const current = ++recordRequest;
    recordingState.value = 'loading';
    // Never show B in another maze than A's while its episode of A's maze is on its way.
    if (recording.value !== null && recording.value.mazeSeed !== agent.mazeSeed) recording.value = null;
    try {
      const next = await useApi()['episodes.record']({
        checkpointId: id,
        mazeSeed: agent.mazeSeed,
        policy: agent.policy,
        seed: agent.seed,
      });
      if (current !== recordRequest) return;
      recording.value = markRaw(next);
      recordingState.value = 'ready';
    } catch (error) {
      if (current !== recordRequest) return;
      recordingState.value = 'error';
      useNoticesStore().reportError(error, `Recording an episode of checkpoint ${id}`);
    }
  }

  function choose(id: number | null): void {
    checkpointId.value = id;
    scan.value = null;
    scanState.value = 'idle';
    void record();
  }

  /** Plays `mazes` held-out mazes with A (and B, if chosen) and keeps what each collected. */
  async function runScan(): Promise<void> {
    const agent = useAgentStore();
    const a = agent.checkpointId;
    if (a === null) return;
    const ids = checkpointId.value === null ? [a] : [a, checkpointId.value];
    const current = ++scanRequest;
    scanState.value = 'loading';
    try {
      const next = await useApi()['episodes.scan']({
        checkpointIds: ids,
        policy: agent.policy,
        seed: agent.seed,
        mazes: mazes.value,
      });
      if (current !== scanRequest) return;
      scan.value = markRaw(next);
      if (kind.value === null || !next.kinds.includes(kind.value)) kind.value = next.kinds[0] ?? null;
      scanState.value = 'ready';
    } catch (error) {
      if (current !== scanRequest) return;
      scanState.value = 'error';
      useNoticesStore().reportError(error, 'Scanning mazes for the episode picker');
    }
  }

  /** Shows one maze of the scan: A replays it (the agent store) and B beside it. */
  function showMaze(mazeSeed: number): void {
    useAgentStore().mazeSeed = mazeSeed;
    void record();
  }

  function reset(): void {
    recordRequest += 1;
    scanRequest += 1;
    checkpointId.value = null;
    recording.value = null;
    recordingState.value = 'idle';
    scan.value = null;
    scanState.value = 'idle';
  }

  return {
    checkpointId,
    recording,
    recordingState,
    scan,
    scanState,
    mazes,
    kind,
    condition,
    record,
    choose,
    runScan,
    showMaze,
    reset,
  };
});
