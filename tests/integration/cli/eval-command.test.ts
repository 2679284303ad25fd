import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationRecord } from '../../../src-main/shared/contract-evaluation';
import { openDatabase } from '../../../src-main/store';
import { writeEvaluationDatabase, type EvaluationDatabase } from '../../fixtures/evaluation-db';
import { deltascope } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('cli-eval');
let dbPath: string;
let fixture: EvaluationDatabase;

function evaluationCount(): number {
  const db = openDatabase(dbPath);
  try {
    return db.artifacts.list().filter((a) => a.kind === 'evaluation').length;
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dbPath = join(temp.dir, 'eval.deltascope');
  fixture = writeEvaluationDatabase(dbPath);
});
afterAll(() => temp.cleanup());

describe('deltascope eval', () => {
  it('is listed in the commands and has --help', async () => {
    expect((await deltascope('--help')).stdout).toMatch(/eval\s+evaluate a checkpoint on held-out mazes/);
    const { code, stdout } = await deltascope('eval', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: deltascope eval <checkpointId> --db <file.deltascope>');
  });

  it('prints a table of rewards and kinds and stores the evaluation', async () => {
    const { code, stdout, stderr } = await deltascope(
      'eval',
      String(fixture.trainedCheckpointId),
      '--db',
      dbPath,
      '--episodes',
      '40',
      '--policy',
      'sampled',
      '--seed',
      '3',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/40 episodes, sampled policy, seed 3/);
    expect(stdout).toMatch(/reward\s+mean return \[95% CI\]\s+success \[95% CI\]/);
    expect(stdout).toMatch(
      /RA \(trained\)\s+\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]\s+\d\.\d{2} \[\d\.\d{2}, \d\.\d{2}\]/,
    );
    expect(stdout).toMatch(/^coin\s+\d\.\d{3} \[/m);
    expect(stdout).toMatch(/kind\s+P\(collect\) \[95% CI\]\s+mean steps to collect/);
    expect(stdout).toMatch(/^cheese\s+\d\.\d{2} \[/m);
    expect(stdout).toMatch(/saved as evaluation \d+/);
    expect(evaluationCount()).toBe(1);
  });

  it('--json prints the record; --no-save leaves the database unchanged', async () => {
    const { code, stdout } = await deltascope(
      'eval',
      String(fixture.legacyCheckpointId),
      '--db',
      dbPath,
      '--episodes',
      '16',
      '--setup',
      '{"env":{"size":7},"rewards":[{"name":"RA","collect":{"cheese":1}},{"name":"coin","collect":{"coin":1}}]}',
      '--no-save',
      '--json',
    );
    expect(code).toBe(0);
    const record = JSON.parse(stdout) as EvaluationRecord;
    expect(record.id).toBeNull();
    expect(record.result.episodes).toBe(16);
    expect(record.result.rewards.map((r) => r.name)).toEqual(['RA', 'coin']);
    expect(evaluationCount()).toBe(1);
  });

  it('fails on stderr with exit 1 when the run config lacks the env, and exit 2 on usage mistakes', async () => {
    const missing = await deltascope('eval', String(fixture.legacyCheckpointId), '--db', dbPath);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no `env` in its config.*--setup/);
    expect((await deltascope('eval', String(fixture.trainedCheckpointId))).code).toBe(2);
    expect((await deltascope('eval', 'first', '--db', dbPath)).code).toBe(2);
    expect((await deltascope('eval', '1', '--db', dbPath, '--policy', 'random')).code).toBe(2);
    expect((await deltascope('eval', '99', '--db', dbPath)).stderr).toMatch(/99/);
  });

  it('runs as a process: table on stdout, errors on stderr with a non-zero exit', async () => {
    const run = promisify(execFile);
    const cli = [resolve('node_modules/tsx/dist/cli.mjs'), resolve('src-main/cli/index.ts'), 'eval'];
    const ok = await run(process.execPath, [
      ...cli,
      String(fixture.trainedCheckpointId),
      '--db',
      dbPath,
      '--episodes',
      '8',
      '--no-save',
    ]);
    expect(ok.stdout).toMatch(/^RA \(trained\)/m);
    const failed = await run(process.execPath, [...cli, '12345', '--db', dbPath]).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toMatch(/checkpoint.*12345|12345/);
  });
});
