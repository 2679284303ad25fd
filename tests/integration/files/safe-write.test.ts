import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  beginWrite,
  writeFilesSafely,
  writeFilesSafelySync,
  type WriteTarget,
} from '../../../src-main/files';
import { DeltascopeError } from '../../../src-main/shared/errors';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('safe-write');
let db: DeltascopeDb;
let dbPath: string;

/** sha256 of the database and its WAL: "byte-identical" for an open WAL database. */
function databaseBytes(): string {
  const hash = createHash('sha256');
  for (const suffix of ['', '-wal']) {
    if (existsSync(`${dbPath}${suffix}`)) hash.update(readFileSync(`${dbPath}${suffix}`));
  }
  return hash.digest('hex');
}

function thrown(fn: () => unknown): DeltascopeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DeltascopeError) return error;
    throw error;
  }
  throw new Error('expected a DeltascopeError');
}

/** Files in `dir` that a write left behind: temporaries start with a dot and end in .tmp. */
function temporaries(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

const any = (path: string): WriteTarget => ({
  path,
  extensions: ['.deltascope', '.deltascope-wal', '.deltascope-shm', '.html', '.csv'],
});

beforeAll(() => {
  dbPath = join(temp.dir, 'open.deltascope');
  db = createDatabase(dbPath);
  db.experiments.create({ name: 'kept' });
});
afterAll(() => {
  db.close();
  temp.cleanup();
});

describe('safe writes to user-named paths', () => {
  it('refuse the open database by every path that leads to it, even with overwrite, and leave it usable', () => {
    symlinkSync(dbPath, join(temp.dir, 'link.html'));
    linkSync(dbPath, join(temp.dir, 'hard.html'));
    const before = databaseBytes();
    const paths = [
      dbPath,
      relative(process.cwd(), dbPath),
      join(temp.dir, '.', 'open.deltascope'),
      join(temp.dir, 'link.html'),
      join(temp.dir, 'hard.html'),
      `${dbPath}-wal`,
      `${dbPath}-shm`,
    ];
    for (const path of paths) {
      const error = thrown(() =>
        writeFilesSafelySync([{ target: any(path), data: '<html>' }], { overwrite: true }),
      );
      expect(error.code, path).toBe('FILE_EXISTS');
      expect(error.message, path).toContain('open database');
    }
    expect(databaseBytes()).toBe(before);
    expect(temporaries(temp.dir)).toEqual([]);
    expect(db.experiments.create({ name: 'still-writable' }).name).toBe('still-writable');
    expect(db.experiments.list().map((e) => e.name)).toEqual(['kept', 'still-writable']);
  });

  it('refuse any SQLite file and any folder, even with overwrite', () => {
    const other = join(temp.dir, 'closed.deltascope');
    createDatabase(other).close();
    const bytes = readFileSync(other);
    const sqlite = thrown(() =>
      writeFilesSafelySync([{ target: any(other), data: 'x' }], { overwrite: true }),
    );
    expect(sqlite.message).toContain('SQLite database');
    expect(readFileSync(other).equals(bytes)).toBe(true);
    mkdirSync(join(temp.dir, 'folder.html'));
    const folder = thrown(() =>
      writeFilesSafelySync([{ target: any(join(temp.dir, 'folder.html')), data: 'x' }], { overwrite: true }),
    );
    expect(folder.message).toContain('it is a folder');
  });

  it('refuse an existing file unless asked, then replace it whole', async () => {
    const path = join(temp.dir, 'notes.html');
    writeFileSync(path, 'important');
    const error = thrown(() => writeFilesSafelySync([{ target: any(path), data: 'report' }]));
    expect(error.code).toBe('FILE_EXISTS');
    expect(error.message).toContain('already exists');
    expect(readFileSync(path, 'utf8')).toBe('important');
    await writeFilesSafely([{ target: any(path), data: new TextEncoder().encode('report') }], {
      overwrite: true,
    });
    expect(readFileSync(path, 'utf8')).toBe('report');
    expect(temporaries(temp.dir)).toEqual([]);
  });

  it('check the extension and create no folder', () => {
    const wrong = thrown(() =>
      writeFilesSafelySync([{ target: { path: join(temp.dir, 'x.txt'), extensions: ['.html'] }, data: 'x' }]),
    );
    expect(wrong.code).toBe('INVALID_PAYLOAD');
    expect(wrong.message).toMatch(/must end in \.html, and it ends in \.txt/);
    expect(existsSync(join(temp.dir, 'x.txt'))).toBe(false);
    const missing = thrown(() =>
      writeFilesSafelySync([{ target: any(join(temp.dir, 'no', 'such', 'r.html')), data: 'x' }]),
    );
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain(`the folder ${join(temp.dir, 'no', 'such')} does not exist`);
    expect(existsSync(join(temp.dir, 'no'))).toBe(false);
  });

  it('write a group all or nothing: one refused target means no file is written', () => {
    const dir = join(temp.dir, 'group');
    mkdirSync(dir);
    writeFileSync(join(dir, 'r-table.csv'), 'old');
    const error = thrown(() =>
      writeFilesSafelySync([
        { target: any(join(dir, 'r.html')), data: '<html>' },
        { target: any(join(dir, 'r-table.csv')), data: 'new' },
      ]),
    );
    expect(error.code).toBe('FILE_EXISTS');
    expect(readdirSync(dir)).toEqual(['r-table.csv']);
    expect(readFileSync(join(dir, 'r-table.csv'), 'utf8')).toBe('old');
  });

  it('give a streaming writer a temporary file that only commit puts in place', () => {
    const dir = join(temp.dir, 'stream');
    mkdirSync(dir);
    const path = join(dir, 'big.csv');
    const aborted = beginWrite(any(path));
    writeFileSync(aborted.tempPath, 'partial');
    expect(existsSync(path)).toBe(false);
    aborted.abort();
    expect(readdirSync(dir)).toEqual([]);

    const raced = beginWrite(any(path));
    writeFileSync(raced.tempPath, 'mine');
    writeFileSync(path, 'appeared meanwhile');
    expect(thrown(() => raced.commit()).code).toBe('FILE_EXISTS');
    expect(readFileSync(path, 'utf8')).toBe('appeared meanwhile');
    expect(readdirSync(dir)).toEqual(['big.csv']);

    const done = beginWrite(any(join(dir, 'done.csv')));
    writeFileSync(done.tempPath, 'complete');
    done.commit();
    expect(readFileSync(join(dir, 'done.csv'), 'utf8')).toBe('complete');
    expect(temporaries(dir)).toEqual([]);
  });
});
