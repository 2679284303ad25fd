// Entry of the API's compute worker thread (bundled to out/main/compute-worker.cjs): evaluations,
// visitation heatmaps, first reports (which compute and store the report baseline), report exports and
// work-folder status/merges (src-main/cluster),
// off the event loop of the process that answers the API. Each task opens its own connection to the
// database file (WAL lets it read and write beside the main connection) and closes it when done.
import { mergeWorkdir } from '../../cluster/merge';
import { workdirStatus } from '../../cluster/status';
import { readPlan } from '../../cluster/workdir';
import { serveTasks } from '../../jobs/task-thread-worker';
import { openDatabase } from '../../store';
import type { ComputeRequest } from './compute-messages';
import {
  checkpointVisitation,
  runEvaluation,
  scanCheckpointEpisodes,
} from '../evaluation/evaluation-handlers';
import { runKnownAnswerChecks } from '../protocol/protocol-checks';
import { buildProtocolReport } from '../protocol/protocol-report';
import { writeProtocolReport } from '../protocol/protocol-report-writer';

serveTasks<ComputeRequest, unknown>(async (request, progress) => {
  if (request.kind === 'cluster.status') {
    return workdirStatus(request.workdir, readPlan(request.workdir));
  }
  if (request.kind === 'cluster.merge') {
    return mergeWorkdir(request.workdir, request.into, (done, total) => progress({ done, total }));
  }
  const db = openDatabase(request.dbPath);
  try {
    switch (request.kind) {
      case 'eval.run':
        return await runEvaluation(db, request.params, (done, total) => progress({ done, total }));
      case 'episodes.visitation':
        return await checkpointVisitation(db, request.params);
      case 'episodes.scan':
        return await scanCheckpointEpisodes(db, request.params, (done, total) => progress({ done, total }));
      case 'protocol.report':
        return buildProtocolReport(db, request.experimentId);
      case 'protocol.knownAnswerChecks':
        return runKnownAnswerChecks(db, request.params);
      case 'protocol.exportReport': {
        const { experimentId, path, overwrite } = request.params;
        const { htmlPath, csvPaths } = writeProtocolReport(db, experimentId, path, { overwrite });
        return { htmlPath, csvPaths };
      }
    }
  } finally {
    db.close();
  }
});
