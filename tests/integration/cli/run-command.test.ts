import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src-main/cli/main';
import { formatProtocolProgress } from '../../../src-main/cli/run-command';
import { PROTOCOL_ARTIFACT_KINDS } from '../../../src-main/protocol';
import { openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { tinyExperiment } from '../jobs/protocol-test-helpers';

const temp = makeTempDir('cli-run');
afterAll(() => temp.cleanup());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function specFile(name: string, spec: unknown): string {
  const path = join(temp.dir, name);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

describe('deltascope run', () => {
  it('explains itself and refuses wrong usage', async () => {
    const help = await cli('run', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('--resume <id>');
    expect((await cli('run', 'x.json')).code).toBe(2);
    expect((await cli('run', '--db', join(temp.dir, 'a.deltascope'))).code).toBe(2);
    expect((await cli('run', '--resume', 'abc', '--db', join(temp.dir, 'a.deltascope'))).code).toBe(2);
  });

  it('names the file and the invalid field of a bad spec', async () => {
    const path = specFile('bad.json', { rbs: [{ name: 'RA', collect: { coin: 1 } }] });
    const result = await cli('run', path, '--db', join(temp.dir, 'bad.deltascope'));
    expect(result.code).toBe(1);
    expect(result.err).toContain('bad.json');
    expect(result.err).toContain('spec.rbs.0.name');
  });

  it('refuses specs that fail later or do not fit in memory, leaving no database behind', async () => {
    const db = join(temp.dir, 'never.deltascope');
    const steps = await cli(
      'run',
      specFile('steps.json', tinyExperiment({ pretrainSteps: 9e15 })),
      '--db',
      db,
    );
    expect(steps.code).toBe(1);
    expect(steps.err).toContain('spec.pretrainSteps: Too big');
    const cost = tinyExperiment({ ra: { name: 'RA', collect: { cheese: 1 }, stepCost: 1e308 } });
    expect((await cli('run', specFile('cost.json', cost), '--db', db)).err).toContain(
      'spec.ra.stepCost: Too big',
    );
    const huge = tinyExperiment({
      ppo: { numEnvs: 4096, numSteps: 8000, numMinibatches: 4096 },
      pretrainSteps: 1e9,
      finetuneSteps: 1e9,
      recoverySteps: 1e9,
    });
    process.env.DELTASCOPE_MEMORY_BUDGET = '8e9'; // the same figures on every machine
    const memory = await cli('run', specFile('huge.json', huge), '--db', db);
    expect(memory.code).toBe(1);
    expect(memory.err).toMatch(
      /spec\.ppo\.numSteps: training needs an estimated 2 trainings at once × \d+\.\d GiB of memory — rollout buffers .* which does not fit the memory budget of 7\.5 GiB \(DELTASCOPE_MEMORY_BUDGET=8e9\)/,
    );
    const train = await cli(
      'train',
      specFile('huge-train.json', { ppo: huge.ppo, totalSteps: 1e9 }),
      '--db',
      db,
    );
    expect(train.code).toBe(1);
    delete process.env.DELTASCOPE_MEMORY_BUDGET;
    expect(train.err).toContain('Invalid training spec: spec.ppo.numSteps: training needs an estimated');
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
    const first = await cli('run', path, '--db', db);
    expect(first.err).toBe(`Created a new database: ${db}`);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Running experiment #1 "cli-small": \d+ nodes \(6 trainings/);
    expect(first.out).toMatch(/Done: experiment #1/);
    expect(first.out).toMatch(/\[#{24}\]\s+100\.0%/);

    const again = await cli('run', '--resume', '1', '--db', db);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/\(0 run now\)/);

    const duplicate = await cli('run', path, '--db', db);
    expect(duplicate.code).toBe(1);
    expect(duplicate.err).toContain('already exists');

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
