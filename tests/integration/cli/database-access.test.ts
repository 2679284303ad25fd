import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { tensorMapFromTensors, writeSafetensors } from '../../../src-main/weights';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { DELTASCOPE_BIN as bin, deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import { baseTensors, putBaseCheckpoint } from '../api/weights-test-helpers';

const temp = makeTempDir('cli-db-access');
let model: string;

const deltascope = deltascopeProcess({ home: temp.dir, cwd: temp.dir });

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A database with one checkpoint in `dir`, closed (its WAL folded back, no side files). */
function databaseIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'd.deltascope');
  const db = createDatabase(path);
  putBaseCheckpoint(db, 'e');
  db.close();
  return path;
}

/** Root ignores file modes, so read-only media are made with a read-only bind mount in a mount namespace. */
function canMountReadOnly(): boolean {
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', `mount --bind -o ro ${temp.dir} ${temp.dir}`], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  model = join(temp.dir, 'agent.safetensors');
  writeFileSync(model, writeSafetensors(tensorMapFromTensors(baseTensors())));
  await ensureFreshBundle(['cli.cjs']);
});
afterAll(() => temp.cleanup());

describe('how commands open their database', () => {
  it('import creates a database that does not exist yet and says so on stderr', async () => {
    const created = await deltascope('import', model, '--db', 'new.deltascope');
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`Created a new database: ${join(temp.dir, 'new.deltascope')}`);
    const db = openDatabase(join(temp.dir, 'new.deltascope'));
    try {
      expect(db.checkpoints.get(Number(created.stdout.trim())).label).toBe('agent.safetensors');
    } finally {
      db.close();
    }
    const again = await deltascope('import', model, '--db', 'new.deltascope');
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('Created');

    writeFileSync(join(temp.dir, 'broken.safetensors'), 'not a model');
    const refused = await deltascope('import', 'broken.safetensors', '--db', 'never.deltascope');
    expect(refused.code).toBe(1);
    expect(readdirSync(temp.dir).filter((name) => name.startsWith('never'))).toEqual([]);
  });

  it('info leaves a rollback-journal database byte-identical, with no -wal or -shm', async () => {
    const path = databaseIn(join(temp.dir, 'journal'));
    const raw = new Database(path);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const before = sha256(path);
    const info = await deltascope('info', path, '--json');
    expect(info.code).toBe(0);
    expect((JSON.parse(info.stdout) as { counts: { checkpoints: number } }).counts.checkpoints).toBe(1);
    expect(sha256(path)).toBe(before);
    expect(readdirSync(join(temp.dir, 'journal'))).toEqual(['d.deltascope']);
  });

  it('export and diff read a WAL database without leaving -wal or -shm behind', async () => {
    const path = databaseIn(join(temp.dir, 'wal'));
    const before = sha256(path);
    expect((await deltascope('export', '1', join(temp.dir, 'wal-out.safetensors'), '--db', path)).code).toBe(
      0,
    );
    expect((await deltascope('diff', '1', model, '--db', path)).code).toBe(0);
    expect(sha256(path)).toBe(before);
    expect(readdirSync(join(temp.dir, 'wal'))).toEqual(['d.deltascope']);
  });

  it.skipIf(!canMountReadOnly())('info, export and diff read a database on a read-only mount', () => {
    const dir = join(temp.dir, 'readonly');
    const path = databaseIn(dir);
    const before = sha256(path);
    const out = join(temp.dir, 'ro-out.safetensors');
    const node = process.execPath;
    const script = [
      `mount --bind -o ro ${dir} ${dir}`,
      `${node} ${bin} info ${path}`,
      `${node} ${bin} export 1 ${out} --db ${path}`,
      `${node} ${bin} diff 1 ${model} --db ${path}`,
    ].join(' && ');
    const output = execFileSync('unshare', ['-m', 'sh', '-c', script], {
      cwd: temp.dir,
      env: { ...process.env, DELTASCOPE_HOME: temp.dir },
      encoding: 'utf8',
    });
    expect(output).toContain('1 checkpoints');
    expect(existsSync(out)).toBe(true);
    expect(sha256(path)).toBe(before);
    expect(readdirSync(dir)).toEqual(['d.deltascope']);
  });
});
