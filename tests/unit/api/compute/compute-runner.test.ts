import { describe, expect, it } from 'vitest';
import { ComputeRunner } from '../../../../src-main/api/compute/compute-runner';

describe('ComputeRunner after dispose (the app shutting down)', () => {
  it('refuses new work instead of starting a worker thread nobody would close', async () => {
    const runner = new ComputeRunner({ emit: () => undefined });
    await runner.dispose();
    await expect(runner.quick({ kind: 'unknown' } as never, 'a heatmap')).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(() => runner.task({ kind: 'unknown' } as never, 'an import')).toThrow(/shutting down/);
    expect(() => runner.warmQuick()).not.toThrow();
  });
});
