import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import { useApi } from '../api/provider';
import type {
  MetricSeries,
  ProtocolListItem,
  ProtocolPreset,
  ProtocolReport,
  ProtocolStatus,
  ProtocolValidation,
  RewardSimilarityResult,
} from '@shared';
import { useDatabaseStore } from './database';
import { useNavigationStore } from './navigation';
import { errorMessage, useNoticesStore } from './notices';
import { similarityRequest } from '../models/protocol-spec-form';
import type { SpecDraft } from '../models/spec-draft';

/** The protocol screen's three modes. */
export type ProtocolMode = 'design' | 'experiment' | 'report';

/** The preset "Run the demo" launches (resources/experiments/demo.json). */
export const DEMO_PRESET_ID = 'demo';

/** Quiet time after the last edit before the similarity and validation are asked for. */
export const SIMILARITY_DEBOUNCE_MS = 300;
export const VALIDATE_DEBOUNCE_MS = 600;

/** The experiment-wide reading of the protocol's `job.progress` stream (unit "nodes"). */
export interface ProtocolLiveProgress {
  done: number;
  total: number;
  etaSeconds: number | null;
}

/** Curves of one report chart: a run's return on its own training reward, keyed by node id. */
export interface ReportCurves {
  role: string;
  series: readonly MetricSeries[];
}

/**
 * The objective-isolation protocol: the designer's draft spec with its live reward similarity and
 * validation, the experiments of the database, the followed experiment's node statuses (re-read on
 * its `job.progress` / `job.state` events) and its report.
 */
export const useProtocolStore = defineStore('protocol', () => {
  const mode = ref<ProtocolMode>('design');
  const presets = ref<ProtocolPreset[]>([]);
  const draft = ref<SpecDraft>({});
  const similarity = shallowRef<RewardSimilarityResult | null>(null);
  const similarityError = ref<string | null>(null);
  const validation = shallowRef<ProtocolValidation | null>(null);
  const validating = ref(false);
  /** Tasks at once on a cluster, for the estimate's cluster projection (the designer's field). */
  const parallelTasks = ref(8);
  const experiments = ref<ProtocolListItem[]>([]);
  const experimentId = ref<number | null>(null);
  const status = shallowRef<ProtocolStatus | null>(null);
  const live = ref<ProtocolLiveProgress | null>(null);
  const report = shallowRef<ProtocolReport | null>(null);
  const curves = shallowRef<readonly ReportCurves[]>([]);
  const busy = ref(false);

  const jobId = computed(() => (experimentId.value === null ? null : `protocol-${experimentId.value}`));

  async function loadPresets(): Promise<void> {
    try {
      presets.value = await useApi()['protocol.presets']({});
    } catch (error) {
      useNoticesStore().reportError(error, 'Reading the experiment presets');
    }
  }

  /** Replaces the draft (a preset, an imported file, the advanced editor). */
  function setDraft(next: SpecDraft): void {
    draft.value = next;
  }

  function loadPreset(id: string): boolean {
    const preset = presets.value.find((p) => p.id === id);
    if (preset === undefined) return false;
    draft.value = JSON.parse(JSON.stringify(preset.spec)) as SpecDraft;
    return true;
  }

  let similarityTimer: ReturnType<typeof setTimeout> | null = null;
  let similarityRequestId = 0;
  async function refreshSimilarity(): Promise<void> {
    const request = similarityRequest(draft.value);
    const id = ++similarityRequestId;
    if (request === null) {
      similarity.value = null;
      similarityError.value = 'Name RA and every RB (distinct names) to see their similarity.';
      return;
    }
    try {
      const result = await useApi()['rewards.similarity']({
        env: request.env,
        rewards: request.rewards,
      });
      if (id !== similarityRequestId) return;
      similarity.value = markRaw(result);
      similarityError.value = null;
    } catch (error) {
      if (id !== similarityRequestId) return;
      similarity.value = null;
      similarityError.value = errorMessage(error);
    }
  }

  let validateTimer: ReturnType<typeof setTimeout> | null = null;
  let validateRequestId = 0;
  async function refreshValidation(): Promise<void> {
    const id = ++validateRequestId;
    validating.value = true;
    try {
      const result = await useApi()['protocol.validate']({
        spec: draft.value,
        estimate: true,
        parallelTasks: parallelTasks.value,
      });
      if (id === validateRequestId) validation.value = markRaw(result);
    } catch (error) {
      if (id === validateRequestId) {
        validation.value = { ok: false, errors: [{ path: '', message: errorMessage(error) }] };
      }
    } finally {
      if (id === validateRequestId) validating.value = false;
    }
  }

  // Every edit re-asks, after a quiet moment, for the similarity matrix and the validation.
  watch(draft, () => {
    if (similarityTimer !== null) clearTimeout(similarityTimer);
    if (validateTimer !== null) clearTimeout(validateTimer);
    similarityTimer = setTimeout(() => void refreshSimilarity(), SIMILARITY_DEBOUNCE_MS);
    validateTimer = setTimeout(() => void refreshValidation(), VALIDATE_DEBOUNCE_MS);
  });

  // A new cluster size re-asks for the estimate only (same debounce; a bad value waits for a good one).
  watch(parallelTasks, (tasks) => {
    if (!Number.isInteger(tasks) || tasks < 1) return;
    if (validateTimer !== null) clearTimeout(validateTimer);
    validateTimer = setTimeout(() => void refreshValidation(), VALIDATE_DEBOUNCE_MS);
  });

  async function loadList(): Promise<void> {
    try {
      experiments.value = await useApi()['protocol.list']({});
    } catch (error) {
      useNoticesStore().reportError(error, 'Reading the protocol experiments');
    }
  }

  let statusInFlight = false;
  let statusAgain = false;
  /** Re-reads the followed experiment's nodes; calls during a read coalesce into one more read. */
  async function refreshStatus(): Promise<void> {
    const id = experimentId.value;
    if (id === null) return;
    if (statusInFlight) {
      statusAgain = true;
      return;
    }
    statusInFlight = true;
    try {
      const next = await useApi()['protocol.status']({ experimentId: id });
      if (id === experimentId.value) status.value = markRaw(next);
    } catch (error) {
      useNoticesStore().reportError(error, `Reading the status of experiment ${id}`);
    } finally {
      statusInFlight = false;
      if (statusAgain) {
        statusAgain = false;
        void refreshStatus();
      }
    }
  }

  /** Shows an experiment's progress and nodes. */
  function follow(id: number): void {
    if (experimentId.value !== id) {
      status.value = null;
      live.value = null;
      report.value = null;
      curves.value = [];
    }
    experimentId.value = id;
    mode.value = 'experiment';
    databasePath = useDatabaseStore().info?.path ?? databasePath;
    void refreshStatus();
  }

  async function act(
    context: string,
    call: () => Promise<{ experimentId: number } | ProtocolStatus>,
  ): Promise<number | null> {
    busy.value = true;
    try {
      const result = await call();
      return result.experimentId;
    } catch (error) {
      useNoticesStore().reportError(error, context);
      return null;
    } finally {
      busy.value = false;
    }
  }

  /** Launches the draft; on success the experiment view follows it. */
  async function start(): Promise<number | null> {
    const id = await act('Launching the experiment', () => useApi()['protocol.start']({ spec: draft.value }));
    if (id !== null) {
      follow(id);
      void loadList();
    }
    return id;
  }

  async function stop(): Promise<void> {
    const id = experimentId.value;
    if (id === null) return;
    await act('Stopping the experiment', () => useApi()['protocol.stop']({ experimentId: id }));
    void refreshStatus();
  }

  async function resume(retryFailed = false): Promise<void> {
    const id = experimentId.value;
    if (id === null) return;
    await act(retryFailed ? 'Retrying the failed nodes' : 'Resuming the experiment', () =>
      useApi()[retryFailed ? 'protocol.retryFailed' : 'protocol.resume']({ experimentId: id }),
    );
    void refreshStatus();
    void loadList();
  }

  /** Runs the followed experiment again, retrying just one failed node (and what it unblocks). */
  async function retryNode(nodeId: string): Promise<void> {
    const id = experimentId.value;
    if (id === null) return;
    await act(`Retrying ${nodeId}`, () =>
      useApi()['protocol.retryFailed']({ experimentId: id, nodeIds: [nodeId] }),
    );
    void refreshStatus();
    void loadList();
  }

  /** Reads the report of the followed experiment and the training curves of its main runs. */
  async function loadReport(): Promise<void> {
    const id = experimentId.value;
    if (id === null) return;
    mode.value = 'report';
    try {
      const next = await useApi()['protocol.report']({ experimentId: id });
      if (id !== experimentId.value) return;
      report.value = markRaw(next);
      curves.value = markRaw(await loadCurves(next));
    } catch (error) {
      useNoticesStore().reportError(error, `Reading the report of experiment ${id}`);
    }
  }

  /** One series per pretraining, fine-tune and null-control run: its return on its own reward. */
  async function loadCurves(data: ProtocolReport): Promise<ReportCurves[]> {
    const roles = ['pretrain', 'finetune', 'null'];
    const out: ReportCurves[] = [];
    for (const role of roles) {
      const runs = data.runs.filter((run) => run.role === role);
      const series: MetricSeries[] = [];
      for (const run of runs) {
        const key = `charts/episodic_return/${run.trainReward}`;
        const [found] = await useApi()['metrics.series']({ runId: run.runId, keys: [key], maxPoints: 500 });
        if (found !== undefined) series.push({ ...found, key: `${run.nodeId} (${run.trainReward})` });
      }
      if (series.length > 0) out.push({ role, series });
    }
    return out;
  }

  async function exportReport(path: string, overwrite = false): Promise<string | null> {
    const id = experimentId.value;
    if (id === null) return null;
    try {
      const written = await useApi()['protocol.exportReport']({ experimentId: id, path, overwrite });
      useNoticesStore().push('info', `Report written to ${written.htmlPath}`);
      return written.htmlPath;
    } catch (error) {
      useNoticesStore().reportError(error, 'Exporting the report');
      return null;
    }
  }

  /**
   * "Run the demo": opens the default database when none is open, loads the demo preset, launches
   * it and shows its progress. Resolves with the experiment id, or null (the reason is a notice).
   */
  async function runDemo(): Promise<number | null> {
    const database = useDatabaseStore();
    if (database.info === null) {
      const opened = await database.openDefault();
      if (!opened.ok) return null;
    }
    databasePath = database.info?.path ?? null;
    await loadPresets();
    if (!loadPreset(DEMO_PRESET_ID)) {
      useNoticesStore().push('error', `The "${DEMO_PRESET_ID}" experiment preset is missing.`);
      return null;
    }
    useNavigationStore().show('protocol');
    return start();
  }

  /** The database the experiments belong to; a db.changed to another file forgets them. */
  let databasePath: string | null = null;

  function listen(): void {
    const api = useApi();
    api.onEvent('db.changed', ({ info, reason }) => {
      const path = info?.path ?? null;
      // A write (a node finishing, a retry) changes data in the open database, not which one is open:
      // the followed experiment stays (forgetting it sent the view back to the designer mid-retry).
      if (reason === 'written') {
        databasePath ??= path;
        return;
      }
      if (path === databasePath) return;
      databasePath = path;
      reset();
    });
    api.onEvent('job.progress', (progress) => {
      if (progress.jobId !== jobId.value) return;
      live.value = { done: progress.done, total: progress.total, etaSeconds: progress.etaSeconds };
      void refreshStatus();
    });
    api.onEvent('job.state', (event) => {
      if (!event.jobId.startsWith('protocol-')) return;
      void loadList();
      if (event.jobId === jobId.value) void refreshStatus();
    });
  }

  /** A different database was opened (or none): forget its experiments. */
  function reset(): void {
    mode.value = 'design';
    experiments.value = [];
    experimentId.value = null;
    status.value = null;
    live.value = null;
    report.value = null;
    curves.value = [];
  }

  return {
    mode,
    presets,
    draft,
    similarity,
    similarityError,
    validation,
    validating,
    parallelTasks,
    experiments,
    experimentId,
    status,
    live,
    report,
    curves,
    busy,
    jobId,
    loadPresets,
    setDraft,
    loadPreset,
    refreshSimilarity,
    refreshValidation,
    loadList,
    refreshStatus,
    follow,
    start,
    stop,
    resume,
    retryNode,
    loadReport,
    exportReport,
    runDemo,
    listen,
    reset,
  };
});
