// Entry of the API's compute worker thread (bundled to out/main/compute-worker.cjs): evaluations,
// visitation heatmaps, first reports (which compute and store the report baseline), report exports,
// work-folder status/merges (src-main/cluster), the tensor reads of weight heatmaps, delta
// comparisons (diff.compareMany), the loading of whole sources (weights.read, for WeightSources.load), checkpoint arithmetic, imports and exports (weights.combine,
// weights.randomDirection, weights.import store their checkpoints through the task's connection;
// weights.export reads one through it) and reward similarities,
// off the event loop of the process that answers the API. Each task opens its own connection to the
// database file (WAL lets it read and write beside the main connection) and closes it when done.
// The evaluation, report and cluster modules (tfjs among them) load on their first task, so a thread
// that only serves heatmaps starts in a fraction of the time.
import { serveTasks } from '../../jobs/task-thread-worker';
import type { CheckpointRef } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import { openDatabase } from '../../store';
import type { ComputeRequest } from './compute-messages';
import { compareDeltas, loaded } from '../weights/weights-compare';
import { combineCheckpoints, randomDirectionCheckpoint } from '../weights/weights-derive';
import { exportCheckpoint, importModelFile } from '../weights/weights-files';
import { WeightSources, type ReadSource } from '../weights/weights-sources';
import { runHeatmapTaskOn } from '../weights/weights-heatmap-task';

serveTasks<ComputeRequest, unknown>(async (request, progress) => {
  if (request.kind === 'heatmap') return runHeatmapTaskOn(request.a, request.b, request.task);
  if (request.kind === 'weights.read') return readSource(request.ref, request.dbPath);
  if (request.kind === 'diff.compareMany') {
    return compareDeltas(loaded(request.base), request.others.map(loaded), request.partial);
  }
  if (request.kind === 'rewards.similarity') {
    const { computeRewardSimilarity } = await import('../protocol/protocol-similarity');
    const { env, rewards, samples, threshold, seed } = request.params;
    return computeRewardSimilarity(env, rewards, { samples, threshold, seed });
  }
  if (request.kind === 'cluster.status') {
    const [{ workdirStatus }, { readPlan }] = await Promise.all([
      import('../../cluster/status'),
      import('../../cluster/workdir'),
    ]);
    return workdirStatus(request.workdir, readPlan(request.workdir));
  }
  if (request.kind === 'cluster.merge') {
    const { mergeWorkdir } = await import('../../cluster/merge');
    return mergeWorkdir(request.workdir, request.into, (done, total) => progress({ done, total }));
  }
  const evaluation = () => import('../evaluation/evaluation-handlers');
  const db = openDatabase(request.dbPath);
  try {
    switch (request.kind) {
      case 'eval.run': {
        const { runEvaluation } = await evaluation();
        return await runEvaluation(db, request.params, (done, total) => progress({ done, total }));
      }
      case 'episodes.visitation': {
        const { checkpointVisitation } = await evaluation();
        return await checkpointVisitation(db, request.params);
      }
      case 'episodes.scan': {
        const { scanCheckpointEpisodes } = await evaluation();
        return await scanCheckpointEpisodes(db, request.params, (done, total) => progress({ done, total }));
      }
      case 'protocol.report': {
        const { buildProtocolReport } = await import('../protocol/protocol-report');
        return buildProtocolReport(db, request.experimentId);
      }
      case 'protocol.knownAnswerChecks': {
        const { runKnownAnswerChecks } = await import('../protocol/protocol-checks');
        return runKnownAnswerChecks(db, request.params);
      }
      case 'weights.combine':
        return combineCheckpoints(db, new WeightSources(() => db, 0), request.params);
      case 'weights.randomDirection':
        return randomDirectionCheckpoint(db, new WeightSources(() => db, 0), request.params);
      case 'weights.import':
        return await importModelFile(db, request.params);
      case 'weights.export':
        return await exportCheckpoint(db, new WeightSources(() => db, 0), request.params);
      case 'protocol.exportReport': {
        const { writeProtocolReport } = await import('../protocol/protocol-report-writer');
        const { experimentId, path, overwrite } = request.params;
        const { htmlPath, csvPaths } = writeProtocolReport(db, experimentId, path, { overwrite });
        return { htmlPath, csvPaths };
      }
    }
  } finally {
    db.close();
  }
});

/** A source loaded here (its weights in a SharedArrayBuffer the API's thread shares) for WeightSources.load. */
async function readSource(ref: CheckpointRef, dbPath: string | null): Promise<ReadSource> {
  const db = dbPath === null ? null : openDatabase(dbPath, { readOnly: true });
  try {
    const sources = new WeightSources(() => {
      if (db === null) throw new DeltascopeError('NO_DATABASE', 'No database is open.');
      return db;
    }, 0);
    const { side, manifest, weights } = await sources.loadHere(ref);
    return { side, manifest, weights };
  } finally {
    db?.close();
  }
}
