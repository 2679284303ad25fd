import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProtocolExperiment } from '../../../src-main/jobs/protocol/protocol-store';
import { createDatabase } from '../../../src-main/store';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import { putBaseCheckpoint } from '../api/weights-test-helpers';
import { tinyExperiment } from '../jobs/protocol-test-helpers';

const temp = makeTempDir('cli-safe-writes');
let dbPath: string;

/** The built `deltascope` command (bin → out/main/cli.cjs), run in the temp folder. */
const deltascope = deltascopeProcess({ home: temp.dir, cwd: temp.dir });

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The database, byte for byte, and proof that it still opens and answers. */
async function expectDatabaseIntact(before: string): Promise<void> {
  expect(sha256(dbPath)).toBe(before);
  const info = await deltascope('info', 'd.deltascope', '--json');
  expect(info.code).toBe(0);
  expect((JSON.parse(info.stdout) as { counts: { checkpoints: number } }).counts.checkpoints).toBe(1);
}

beforeAll(async () => {
  dbPath = join(temp.dir, 'd.deltascope');
  const db = createDatabase(dbPath);
  createProtocolExperiment(db, tinyExperiment({ name: 'tiny' }));
  putBaseCheckpoint(db, 'weights');
  db.close();
  await ensureFreshBundle(['cli.cjs']);
});
afterAll(() => temp.cleanup());

describe('writes to user-named paths through the CLI', () => {
  it('report --out <the database> fails and leaves the database byte-identical', async () => {
    const before = sha256(dbPath);
    const direct = await deltascope('report', '1', '--db', 'd.deltascope', '--out', 'd.deltascope');
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/must end in \.html/);
    symlinkSync(dbPath, join(temp.dir, 'd-link.html'));
    const viaLink = await deltascope(
      'report',
      '1',
      '--db',
      'd.deltascope',
      '--out',
      'd-link.html',
      '--force',
    );
    expect(viaLink.code).not.toBe(0);
    expect(viaLink.stderr).toContain('it is the open database');
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('.csv') || name.endsWith('.tmp'))).toEqual(
      [],
    );
    await expectDatabaseIntact(before);
  });

  it('export --force onto the database, or a symlink to it, fails and leaves it byte-identical', async () => {
    const before = sha256(dbPath);
    const direct = await deltascope('export', '1', 'd.deltascope', '--db', 'd.deltascope', '--force');
    expect(direct.code).not.toBe(0);
    symlinkSync(dbPath, join(temp.dir, 'd-link.safetensors'));
    const viaLink = await deltascope('export', '1', 'd-link.safetensors', '--db', 'd.deltascope', '--force');
    expect(viaLink.code).not.toBe(0);
    expect(viaLink.stderr).toContain('it is the open database');
    await expectDatabaseIntact(before);
  });

  it('report refuses existing files (the HTML or any of its tables) unless --force, and creates no folder', async () => {
    const first = await deltascope('report', '1', '--db', 'd.deltascope', '--out', 'r.html');
    expect(first.code).toBe(0);
    writeFileSync(join(temp.dir, 'r.html'), 'my notes');
    const again = await deltascope('report', '1', '--db', 'd.deltascope', '--out', 'r.html');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(join(temp.dir, 'r.html'), 'utf8')).toBe('my notes');
    const forced = await deltascope('report', '1', '--db', 'd.deltascope', '--out', 'r.html', '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(join(temp.dir, 'r.html'), 'utf8')).toContain('<html');

    const nested = await deltascope('report', '1', '--db', 'd.deltascope', '--out', 'new/folder/r.html');
    expect(nested.code).toBe(1);
    expect(nested.stderr).toContain('does not exist');
    expect(existsSync(join(temp.dir, 'new'))).toBe(false);
  });

  it('export refuses an existing tfjs shard unless --force, writing nothing', async () => {
    mkdirSync(join(temp.dir, 'model'));
    const shard = join(temp.dir, 'model', 'group1-shard1of1.bin');
    writeFileSync(shard, 'someone else’s weights');
    const refused = await deltascope('export', '1', 'model', '--db', 'd.deltascope', '--format', 'tfjs');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('group1-shard1of1.bin');
    expect(readdirSync(join(temp.dir, 'model'))).toEqual(['group1-shard1of1.bin']);
    expect(readFileSync(shard, 'utf8')).toBe('someone else’s weights');
    const forced = await deltascope(
      'export',
      '1',
      'model',
      '--db',
      'd.deltascope',
      '--format',
      'tfjs',
      '--force',
    );
    expect(forced.code).toBe(0);
    expect(readdirSync(join(temp.dir, 'model')).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(readFileSync(shard).length).toBe(4 * (12 + 4 + 60));
  });
});
