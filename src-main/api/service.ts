import { basename, resolve } from 'node:path';
import { DeltascopeError, type ApiHandlers, type DatabaseInfo, type MetricSeries } from '../shared';
import { createDatabase, openDatabase, openOrCreateDatabase, type DeltascopeDb } from '../store';
import { defaultDatabasePath } from './app-paths';
import { downsampleMinMax } from './downsample';
import type { EventBus } from './event-bus';
import { listDirectory } from './file-browser';
import { RecentFiles } from './recent-files';

export interface ApiServiceOptions {
  appDataDir: string;
  mode: 'electron' | 'browser';
  version: string;
  bus: EventBus;
  /** Name of the tfjs backend when one has been initialised in this process. */
  computeBackend?: () => string | null;
}

/**
 * The main side's implementation of the contract. Holds the one open database; opening another
 * file first checks and opens it, and only then closes the previous one, so a refused file leaves
 * the user where they were.
 */
export class ApiService {
  readonly handlers: ApiHandlers;
  private db: DeltascopeDb | null = null;
  private readonly recent: RecentFiles;
  readonly defaultDatabasePath: string;

  constructor(private readonly options: ApiServiceOptions) {
    this.recent = new RecentFiles(options.appDataDir);
    this.defaultDatabasePath = defaultDatabasePath(options.appDataDir);
    this.handlers = this.createHandlers();
  }

  /** The open database for in-process callers (CLI, jobs); throws NO_DATABASE when none is open. */
  database(): DeltascopeDb {
    if (!this.db) {
      throw new DeltascopeError('NO_DATABASE', 'No database is open. Use File → Open or File → New first.');
    }
    return this.db;
  }

  openPath(path: string, how: 'open' | 'create' | 'default'): DatabaseInfo {
    const absolute = resolve(path);
    const next =
      how === 'create'
        ? createDatabase(absolute)
        : how === 'default'
          ? openOrCreateDatabase(absolute)
          : openDatabase(absolute);
    this.db?.close();
    this.db = next;
    this.recent.add(absolute);
    const info = this.info();
    this.options.bus.emit('db.changed', { info, reason: 'opened' });
    return info;
  }

  close(): void {
    if (!this.db) return;
    this.db.close();
    this.db = null;
    this.options.bus.emit('db.changed', { info: null, reason: 'closed' });
  }

  private info(): DatabaseInfo {
    const db = this.database();
    return db.info(resolve(db.path) === resolve(this.defaultDatabasePath));
  }

  private createHandlers(): ApiHandlers {
    return {
      'app.info': () => ({
        version: this.options.version,
        mode: this.options.mode,
        platform: process.platform,
        defaultDatabasePath: this.defaultDatabasePath,
        computeBackend: this.options.computeBackend?.() ?? null,
      }),
      'db.current': () => (this.db ? this.info() : null),
      'db.open': ({ path }) => this.openPath(path, 'open'),
      'db.create': ({ path }) => this.openPath(path, 'create'),
      'db.openDefault': () => this.openPath(this.defaultDatabasePath, 'default'),
      'db.close': () => {
        this.close();
        return null;
      },
      'db.recent': () => this.recent.list(),
      'db.forgetRecent': ({ path }) => this.recent.remove(path),
      'fs.list': ({ dir }) => listDirectory(dir),
      'runs.tree': () => this.database().tree(),
      'runs.get': ({ runId }) => this.database().runs.getNode(runId),
      'checkpoints.get': ({ checkpointId }) => this.database().checkpoints.get(checkpointId),
      'metrics.keys': ({ runId }) => {
        this.database().runs.get(runId);
        return this.database().metrics.keys(runId);
      },
      'metrics.series': ({ runId, keys, fromStep, toStep, maxPoints }) => {
        const db = this.database();
        db.runs.get(runId);
        const wanted = keys ?? db.metrics.keys(runId);
        return wanted.map((key): MetricSeries => {
          const raw = db.metrics.series(runId, key, { fromStep, toStep });
          return {
            key,
            ...downsampleMinMax(raw.steps, raw.values, maxPoints),
            totalPoints: raw.steps.length,
          };
        });
      },
    };
  }

  /** The recent list, for the native menu. */
  recentFiles(): ReturnType<RecentFiles['list']> {
    return this.recent.list();
  }

  dispose(): void {
    this.db?.close();
    this.db = null;
  }

  get currentFileName(): string | null {
    return this.db ? basename(this.db.path) : null;
  }
}
