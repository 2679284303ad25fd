import { describe, expect, it } from 'vitest';
import { expectStoreError, makeRun, storeDb } from './store-test-helpers';

const { db, path } = storeDb('store-metrics', 'metrics.deltascope');

/** Deterministic shuffle (LCG-driven Fisher–Yates) so rows arrive out of step order. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let state = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('metrics', () => {
  it('returns 100 000 rows written out of order as an exact series in step order', () => {
    const runId = makeRun(db, 'hundred-k');
    const steps = Array.from({ length: 100_000 }, (_, i) => i * 128);
    const valueAt = (step: number) => Math.sin(step * 1e-3) * 1e6 + step / 7;
    const rows = shuffled(steps).map((step) => ({
      step,
      key: 'charts/episodic_return',
      value: valueAt(step),
    }));
    for (let start = 0; start < rows.length; start += 25_000)
      db.metrics.append(runId, rows.slice(start, start + 25_000));

    const series = db.metrics.series(runId, 'charts/episodic_return');
    expect(series.steps.length).toBe(100_000);
    expect(Buffer.from(series.steps.buffer).equals(Buffer.from(Float64Array.from(steps).buffer))).toBe(true);
    expect(
      Buffer.from(series.values.buffer).equals(Buffer.from(Float64Array.from(steps, valueAt).buffer)),
    ).toBe(true);
    expect(db.metrics.count(runId)).toBe(100_000);
  });

  it('reads an inclusive step range', () => {
    const runId = makeRun(db, 'range');
    db.metrics.append(
      runId,
      [0, 10, 20, 30, 40].map((step) => ({ step, key: 'losses/entropy', value: step / 10 })),
    );
    const series = db.metrics.series(runId, 'losses/entropy', { fromStep: 10, toStep: 30 });
    expect(Array.from(series.steps)).toEqual([10, 20, 30]);
    expect(Array.from(series.values)).toEqual([1, 2, 3]);
    expect(Array.from(db.metrics.series(runId, 'losses/entropy', { fromStep: 35 }).steps)).toEqual([40]);
    expect(db.metrics.series(runId, 'no/such_key').steps.length).toBe(0);
  });

  it('replaces the value when the same run, key and step is written again', () => {
    const runId = makeRun(db, 'rewrite');
    db.metrics.append(runId, [{ step: 2048, key: 'charts/success', value: 0.25 }]);
    db.metrics.append(runId, [{ step: 2048, key: 'charts/success', value: 0.75 }]);
    expect(Array.from(db.metrics.series(runId, 'charts/success').values)).toEqual([0.75]);
    expect(db.metrics.count(runId)).toBe(1);
  });

  it('keeps NaN and infinities', () => {
    const runId = makeRun(db, 'non-finite');
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5];
    db.metrics.append(
      runId,
      values.map((value, step) => ({ step, key: 'losses/value_loss', value })),
    );
    expect(Array.from(db.metrics.series(runId, 'losses/value_loss').values)).toEqual(values);
  });

  it('lists the distinct keys of a run in sorted order, and counts rows per run and in total', () => {
    const runId = makeRun(db, 'keys');
    const keys = ['losses/value_loss', 'charts/success', 'charts/episodic_return', 'losses/entropy'];
    db.metrics.append(
      runId,
      keys.flatMap((key) => [1, 2, 3].map((step) => ({ step, key, value: step }))),
    );
    expect(db.metrics.keys(runId)).toEqual([...keys].sort());
    expect(db.metrics.count(runId)).toBe(12);
    expect(db.metrics.count()).toBe(db.info(false).counts.metrics);
    expect(db.metrics.keys(makeRun(db, 'silent'))).toEqual([]);
  });

  it('writes nothing from a batch that names an unknown run or holds a bad row', () => {
    const runId = makeRun(db, 'refusals');
    const before = db.metrics.count();
    expectStoreError(
      () => db.metrics.append(777, [{ step: 1, key: 'charts/success', value: 1 }]),
      'NOT_FOUND',
      path,
      /no run 777/,
    );
    const rows = [
      { step: 1, key: 'charts/success', value: 1 },
      { step: 1.5, key: 'charts/success', value: 1 },
    ];
    expect(() => db.metrics.append(runId, rows)).toThrow(/metric row 1 has step 1.5/);
    expect(db.metrics.count()).toBe(before);
  });

  it('reads the last logged value of a key, skipping NaN (stored as NULL), or null when never logged', () => {
    const runId = makeRun(db, 'last');
    db.metrics.append(runId, [
      { step: 30, key: 'charts/success', value: 0.5 },
      { step: 10, key: 'charts/success', value: 0.1 },
      { step: 40, key: 'charts/success', value: Number.NaN },
    ]);
    expect(db.metrics.last(runId, 'charts/success')).toEqual({ step: 30, value: 0.5 });
    expect(db.metrics.last(runId, 'charts/episodic_return')).toBeNull();
  });
});
