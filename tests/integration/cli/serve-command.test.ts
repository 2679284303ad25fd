import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/store';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('cli-serve');
const serveEntry = join(resolve('.'), 'out/main/serve.cjs');

beforeAll(async () => {
  await ensureFreshBundle(['serve.cjs']);
}, 120_000);
afterAll(() => temp.cleanup());

/** Runs `serve --db <db> --port 0` until it says it is serving (or exits); returns its output and exit code. */
function serveUntilReady(db: string): Promise<{ output: string; code: number | null }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [serveEntry, '--db', db, '--port', '0'], {
      env: { ...process.env, DELTASCOPE_HOME: temp.dir },
    });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('is serving')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolvePromise({ output, code }));
  });
}

describe('deltascope serve --db', () => {
  it('creates a new database when the file does not exist yet, and says so', async () => {
    const db = join(temp.dir, 'new-runs.deltascope');
    const { output } = await serveUntilReady(db);
    expect(output).toContain(`Created a new database: ${db}`);
    expect(output).toMatch(/is serving http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(existsSync(db)).toBe(true);
    const opened = openDatabase(db);
    try {
      expect(opened.info(false).counts.runs).toBe(0);
    } finally {
      opened.close();
    }
  }, 60_000);

  it('refuses an existing file that is not a database and leaves it untouched', async () => {
    const notes = join(temp.dir, 'notes.deltascope');
    writeFileSync(notes, 'These are notes, not a database.\n');
    const { output, code } = await serveUntilReady(notes);
    expect(code).not.toBe(0);
    expect(output).not.toContain('is serving');
    expect(output).toContain(notes);
    expect(readFileSync(notes, 'utf8')).toBe('These are notes, not a database.\n');
    expect(existsSync(`${notes}-wal`)).toBe(false);
  }, 60_000);
});
