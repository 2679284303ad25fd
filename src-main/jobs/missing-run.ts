import { DeltascopeError, type ErrorPayload } from '../shared/errors';
import type { ConnectionReport, DeltascopeDb } from '../store';

/**
 * A training worker is only ever started for a run the job queue has just created (or found) and
 * committed, so a worker that cannot find its run is looking at another file, or at a state of the
 * file without that commit — not at a missing row. These turn the store's bare "There is no run N
 * in <path>" into an error that says which process looked, what its connection sees and whether the
 * queue, looking again, sees the run: what is needed to tell those cases apart afterwards.
 */

/** Whether `error` (thrown, or a payload from a worker) is the store's NOT_FOUND for run `runId`. */
export function isMissingRun(error: unknown, runId: number): boolean {
  const payload = error instanceof DeltascopeError ? error.toPayload() : (error as Partial<ErrorPayload>);
  return (
    typeof payload === 'object' &&
    payload !== null &&
    payload.code === 'NOT_FOUND' &&
    payload.details?.kind === 'run' &&
    payload.details.id === runId
  );
}

export interface RunLookup {
  runId: number;
  /** Who looked, e.g. "training worker pid 4242 (job-3, started by pid 4100)". */
  lookedUpBy: string;
  /** When the connection that looked was opened (performance.now()). */
  openedAt: number;
}

/** `error` itself, unless it is NOT_FOUND for the run looked up: then the same error naming more. */
export function explainMissingRun(error: unknown, db: DeltascopeDb, lookup: RunLookup): unknown {
  if (!isMissingRun(error, lookup.runId)) return error;
  const report = db.connectionReport();
  const ageMs = Math.round(performance.now() - lookup.openedAt);
  return new DeltascopeError(
    'NOT_FOUND',
    `There is no run ${lookup.runId} in ${report.path} as seen by the ${lookup.lookedUpBy}, though the ` +
      `job queue found or created it there before starting this worker. That worker's connection (opened ` +
      `${ageMs} ms before the lookup) ${describeView(report)}.`,
    {
      kind: 'run',
      id: lookup.runId,
      lookedUpBy: lookup.lookedUpBy,
      connectionAgeMs: ageMs,
      ...report,
    },
  );
}

/**
 * What the queue's own connection sees of the run a worker could not find, for the job's message:
 * whether the run is there after all (a visibility problem) or missing here too (a lost write).
 */
export function describeQueueView(db: DeltascopeDb, runId: number): string {
  const report = db.connectionReport();
  let run: string;
  try {
    run = `sees run ${runId} (status ${db.runs.get(runId).status})`;
  } catch {
    run = `does not see run ${runId} either`;
  }
  return `The job queue (pid ${process.pid}), reopening ${report.path} after the worker failed, ${run}; its connection ${describeView(report)}.`;
}

function describeView(report: ConnectionReport): string {
  const highest =
    report.highestRunId === null
      ? 'could not read the runs table'
      : report.highestRunId === 0
        ? 'sees no run at all'
        : `sees runs up to #${report.highestRunId}`;
  const mode =
    report.journalMode === null
      ? 'journal mode unknown'
      : report.journalMode === 'wal'
        ? 'WAL mode'
        : `journal mode ${report.journalMode}, not WAL`;
  const wal = report.walBytes === null ? 'no -wal file' : `-wal ${report.walBytes} bytes`;
  return `${highest}, in ${mode} (file ${report.file ?? 'gone from that path'}, ${wal})`;
}
