import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/store';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { DELTASCOPE_BIN as bin, deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import { integrityCheck, tinySpec } from './jobs-test-helpers';

const temp = makeTempDir('jobs-cli');

// The CLI runs the bundle in out/main; rebuild it when the sources are newer.
beforeAll(async () => {
  await ensureFreshBundle(['cli.cjs', 'worker.cjs']);
});
afterAll(() => temp.cleanup());

const deltascope = deltascopeProcess({ home: temp.dir });

function writeSpec(name: string, spec: unknown): string {
  const path = join(temp.dir, name);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}

describe('deltascope train', () => {
  it('explains itself with --help', async () => {
    const { code, stdout } = await deltascope('train', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: deltascope train <spec.json> --db <file.deltascope>');
    expect(stdout).toContain('--resume <runId>');
    expect((await deltascope('--help')).stdout).toMatch(/train\s+train a policy/);
  });

  it('trains the example tiny spec into a new database: a run with metrics and a final checkpoint', async () => {
    const dbPath = join(temp.dir, 'tiny.deltascope');
    const { code, stdout, stderr } = await deltascope(
      'train',
      'resources/training/tiny-5x5.json',
      '--db',
      dbPath,
    );
    expect(stderr).toBe(`Created a new database: ${dbPath}\n`);
    expect(code).toBe(0);
    expect(stdout).toContain('Training run #1 "tiny-5x5" of experiment "tiny-smoke"');
    // Not a TTY: plain progress lines, the last one complete.
    expect(stdout).toMatch(/100\.0% {2}4,096\/4,096 steps .* steps\/s {2}ETA 0:00/);
    expect(stdout).toMatch(
      /Done: run #1, 4,096 env steps on (node-gpu|node|cpu|wasm(\+[\w .+-]+)?), last checkpoint #\d+\./,
    );

    const db = openDatabase(dbPath);
    try {
      const run = db.runs.getNode(1);
      expect(run).toMatchObject({ name: 'tiny-5x5', phase: 'pretrain', status: 'done', seed: 1 });
      expect(run.backend).not.toBeNull();
      expect(run.checkpoints.map((c) => c.step)).toEqual([0, 1024, 2048, 3072, 4096]);
      expect(run.checkpoints.at(-1)!.label).toBe('final');
      expect(db.metrics.keys(1)).toEqual(
        expect.arrayContaining([
          'charts/episodic_return/RA',
          'charts/episodic_return/RB',
          'charts/success/RB',
          'losses/value_loss',
        ]),
      );
      expect(db.metrics.series(1, 'losses/value_loss').steps).toHaveLength(16);
    } finally {
      db.close();
    }
  });

  it('fails on stderr with exit 1 for an invalid spec, naming the field, and writes no run', async () => {
    const dbPath = join(temp.dir, 'invalid.deltascope');
    const specPath = writeSpec('invalid.json', { ...tinySpec(), trainReward: 'RC' });
    const { code, stdout, stderr } = await deltascope('train', specPath, '--db', dbPath);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `${specPath}: Invalid training spec: spec.trainReward: "RC" is not one of the rewards (RA, RB)`,
    );
    expect(existsSync(dbPath)).toBe(false);
    expect((await deltascope('train', specPath)).code).toBe(2);
  });

  it('cancels cleanly on Ctrl+C (run cancelled, last checkpoint kept) and continues with --resume', async () => {
    const dbPath = join(temp.dir, 'interrupted.deltascope');
    const total = 256 * 256;
    const specPath = writeSpec(
      'long.json',
      tinySpec({
        run: 'long',
        totalSteps: total,
        checkpointEvery: 4096,
        ppo: { numEnvs: 8, numSteps: 32, numMinibatches: 4, updateEpochs: 1 },
      }),
    );
    const child = spawn(process.execPath, [bin, 'train', specPath, '--db', dbPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    await new Promise<void>((resolveFirstLine) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('steps/s')) resolveFirstLine();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('Cancelling: writing a last checkpoint');
    expect(stdout).toMatch(/Cancelled: run #1 at step [\d,]+, last checkpoint #\d+\./);
    expect(stdout).toContain(`Continue with: deltascope train --resume 1 --db ${dbPath}`);
    expect(integrityCheck(dbPath)).toBe('ok');
    const db = openDatabase(dbPath);
    const cancelled = db.runs.get(1);
    db.close();
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.lastStep).toBeGreaterThan(0);
    expect(cancelled.lastStep).toBeLessThan(total);

    const resumed = await deltascope('train', '--resume', '1', '--db', dbPath);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(
      `Resuming run #1 "long" of experiment "jobs-tests" from step ${cancelled.lastStep!.toLocaleString('en-US')}`,
    );
    expect(resumed.stdout).toMatch(/Done: run #1, 65,536 env steps/);
  });
});
