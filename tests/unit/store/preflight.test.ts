import * as fs from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DeltascopeError } from '../../../src-main/shared/errors';
import { createDatabase } from '../../../src-main/store';
import { checkBeforeOpen } from '../../../src-main/store/preflight';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * What a reader of the file sees while another connection closes: SQLite checkpoints (writes the
 * header and the pages into the main file, growing it) and then deletes the WAL. A size read before
 * the checkpoint, a header read after it and a WAL look after the delete disagree; the preflight
 * must not call such a file truncated.
 */
interface StatScript {
  /** The main file's size on the first stat of it (a size read before the checkpoint grew the file). */
  staleMainSize: number;
  /** The WAL's size until the main file's header has been read (then it is gone). */
  walSizeBeforeHeader: number;
}

let script: { path: string; plan: StatScript; headerRead: boolean; mainStats: number } | null = null;

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const statSync = ((path: fs.PathLike, options?: fs.StatSyncOptions) => {
    const s = script;
    if (s !== null && String(path) === `${s.path}-wal`) {
      if (s.headerRead) throw Object.assign(new Error(`ENOENT: ${String(path)}`), { code: 'ENOENT' });
      return { ...real.statSync(s.path), size: s.plan.walSizeBeforeHeader };
    }
    if (s !== null && String(path) === s.path && s.mainStats++ === 0) {
      const stats = real.statSync(path);
      return Object.assign(Object.create(Object.getPrototypeOf(stats) as object) as fs.Stats, stats, {
        size: s.plan.staleMainSize,
      });
    }
    return real.statSync(path, options);
  }) as typeof fs.statSync;
  const readSync = ((...args: Parameters<typeof fs.readSync>) => {
    const read = real.readSync(...args);
    if (script !== null) script.headerRead = true;
    return read;
  }) as typeof fs.readSync;
  return { ...real, statSync, readSync, default: { ...real, statSync, readSync } };
});

const temp = makeTempDir('preflight');
afterAll(() => temp.cleanup());
afterEach(() => {
  script = null;
});

/** A Deltascope database of several pages, closed (no WAL). */
function writeDatabase(name: string): string {
  const path = join(temp.dir, name);
  createDatabase(path).close();
  const raw = new Database(path);
  raw.exec('CREATE TABLE pad (x BLOB)');
  const insert = raw.prepare('INSERT INTO pad VALUES (?)');
  for (let i = 0; i < 20; i++) insert.run(Buffer.alloc(4096, i));
  raw.close();
  return path;
}

function refusal(run: () => unknown): DeltascopeError | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof DeltascopeError) return error;
    throw error;
  }
}

describe('the store preflight before opening a file', () => {
  it('does not call a file truncated while its WAL holds pages newer than the main file', () => {
    const path = writeDatabase('wal-content.deltascope');
    const writer = new Database(path);
    try {
      writer.pragma('wal_autocheckpoint = 0');
      const insert = writer.prepare('INSERT INTO pad VALUES (?)');
      for (let i = 0; i < 20; i++) insert.run(Buffer.alloc(4096, i));
      // Mid-checkpoint: the main file's header already counts the pages the WAL holds, its size does not.
      const walPage1 = writer.pragma('page_count', { simple: true }) as number;
      const header = Buffer.alloc(4);
      header.writeUInt32BE(walPage1, 0);
      const fd = fs.openSync(path, 'r+');
      fs.writeSync(fd, header, 0, 4, 28);
      fs.closeSync(fd);
      expect(fs.statSync(`${path}-wal`).size).toBeGreaterThan(0);
      expect(fs.statSync(path).size).toBeLessThan(walPage1 * 4096);

      expect(refusal(() => checkBeforeOpen(path))).toBeNull();
    } finally {
      writer.close();
    }
  });

  it('still refuses a file shorter than its header says when it has no WAL', () => {
    const path = writeDatabase('short.deltascope');
    fs.truncateSync(path, fs.statSync(path).size - 4096);
    expect(refusal(() => checkBeforeOpen(path))?.message).toMatch(/is damaged \(truncated: expected/);
  });

  it('does not call a file truncated when a closing connection checkpoints and deletes its WAL during the check', () => {
    const path = writeDatabase('closing.deltascope');
    const size = fs.statSync(path).size;
    // The size was read before the checkpoint grew the file; the WAL was gone once the header had been read.
    script = {
      path,
      plan: { staleMainSize: size - 8192, walSizeBeforeHeader: 8272 },
      headerRead: false,
      mainStats: 0,
    };
    expect(refusal(() => checkBeforeOpen(path))).toBeNull();
  });
});
