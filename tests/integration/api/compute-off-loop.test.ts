import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/api';
import {
  computeReportBaseline,
  REPORT_BASELINE_KIND,
} from '../../../src-main/api/protocol/protocol-report-baseline';
import { createNodeForkLauncher } from '../../../src-main/jobs';
import {
  createProtocolExperiment,
  loadProtocol,
  readNodeStates,
} from '../../../src-main/jobs/protocol/protocol-store';
import type { CallResult, EventPayload, ProtocolReport, ProtocolStatus } from '../../../src-main/shared';
import { createDatabase } from '../../../src-main/store';
import { useApiService } from '../../helpers/api-service';
import { WORKER_BUNDLE } from '../jobs/jobs-test-helpers';
import { seedTrainingNodes, tinyExperiment } from '../jobs/protocol-test-helpers';

/**
 * CPU-heavy calls run off the event loop: while an evaluation with the schema's largest sizes runs
 * (minutes of work), the API answers within 100 ms, and stop/cancel end it within a second.
 */

let longId: number;
let reportId: number;

const api = useApiService(
  'compute-off-loop',
  async (dir) => {
    const dbPath = join(dir, 'long.deltascope');
    const db = createDatabase(dbPath);
    longId = createProtocolExperiment(
      db,
      tinyExperiment({ name: 'long-eval', evalEpisodes: 100_000, bootstrapResamples: 100_000 }),
    ).experimentId;
    reportId = createProtocolExperiment(
      db,
      tinyExperiment({ name: 'report-baseline', evalEpisodes: 3000, bootstrapResamples: 3000 }),
    ).experimentId;
    db.close();
    await seedTrainingNodes(dbPath, longId);
    return {
      jobLauncher: createNodeForkLauncher({ entry: WORKER_BUNDLE }),
      jobParallelism: 1,
      open: dbPath,
    };
  },
  120_000,
);
const { call } = api;

function waitFor(predicate: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

function progressOf(jobId: string, from: number): EventPayload<'job.progress'>[] {
  return api.events
    .slice(from)
    .filter((e) => e.event === 'job.progress')
    .map((e) => e.payload as EventPayload<'job.progress'>)
    .filter((p) => p.jobId === jobId);
}

function stateOf(jobId: string, from: number): string | undefined {
  const last = api.events
    .slice(from)
    .filter((e) => e.event === 'job.state' && (e.payload as { jobId: string }).jobId === jobId)
    .at(-1);
  return (last?.payload as { state?: string } | undefined)?.state;
}

/**
 * Seven app.info calls, 30 ms apart: each one's time, and each pause's overrun (event-loop lag). The
 * machine is shared (the evaluation's thread, other processes), so the median is held to 100 ms and
 * every call to well under a second; a blocked loop takes minutes.
 */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function expectResponsive({ calls, lags }: { calls: number[]; lags: number[] }): void {
  expect(median(calls)).toBeLessThan(100);
  expect(median(lags)).toBeLessThan(100);
  expect(Math.max(...calls, ...lags)).toBeLessThan(1000);
}

async function appInfoTimes(): Promise<{ calls: number[]; lags: number[] }> {
  const calls: number[] = [];
  const lags: number[] = [];
  for (let i = 0; i < 7; i++) {
    const paused = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    lags.push(performance.now() - paused - 30);
    const started = performance.now();
    await call('app.info', {});
    calls.push(performance.now() - started);
  }
  return { calls, lags };
}

describe('a protocol evaluation of 100,000 episodes and 100,000 resamples', () => {
  it('runs while app.info answers within 100 ms, and protocol.stop ends it within a second', async () => {
    const from = api.events.length;
    const { jobId } = await call<{ jobId: string }>('protocol.resume', { experimentId: longId });
    // The evaluation reports its episodes as node progress.
    await waitFor(
      () => progressOf(jobId, from).some((p) => (p.latest['protocol/node-done'] ?? 0) > 0),
      'the evaluation to start',
    );
    const progress = progressOf(jobId, from).filter((p) => p.latest['protocol/node-total'] !== undefined);
    expect(progress.at(-1)?.latest['protocol/node-total']).toBe(100_000);

    expectResponsive(await appInfoTimes());

    const stopFrom = api.events.length;
    const stopping = performance.now();
    const status = await call<ProtocolStatus>('protocol.stop', { experimentId: longId });
    expect(status.state).toBe('stopping');
    await waitFor(() => stateOf(jobId, stopFrom) === 'cancelled', 'the protocol to end', 5000);
    expect(performance.now() - stopping).toBeLessThan(1000);

    // Stopped, not failed: nothing of the evaluation was stored, and a resume would do it again.
    const after = await call<ProtocolStatus>('protocol.status', { experimentId: longId });
    expect(after).toMatchObject({ state: 'cancelled', failed: 0 });
    const states = readNodeStates(api.service.database(), longId);
    const { graph } = loadProtocol(api.service.database(), longId);
    const evaluations = graph.nodes.filter((n) => n.params.kind === 'evaluate').map((n) => n.id);
    expect(evaluations.filter((id) => states.has(id))).toEqual([]);
  }, 180_000);
});

describe('eval.run off the event loop', () => {
  it('runs a 20,000-episode evaluation in a worker with progress, and eval.cancel ends it within a second', async () => {
    const states = readNodeStates(api.service.database(), longId);
    const checkpointId = states.get('s1/pretrain')!.outputs.checkpointId!;
    const before = api.service.database().artifacts.list(longId).length;
    const from = api.events.length;
    const running = dispatch(api.service.handlers, 'eval.run', {
      checkpointId,
      episodes: 20_000,
      bootstrapResamples: 100_000,
      jobId: 'long-eval',
    });
    let settled: CallResult | null = null;
    void running.then((result) => (settled = result));
    await waitFor(() => settled !== null || progressOf('long-eval', from).length > 0, 'eval.run progress');
    expect(settled).toBeNull();
    expect(progressOf('long-eval', from)[0]).toMatchObject({ total: 20_000, unit: 'episodes' });

    expectResponsive(await appInfoTimes());

    const cancelling = performance.now();
    expect(await call('eval.cancel', { jobId: 'long-eval' })).toEqual({ cancelled: true });
    const result = await running;
    expect(performance.now() - cancelling).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(stateOf('long-eval', from)).toBe('cancelled');
    expect(api.service.database().artifacts.list(longId)).toHaveLength(before);
    expect(await call('eval.cancel', { jobId: 'long-eval' })).toEqual({ cancelled: false });
  }, 120_000);
});

describe('protocol.report', () => {
  it('computes the random-policy floor and the similarity once, off the event loop, and reads them afterwards', async () => {
    const first = dispatch(api.service.handlers, 'protocol.report', { experimentId: reportId });
    expectResponsive(await appInfoTimes());
    const result = await first;
    if (!result.ok) throw new Error(result.error.message);
    const report = result.result as ProtocolReport;

    const baselines = () =>
      api.service
        .database()
        .artifacts.list(reportId)
        .filter((a) => a.kind === REPORT_BASELINE_KIND);
    expect(baselines()).toHaveLength(1);

    // The same numbers as computing it directly (the floor is the same evaluation as before).
    const { spec, graph } = loadProtocol(api.service.database(), reportId);
    const expected = computeReportBaseline(spec, graph.evalRewards);
    const floor = report.seeds[0]!.success.filter((f) => f.subject === 'random policy');
    expect(floor.map((f) => f.success)).toEqual(
      floor.map((f) => expected.floor.rewards.find((r) => r.name === f.reward)!.success),
    );
    expect(report.similarity).toEqual(expected.similarity);

    const again = await call<ProtocolReport>('protocol.report', { experimentId: reportId });
    expect(again.seeds).toEqual(report.seeds);
    expect(again.similarity).toEqual(report.similarity);
    expect(baselines()).toHaveLength(1);
  }, 120_000);
});
