import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProtocolExperiment } from '../../../src-main/jobs/protocol/protocol-store';
import { makeTempDir } from '../../helpers/temp-dir';
import { tinyExperiment } from '../jobs/protocol-test-helpers';
import { weightsService, writeWeightsDatabase, type WeightsFixture } from './weights-test-helpers';

const temp = makeTempDir('api-safe-writes');
let fixture: WeightsFixture;
let api: ReturnType<typeof weightsService>;
let experimentId: number;

/** sha256 of the database file and its WAL: what "byte-identical" means for an open WAL database. */
function databaseBytes(): string {
  const hash = createHash('sha256');
  for (const suffix of ['', '-wal']) {
    const path = `${fixture.path}${suffix}`;
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  return hash.digest('hex');
}

beforeAll(() => {
  fixture = writeWeightsDatabase(temp.dir);
  api = weightsService(temp.dir, fixture.path);
  experimentId = createProtocolExperiment(
    api.service.database(),
    tinyExperiment({ name: 'tiny' }),
  ).experimentId;
});
afterAll(() => {
  api.service.dispose();
  temp.cleanup();
});

describe('API writes to user-named paths', () => {
  it('protocol.exportReport leaves an unrelated file alone and writes no tables beside it', async () => {
    const important = join(temp.dir, 'important.txt');
    writeFileSync(important, 'my thesis');
    const wrongKind = await api.fail('protocol.exportReport', {
      experimentId,
      path: important,
      overwrite: true,
    });
    expect(wrongKind.code).toBe('INVALID_PAYLOAD');
    expect(wrongKind.message).toContain('.html');
    const html = join(temp.dir, 'important.html');
    writeFileSync(html, 'my notes');
    const existing = await api.fail('protocol.exportReport', { experimentId, path: html });
    expect(existing.code).toBe('FILE_EXISTS');
    expect(readFileSync(important, 'utf8')).toBe('my thesis');
    expect(readFileSync(html, 'utf8')).toBe('my notes');
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('.csv'))).toEqual([]);
    const replaced = await api.call('protocol.exportReport', { experimentId, path: html, overwrite: true });
    expect(replaced.htmlPath).toBe(html);
    expect(readFileSync(html, 'utf8')).toContain('<html');
  });

  it('weights.export with overwrite onto the open database (or a link to it) is refused; imports still land in it', async () => {
    const before = databaseBytes();
    const link = join(temp.dir, 'db-link.safetensors');
    symlinkSync(fixture.path, link);
    const direct = await api.fail('weights.export', {
      checkpointId: fixture.a,
      path: fixture.path,
      format: 'safetensors',
      overwrite: true,
    });
    expect(direct.code).toBe('INVALID_PAYLOAD');
    const viaLink = await api.fail('weights.export', {
      checkpointId: fixture.a,
      path: link,
      format: 'safetensors',
      overwrite: true,
    });
    expect(viaLink.code).toBe('FILE_EXISTS');
    expect(viaLink.message).toContain('it is the open database');
    const tfjs = await api.fail('weights.export', {
      checkpointId: fixture.a,
      path: join(temp.dir, 'weights.deltascope-wal'),
      format: 'tfjs',
      overwrite: true,
    });
    expect(tfjs.code).toBe('FILE_EXISTS');
    expect(databaseBytes()).toBe(before);

    const file = join(temp.dir, 'a.safetensors');
    await api.call('weights.export', { checkpointId: fixture.a, path: file });
    const imported = await api.call('weights.import', { path: file });
    expect(api.service.database().checkpoints.get(imported.checkpoint.id).sha256).toBe(
      api.service.database().checkpoints.get(fixture.a).sha256,
    );
  });
});
