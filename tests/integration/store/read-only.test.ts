import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('store-read-only');
afterAll(() => temp.cleanup());

describe('openDatabase with readOnly', () => {
  it('reads, refuses every write with a clear message, and leaves no side files', () => {
    const path = join(temp.dir, 'alone.deltascope');
    const writer = createDatabase(path);
    writer.experiments.create({ name: 'kept' });
    writer.close();
    const db = openDatabase(path, { readOnly: true });
    try {
      expect(db.readOnly).toBe(true);
      expect(db.experiments.list().map((e) => e.name)).toEqual(['kept']);
      expect(() => db.experiments.create({ name: 'refused' })).toThrow(/opened read-only/);
    } finally {
      db.close();
    }
    expect(readdirSync(temp.dir)).toEqual(['alone.deltascope']);
  });

  it('sees what another open connection committed and leaves that connection its -wal/-shm', () => {
    const path = join(temp.dir, 'shared.deltascope');
    const writer = createDatabase(path);
    try {
      writer.experiments.create({ name: 'committed' });
      const reader = openDatabase(path, { readOnly: true });
      try {
        expect(reader.experiments.list().map((e) => e.name)).toEqual(['committed']);
      } finally {
        reader.close();
      }
      expect(existsSync(`${path}-wal`)).toBe(true);
      writer.experiments.create({ name: 'after' });
      expect(writer.experiments.list()).toHaveLength(2);
    } finally {
      writer.close();
    }
  });
});
