import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { useApi } from '../api/provider';
import type { KnownAnswerChecksResult } from '@shared';
import { errorMessage, useNoticesStore } from './notices';

/**
 * The known-answer checks of a protocol experiment (spike-in calibration and observation ground
 * truth, issue 11 §5): one click runs both on a replication in the main side's compute thread; the
 * latest result per experiment is kept for the report view.
 */
export const useProtocolChecksStore = defineStore('protocol-checks', () => {
  const results = shallowRef<ReadonlyMap<number, KnownAnswerChecksResult>>(new Map());
  const running = ref<number | null>(null);
  const errors = shallowRef<ReadonlyMap<number, string>>(new Map());

  /** Runs both checks on replication `seed` (default: the first) of `experimentId`; null on failure (a notice says why). */
  async function run(experimentId: number, seed?: number): Promise<KnownAnswerChecksResult | null> {
    if (running.value !== null) return null;
    running.value = experimentId;
    try {
      const result = await useApi()['protocol.knownAnswerChecks']({
        experimentId,
        ...(seed === undefined ? {} : { seed }),
      });
      results.value = markRaw(new Map(results.value).set(experimentId, result));
      const nextErrors = new Map(errors.value);
      nextErrors.delete(experimentId);
      errors.value = markRaw(nextErrors);
      return result;
    } catch (error) {
      errors.value = markRaw(new Map(errors.value).set(experimentId, errorMessage(error)));
      useNoticesStore().reportError(error, `Known-answer checks of experiment ${experimentId}`);
      return null;
    } finally {
      running.value = null;
    }
  }

  /** A different database: forget every result. */
  function reset(): void {
    results.value = new Map();
    errors.value = new Map();
  }

  return { results, running, errors, run, reset };
});
