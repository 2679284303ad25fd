import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { KnownAnswerChecksResult } from '@shared';
import { errorMessage, useNoticesStore } from './notices';

/**
 * The known-answer checks of a protocol experiment (spike-in calibration and observation ground
 * truth, issue 11 §5): one click runs both on every replication in turn, each in the main side's
 * compute thread and stored there; the report (re-read afterwards) pools them. The latest result per
 * experiment and replication is kept so the view shows it before the report is re-read.
 */
export const useProtocolChecksStore = defineStore('protocol-checks', () => {
  /** experimentId → seed → its latest result. */
  const results = shallowRef<ReadonlyMap<number, ReadonlyMap<number, KnownAnswerChecksResult>>>(new Map());
  const running = ref<number | null>(null);
  /** Replications done / to do of the running experiment. */
  const progress = ref<{ done: number; total: number } | null>(null);
  const errors = shallowRef<ReadonlyMap<number, string>>(new Map());

  function keep(result: KnownAnswerChecksResult): void {
    const bySeed = new Map(results.value.get(result.experimentId) ?? []).set(result.seed, result);
    results.value = markRaw(new Map(results.value).set(result.experimentId, bySeed));
  }

  /**
   * Runs both checks on each replication `seeds` of `experimentId`, one after the other; stops at the
   * first refusal (a notice says why). Returns the results of the replications that ran.
   */
  async function run(experimentId: number, seeds: readonly number[]): Promise<KnownAnswerChecksResult[]> {
    if (running.value !== null) return [];
    running.value = experimentId;
    progress.value = { done: 0, total: seeds.length };
    const done: KnownAnswerChecksResult[] = [];
    try {
      for (const seed of seeds) {
        const result = await useApi()['protocol.knownAnswerChecks']({ experimentId, seed });
        keep(result);
        done.push(result);
        progress.value = { done: done.length, total: seeds.length };
      }
      const nextErrors = new Map(errors.value);
      nextErrors.delete(experimentId);
      errors.value = markRaw(nextErrors);
    } catch (error) {
      errors.value = markRaw(new Map(errors.value).set(experimentId, errorMessage(error)));
      useNoticesStore().reportError(error, `Known-answer checks of experiment ${experimentId}`);
    } finally {
      running.value = null;
      progress.value = null;
    }
    return done;
  }

  /** A different database: forget every result. */
  function reset(): void {
    results.value = new Map();
    errors.value = new Map();
  }

  return { results, running, progress, errors, run, reset };
});
