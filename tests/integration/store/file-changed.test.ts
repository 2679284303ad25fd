import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { weightsService, writeWeightsDatabase } from '../api/weights-test-helpers';

const temps: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const temp of temps.splice(0)) temp.cleanup();
});

/** A service over a fresh weights database, and a .safetensors file ready to import. */
async function serviceWithImportable() {
  const temp = makeTempDir('file-changed');
  temps.push(temp);
  const fixture = writeWeightsDatabase(temp.dir);
  const api = weightsService(temp.dir, fixture.path);
  temps.push({ cleanup: () => api.service.dispose() });
  const file = join(temp.dir, 'a.safetensors');
  await api.call('weights.export', { checkpointId: fixture.a, path: file });
  return { temp, fixture, api, file };
}

describe('the store re-checks its file before each write', () => {
  it('refuses to write when another file was put in place of the open database', async () => {
    const { temp, fixture, api, file } = await serviceWithImportable();
    const replacement = join(temp.dir, 'replacement.html');
    writeFileSync(replacement, '<html>a report someone saved over the database</html>');
    renameSync(replacement, fixture.path);
    const error = await api.fail('weights.import', { path: file });
    expect(error.code).toBe('DATABASE_CORRUPT');
    expect(error.message).toContain('another file was put in its place');
    expect(error.message).toContain('Nothing was written');
    expect(readFileSync(fixture.path, 'utf8')).toBe('<html>a report someone saved over the database</html>');
  });

  it('refuses to write when the open database was overwritten in place', async () => {
    const { fixture, api, file } = await serviceWithImportable();
    writeFileSync(fixture.path, 'garbage');
    const error = await api.fail('weights.import', { path: file });
    expect(error.code).toBe('DATABASE_CORRUPT');
    expect(error.message).toContain('no longer starts with an SQLite header');
    expect(readFileSync(fixture.path, 'utf8')).toBe('garbage');
  });

  it('refuses to write when the open database was moved away, and the moved file gains nothing', async () => {
    const { fixture, api, file } = await serviceWithImportable();
    const moved = `${fixture.path}.moved`;
    renameSync(fixture.path, moved);
    const error = await api.fail('weights.import', { path: file });
    expect(error.code).toBe('DATABASE_CORRUPT');
    expect(error.message).toContain('deleted or moved');
    const db = openDatabase(moved);
    try {
      expect(db.info(false).counts.checkpoints).toBe(4);
    } finally {
      db.close();
    }
  });

  it('keeps writing normally while the file is untouched', async () => {
    const { fixture, api, file } = await serviceWithImportable();
    const imported = await api.call('weights.import', { path: file });
    api.service.dispose();
    const db = openDatabase(fixture.path);
    try {
      expect(db.checkpoints.get(imported.checkpoint.id).label).toBe('a.safetensors');
    } finally {
      db.close();
    }
  });
});
