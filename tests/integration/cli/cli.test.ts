import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleDatabase } from '../../fixtures/sample-db';
import { deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('cli');
let dbPath: string;

const deltascope = deltascopeProcess({ home: temp.dir });

beforeAll(() => {
  dbPath = join(temp.dir, 'sample.deltascope');
  writeSampleDatabase(dbPath);
});
afterAll(() => temp.cleanup());

describe('deltascope CLI', () => {
  it('lists its commands with --help', async () => {
    const { code, stdout } = await deltascope('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/info\s+show what a database holds/);
    expect(stdout).toMatch(/serve/);
  });

  it('info --help explains the command', async () => {
    const { code, stdout } = await deltascope('info', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: deltascope info <file.deltascope> [--json]');
  });

  it('info prints the experiments and runs as text', async () => {
    const { code, stdout } = await deltascope('info', dbPath);
    expect(code).toBe(0);
    expect(stdout).toContain('maze-cheese-demo');
    expect(stdout).toMatch(/\[pretrain\] reward RA/);
  });

  it('info --json prints one parseable object', async () => {
    const { code, stdout } = await deltascope('info', dbPath, '--json');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as {
      counts: { runs: number };
      experiments: { name: string; runs: unknown[] }[];
    };
    expect(parsed.counts.runs).toBeGreaterThanOrEqual(4);
    expect(parsed.experiments.find((e) => e.name === 'maze-cheese-demo')?.runs.length).toBe(
      parsed.counts.runs,
    );
  });

  it('fails with a message on stderr and exit 1 for a file that is not a database, leaving it untouched', async () => {
    const notes = join(temp.dir, 'notes.txt');
    writeFileSync(notes, 'not a database');
    const before = createHash('sha256').update(readFileSync(notes)).digest('hex');
    const { code, stderr, stdout } = await deltascope('info', notes);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(notes);
    expect(createHash('sha256').update(readFileSync(notes)).digest('hex')).toBe(before);
  });

  it('exits 2 on a usage mistake', async () => {
    expect((await deltascope('info')).code).toBe(2);
    expect((await deltascope('info', dbPath, '--bogus')).code).toBe(2);
    expect((await deltascope('frobnicate')).code).toBe(2);
  });
});
