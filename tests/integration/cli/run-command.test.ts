import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProtocolProgress } from '../../../src-main/cli/run-command';
import { PROTOCOL_ARTIFACT_KINDS } from '../../../src-main/protocol';
import { openDatabase } from '../../../src-main/store';
import { deltascope } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import { tinyExperiment } from '../jobs/protocol-test-helpers';

const temp = makeTempDir('cli-run');
afterAll(() => temp.cleanup());

function specFile(name: string, spec: unknown): string {
  const path = join(temp.dir, name);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

describe('deltascope run', () => {
  it('explains itself and refuses wrong usage', async () => {
    const help = await deltascope('run', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--resume <id>');
    expect((await deltascope('run', 'x.json')).code).toBe(2);
    expect((await deltascope('run', '--db', join(temp.dir, 'a.deltascope'))).code).toBe(2);
    expect((await deltascope('run', '--resume', 'abc', '--db', join(temp.dir, 'a.deltascope'))).code).toBe(2);
  });

  it('names the file and the invalid field of a bad spec', async () => {
    const path = specFile('bad.json', { rbs: [{ name: 'RA', collect: { coin: 1 } }] });
    const result = await deltascope('run', path, '--db', join(temp.dir, 'bad.deltascope'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad.json');
    expect(result.stderr).toContain('spec.rbs.0.name');
  });

  it('refuses specs that fail later or do not fit in memory, leaving no database behind', async () => {
    const db = join(temp.dir, 'never.deltascope');
    const steps = await deltascope(
      'run',
      specFile('steps.json', tinyExperiment({ pretrainSteps: 9e15 })),
      '--db',
      db,
    );
    expect(steps.code).toBe(1);
    expect(steps.stderr).toContain('spec.pretrainSteps: Too big');
    const cost = tinyExperiment({ ra: { name: 'RA', collect: { cheese: 1 }, stepCost: 1e308 } });
    expect((await deltascope('run', specFile('cost.json', cost), '--db', db)).stderr).toContain(
      'spec.ra.stepCost: Too big',
    );
    const huge = tinyExperiment({
      ppo: { numEnvs: 4096, numSteps: 8000, numMinibatches: 4096 },
      pretrainSteps: 1e9,
      finetuneSteps: 1e9,
      recoverySteps: 1e9,
    });
    process.env.DELTASCOPE_MEMORY_BUDGET = '8e9'; // the same figures on every machine
    const memory = await deltascope('run', specFile('huge.json', huge), '--db', db);
    expect(memory.code).toBe(1);
    expect(memory.stderr).toMatch(
      /spec\.ppo\.numSteps: training needs an estimated 2 trainings at once × \d+\.\d GiB of memory — rollout buffers .* which does not fit the memory budget of 7\.5 GiB \(DELTASCOPE_MEMORY_BUDGET=8e9\)/,
    );
    const train = await deltascope(
      'train',
      specFile('huge-train.json', { ppo: huge.ppo, totalSteps: 1e9 }),
      '--db',
      db,
    );
    expect(train.code).toBe(1);
    delete process.env.DELTASCOPE_MEMORY_BUDGET;
    expect(train.stderr).toContain('Invalid training spec: spec.ppo.numSteps: training needs an estimated');
    expect(existsSync(db)).toBe(false);
  });

  it('runs a small experiment to the end, and a resume of a finished one does nothing', async () => {
    const db = join(temp.dir, 'run.deltascope');
    const path = specFile(
      'small.json',
      tinyExperiment({
        name: 'cli-small',
        rbs: [{ name: 'coin', collect: { coin: 1 } }],
        nullControls: 0,
        aggregators: ['mean'],
        alphas: [1],
      }),
    );
    const first = await deltascope('run', path, '--db', db);
    expect(first.stderr).toBe(`Created a new database: ${db}`);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Running experiment #1 "cli-small": \d+ nodes \(6 trainings/);
    expect(first.stdout).toMatch(/Done: experiment #1/);
    expect(first.stdout).toMatch(/\[#{24}\]\s+100\.0%/);

    const again = await deltascope('run', '--resume', '1', '--db', db);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\(0 run now\)/);

    const duplicate = await deltascope('run', path, '--db', db);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already exists');

    const store = openDatabase(db);
    try {
      const kinds = new Set(store.artifacts.list(1).map((a) => a.kind));
      for (const kind of [
        PROTOCOL_ARTIFACT_KINDS.updateSignals,
        PROTOCOL_ARTIFACT_KINDS.negation,
        PROTOCOL_ARTIFACT_KINDS.superposition,
      ]) {
        expect(kinds.has(kind), kind).toBe(true);
      }
    } finally {
      store.close();
    }
  }, 120_000);

  it('draws nodes done, %, ETA and the running and failed counts', () => {
    const line = formatProtocolProgress({
      jobId: 'protocol-1',
      label: 'p',
      done: 10,
      total: 40,
      unit: 'nodes',
      ratePerSecond: 0.5,
      etaSeconds: 60,
      latest: { 'protocol/running': 2, 'protocol/failed': 1 },
    });
    expect(line).toBe('[######------------------]   25.0%  10/40 nodes  ETA 1:00  running 2  failed 1');
  });
});
