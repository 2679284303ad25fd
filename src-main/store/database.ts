import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { guardDatabase, type DatabaseGuard } from '../files';
import type { CheckpointSummary, DatabaseInfo, ExperimentNode, RunNode } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import { ArtifactsRepo } from './artifacts-repo';
import { CheckpointsRepo } from './checkpoints-repo';
import { ExperimentsRepo } from './experiments-repo';
import { connectionReport, type ConnectionReport } from './connection-report';
import { checkFileBeforeWrite } from './file-check';
import { MetricsRepo } from './metrics-repo';
import { copyOwnedRows, type IdRange, type RowCounts } from './row-copy';
import { RunsRepo } from './runs-repo';
import { StoreContext } from './store-context';

/**
 * One open .deltascope file. Obtain it from openDatabase / createDatabase / openOrCreateDatabase,
 * which check and migrate the file first; the constructor only wires the repositories.
 */
export class DeltascopeDb {
  readonly path: string;
  readonly experiments: ExperimentsRepo;
  readonly runs: RunsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly metrics: MetricsRepo;
  readonly artifacts: ArtifactsRepo;
  /** Opened for reading only (see openDatabase's `readOnly`): every write is refused. */
  readonly readOnly: boolean;
  private readonly ctx: StoreContext;
  /** Keeps writers of user-named paths off this file while it is open (src-main/files). */
  private readonly guard: DatabaseGuard;

  private readonly closeConnection: () => void;

  /** `options.close` replaces closing the connection (a read-only connection also removes side files). */
  constructor(db: Database.Database, path: string, options: { readOnly?: boolean; close?: () => void } = {}) {
    this.path = path;
    this.readOnly = options.readOnly === true;
    this.closeConnection = options.close ?? (() => db.close());
    this.guard = guardDatabase(path);
    this.ctx = new StoreContext(db, path, () => this.assertWritable());
    this.experiments = new ExperimentsRepo(this.ctx);
    this.checkpoints = new CheckpointsRepo(this.ctx);
    this.runs = new RunsRepo(this.ctx, this.checkpoints);
    this.metrics = new MetricsRepo(this.ctx);
    this.artifacts = new ArtifactsRepo(this.ctx);
  }

  /**
   * Throws what a write would (opened read-only; the file deleted, moved, replaced or overwritten since
   * it was opened), writing nothing: checked before each write transaction, and before work that a
   * connection of its own will write (an API compute thread).
   */
  assertWritable(): void {
    if (this.readOnly) {
      throw new DeltascopeError(
        'IO_ERROR',
        `${this.path} was opened read-only (for a command that only reads it); it cannot be written.`,
        { path: this.path },
      );
    }
    checkFileBeforeWrite(this.path, this.guard.identity);
  }

  schemaVersion(): number {
    return this.ctx.run(() => this.ctx.db.pragma('user_version', { simple: true }) as number);
  }

  /** Row counts and bytes on disk (the main file plus any WAL not yet folded into it). */
  info(isDefault: boolean): DatabaseInfo {
    const counts = this.ctx.read(
      () =>
        this.ctx
          .statement(
            `SELECT (SELECT COUNT(*) FROM experiments) AS experiments, (SELECT COUNT(*) FROM runs) AS runs,
                    (SELECT COUNT(*) FROM checkpoints) AS checkpoints, (SELECT COUNT(*) FROM metrics) AS metrics,
                    (SELECT COUNT(*) FROM artifacts) AS artifacts`,
          )
          .get() as DatabaseInfo['counts'],
    );
    return {
      path: this.path,
      fileName: basename(this.path),
      schemaVersion: this.schemaVersion(),
      sizeBytes: this.ctx.run(() => statSync(this.path).size + sizeIfExists(`${this.path}-wal`)),
      isDefault,
      counts,
    };
  }

  /** Experiments → runs → checkpoints (metadata only), each level ordered by id, from one snapshot. */
  tree(): ExperimentNode[] {
    return this.ctx.read(() => {
      const checkpointsByRun = groupBy(this.checkpoints.listAll(), (checkpoint) => checkpoint.runId);
      const runs: RunNode[] = this.runs
        .listAll()
        .map((run) => ({ ...run, checkpoints: checkpointsByRun.get(run.id) ?? ([] as CheckpointSummary[]) }));
      const runsByExperiment = groupBy(runs, (run) => run.experimentId);
      return this.experiments
        .list()
        .map((experiment) => ({ ...experiment, runs: runsByExperiment.get(experiment.id) ?? [] }));
    });
  }

  /** Runs `fn` as one write transaction (BEGIN IMMEDIATE); repository writes inside it become savepoints. */
  transaction<T>(fn: () => T): T {
    return this.ctx.write(fn);
  }

  /**
   * Copies the rows another file's writer owns (ids in `range`: runs, checkpoints, artifacts and the
   * rows hanging on them) into this one, keeping their ids; rows already here are kept. See row-copy.ts.
   */
  copyOwnedRowsFrom(sourcePath: string, range: IdRange): RowCounts {
    return this.ctx.run(() => copyOwnedRows(this.ctx.db, sourcePath, range));
  }

  /** What this connection sees of its file (journal mode, highest run id, …), for diagnosing a missing row. */
  connectionReport(): ConnectionReport {
    return connectionReport(this.ctx.db, this.path);
  }

  /** Closes the connection; the last connection to close folds the WAL back into the file. */
  close(): void {
    this.guard.release();
    if (this.ctx.db.open) this.ctx.run(() => this.closeConnection());
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

function sizeIfExists(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
