import { describe, expect, it } from 'vitest';
import { seriesToCsv } from '../../../../src-renderer/charts/series-csv';

describe('seriesToCsv', () => {
  it('joins series on step with one column per key and blanks where a key has no value', () => {
    const csv = seriesToCsv([
      { key: 'charts/episodic_return', steps: [0, 100, 200], values: [1, 2, 3], totalPoints: 3 },
      { key: 'losses/value_loss', steps: [100, 300], values: [0.5, 0.25], totalPoints: 2 },
    ]);
    expect(csv).toBe('step,charts/episodic_return,losses/value_loss\n0,1,\n100,2,0.5\n200,3,\n300,,0.25\n');
  });

  it('quotes keys that contain commas or quotes', () => {
    const csv = seriesToCsv([{ key: 'a,"b"', steps: [1], values: [2], totalPoints: 1 }]);
    expect(csv.split('\n')[0]).toBe('step,"a,""b"""');
  });

  it('writes a NaN or infinite reading as a blank', () => {
    const csv = seriesToCsv([{ key: 'loss', steps: [1, 2], values: [Number.NaN, Infinity], totalPoints: 2 }]);
    expect(csv).toBe('step,loss\n1,\n2,\n');
  });

  it('rejects a series whose steps and values differ in length, naming the key', () => {
    expect(() => seriesToCsv([{ key: 'k', steps: [1, 2], values: [1], totalPoints: 2 }])).toThrow(
      /"k" has 2 steps but 1 values/,
    );
  });
});
