import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { LivePoint } from '../charts/live-series';
import type { JobInfo, TrainingSpecInput } from '@shared';
import { useAppStore } from './app';
import { useNoticesStore } from './notices';

/** Live readings kept per job for the monitor's curves (older ones are dropped). */
const MAX_LIVE_POINTS = 5000;
const ACTIVE_STATES: readonly JobInfo['state'][] = ['queued', 'running'];

/** True while a job is queued or running. */
export function isActiveJob(job: JobInfo): boolean {
  return ACTIVE_STATES.includes(job.state);
}

/**
 * The main side's job queue as the renderer sees it: `jobs.list`, kept current by `job.progress`
 * and `job.state` events, with each training job's progress readings for the live curves.
 */
export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<JobInfo[]>([]);
  /** Progress readings per job id, oldest first (plain arrays, replaced on each reading). */
  const live = shallowRef<ReadonlyMap<string, readonly LivePoint[]>>(new Map());
  const busy = ref(false);

  const byRun = computed(() => {
    const map = new Map<number, JobInfo>();
    // Oldest first, so the newest job of a run wins.
    for (const job of jobs.value) if (job.kind === 'training') map.set(job.runId, job);
    return map;
  });
  const activeCount = computed(() => jobs.value.filter(isActiveJob).length);

  let listRequest = 0;
  /** Jobs whose backend was asked for after their first progress event. */
  const backendAsked = new Set<string>();

  async function load(): Promise<void> {
    const request = ++listRequest;
    try {
      const next = await useApi()['jobs.list']({});
      if (request !== listRequest) return;
      // A reply can be overtaken by a newer progress event on the event channel: keep the furthest.
      const previous = new Map(jobs.value.map((job) => [job.jobId, job]));
      jobs.value = next.map((job) => {
        const before = previous.get(job.jobId);
        return before !== undefined && before.done > job.done ? { ...job, done: before.done } : job;
      });
      // The main side picks its compute backend when the first job starts.
      const app = useAppStore();
      if (app.info !== null && app.info.computeBackend === null && next.some((job) => job.backend !== null))
        void app.loadInfo();
    } catch (error) {
      if (request === listRequest) useNoticesStore().reportError(error, 'Reading the job list');
    }
  }

  function upsert(info: JobInfo): void {
    const index = jobs.value.findIndex((job) => job.jobId === info.jobId);
    if (index === -1) jobs.value = [...jobs.value, info];
    else jobs.value = jobs.value.map((job, i) => (i === index ? info : job));
  }

  /** Queues a training; resolves with the new run's id, or null when the main side refused. */
  async function startTraining(spec: TrainingSpecInput): Promise<number | null> {
    busy.value = true;
    try {
      const started = await useApi()['jobs.startTraining']({ spec });
      await load();
      return started.runId;
    } catch (error) {
      useNoticesStore().reportError(error, 'Starting the training');
      return null;
    } finally {
      busy.value = false;
    }
  }

  async function cancel(jobId: string): Promise<void> {
    try {
      upsert(await useApi()['jobs.cancel']({ jobId }));
    } catch (error) {
      useNoticesStore().reportError(error, `Cancelling job ${jobId}`);
    }
  }

  async function resume(runId: number): Promise<boolean> {
    busy.value = true;
    try {
      await useApi()['jobs.resume']({ runId });
      await load();
      return true;
    } catch (error) {
      useNoticesStore().reportError(error, `Resuming run ${runId}`);
      return false;
    } finally {
      busy.value = false;
    }
  }

  function addLivePoint(jobId: string, point: LivePoint): void {
    const previous = live.value.get(jobId) ?? [];
    const next = new Map(live.value);
    next.set(jobId, markRaw([...previous, point].slice(-MAX_LIVE_POINTS)));
    live.value = next;
  }

  function listen(): void {
    const api = useApi();
    api.onEvent('job.progress', (progress) => {
      const job = jobs.value.find((j) => j.jobId === progress.jobId);
      // Progress of other kinds of job (large diffs) is not listed by jobs.list.
      if (job === undefined) return;
      // The worker reports its backend once it has started: the first progress brings it.
      if (job.backend === null && !backendAsked.has(job.jobId)) {
        backendAsked.add(job.jobId);
        void load();
      }
      upsert({
        ...job,
        done: progress.done,
        total: progress.total,
        ratePerSecond: progress.ratePerSecond,
        etaSeconds: progress.etaSeconds,
      });
      if (Object.keys(progress.latest).length > 0)
        addLivePoint(progress.jobId, { step: progress.done, latest: progress.latest });
    });
    api.onEvent('job.state', ({ jobId, state, message }) => {
      const job = jobs.value.find((j) => j.jobId === jobId);
      if (job !== undefined) upsert({ ...job, state, message: message ?? job.message });
      // The list has the backend, the start and end times and the last checkpoint.
      void load();
    });
  }

  return { jobs, live, busy, byRun, activeCount, load, startTraining, cancel, resume, listen };
});
