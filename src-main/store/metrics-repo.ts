import { DeltascopeError } from '../shared/errors';
import { requireId, requireRow, requireText } from './row-checks';
import type { StoreContext } from './store-context';

export interface MetricRow {
  step: number;
  key: string;
  value: number;
}

export interface StepRange {
  /** Inclusive; defaults to the first step. */
  fromStep?: number;
  /** Inclusive; defaults to the last step. */
  toStep?: number;
}

// Skip-scan over the (run_id, key, step) primary key: one index seek per distinct key instead of
// reading every row of the run.
const DISTINCT_KEYS = `
  WITH RECURSIVE k(key) AS (
    SELECT (SELECT MIN(key) FROM metrics WHERE run_id = @runId)
    UNION ALL
    SELECT (SELECT MIN(key) FROM metrics WHERE run_id = @runId AND key > k.key) FROM k WHERE k.key IS NOT NULL
  )
  SELECT key FROM k WHERE key IS NOT NULL`;

/**
 * The `metrics` table: (run, key, step) → value, clustered by that key (WITHOUT ROWID) so a series
 * is one contiguous range read. Writing an existing (run, key, step) replaces its value.
 * SQLite has no NaN: NaN is stored as NULL and read back as NaN.
 */
export class MetricsRepo {
  constructor(private readonly ctx: StoreContext) {}

  /** Writes all rows in one transaction. */
  append(runId: number, rows: readonly MetricRow[]): void {
    requireId(runId, 'metrics runId');
    if (!Array.isArray(rows)) throw new DeltascopeError('INVALID_PAYLOAD', 'metric rows must be an array.');
    rows.forEach(checkRow);
    const insert = this.ctx.statement(
      `INSERT INTO metrics (run_id, key, step, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value`,
    );
    this.ctx.write(() => {
      requireRow(this.ctx, 'run', runId);
      for (const row of rows) insert.run(runId, row.key, row.step, row.value);
    });
  }

  /** The distinct keys logged for a run, sorted. */
  keys(runId: number): string[] {
    requireId(runId, 'run id');
    return this.ctx.run(() => this.ctx.statement(DISTINCT_KEYS).pluck().all({ runId }) as string[]);
  }

  /** Rows of one run, or of the whole file when no run is given. */
  count(runId?: number): number {
    if (runId === undefined) {
      return this.ctx.run(() => this.ctx.statement('SELECT COUNT(*) FROM metrics').pluck().get() as number);
    }
    requireId(runId, 'run id');
    return this.ctx.run(
      () => this.ctx.statement('SELECT COUNT(*) FROM metrics WHERE run_id = ?').pluck().get(runId) as number,
    );
  }

  /** The last (highest-step) non-null value of one key, or null when the run has none. */
  last(runId: number, key: string): { step: number; value: number } | null {
    requireId(runId, 'run id');
    requireText(key, 'metric key');
    const row = this.ctx.run(
      () =>
        this.ctx
          .statement(
            'SELECT step, value FROM metrics WHERE run_id = ? AND key = ? AND value IS NOT NULL ORDER BY step DESC LIMIT 1',
          )
          .get(runId, key) as { step: number; value: number } | undefined,
    );
    return row ?? null;
  }

  /** One key's values in step order, within the inclusive step range. */
  series(runId: number, key: string, range: StepRange = {}): { steps: Float64Array; values: Float64Array } {
    requireId(runId, 'run id');
    requireText(key, 'metric key');
    const fromStep = range.fromStep ?? Number.MIN_SAFE_INTEGER;
    const toStep = range.toStep ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isFinite(fromStep) || !Number.isFinite(toStep)) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `metric step range must be finite, got [${fromStep}, ${toStep}].`,
      );
    }
    const rows = this.ctx.run(
      () =>
        this.ctx
          .statement(
            'SELECT step, value FROM metrics WHERE run_id = ? AND key = ? AND step BETWEEN ? AND ? ORDER BY step',
          )
          .raw()
          .all(runId, key, fromStep, toStep) as [number, number | null][],
    );
    const steps = new Float64Array(rows.length);
    const values = new Float64Array(rows.length);
    rows.forEach(([step, value], i) => {
      steps[i] = step;
      values[i] = value ?? Number.NaN;
    });
    return { steps, values };
  }
}

function checkRow(row: MetricRow, index: number): void {
  if (typeof row !== 'object' || row === null) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `metric row ${index} must be an object { step, key, value }.`,
    );
  }
  if (!Number.isSafeInteger(row.step)) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `metric row ${index} has step ${String(row.step)}; steps are integers.`,
    );
  }
  if (typeof row.key !== 'string' || row.key.length === 0) {
    throw new DeltascopeError('INVALID_PAYLOAD', `metric row ${index} needs a non-empty key.`);
  }
  if (typeof row.value !== 'number') {
    throw new DeltascopeError('INVALID_PAYLOAD', `metric row ${index} (${row.key}) has a non-numeric value.`);
  }
}
