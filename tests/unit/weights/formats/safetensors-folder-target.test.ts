import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensorsSource } from '../../../../src-main/weights/formats/safetensors-reader';
import {
  checkFolderTarget,
  partialFolderPath,
  writeSafetensorsFolder,
} from '../../../../src-main/weights/formats/safetensors-writer';
import { mapSource, sourceToMap } from '../../../../src-main/weights/tensor-source';
import { arraysOf, expectError, mapOf, noise } from '../helpers';

const dir = mkdtempSync(join(tmpdir(), 'deltascope-folder-target-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = mapOf({
  'a.weight': [[40, 30], [...noise(1200, 1)]],
  'b.weight': [[30], [...noise(30, 2)]],
});

describe('where a sharded folder may be written', () => {
  it('takes a new folder or an empty one, reporting progress up to every element', () => {
    const empty = join(dir, 'picked');
    mkdirSync(empty);
    expect(checkFolderTarget(empty)).toBe(true);
    expect(checkFolderTarget(join(dir, 'new'))).toBe(false);
    const progress: [number, number][] = [];
    writeSafetensorsFolder(empty, mapSource(model, 'model'), {
      chunkElements: 500,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(progress).toEqual([
      [500, 1230],
      [1000, 1230],
      [1200, 1230],
      [1230, 1230],
    ]);
    const source = openSafetensorsSource(empty);
    expect(arraysOf(sourceToMap(source))).toEqual(arraysOf(model));
    source.close();
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('refuses a folder that is not empty, a file, and a missing parent, naming the path', () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) writeFileSync(join(full, name), '');
    const refused = expectError(() => writeSafetensorsFolder(full, mapSource(model, 'model')), 'FILE_EXISTS');
    expect(refused.message).toBe(
      `${full} already exists and is not empty (4 entries: a.txt, b.txt, c.txt, …); choose a new or empty folder, nothing was written.`,
    );
    expect(readdirSync(full)).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt']);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(expectError(() => checkFolderTarget(file), 'FILE_EXISTS').message).toContain(
      `${file} already exists and is a file`,
    );
    const orphan = join(dir, 'missing', 'out');
    expect(expectError(() => checkFolderTarget(orphan), 'FILE_NOT_FOUND').message).toBe(
      `Cannot write ${orphan}: its parent folder ${join(dir, 'missing')} does not exist.`,
    );
    expect(partialFolderPath(join(dir, 'out'))).toBe(join(dir, `.out.${process.pid}.partial`));
  });

  it('leaves a concurrent write’s temporary folder alone when it cannot start its own', () => {
    const out = join(dir, 'busy');
    mkdirSync(partialFolderPath(out));
    writeFileSync(join(partialFolderPath(out), 'shard'), 'being written');
    expectError(() => writeSafetensorsFolder(out, mapSource(model, 'model')), 'IO_ERROR');
    expect(readdirSync(partialFolderPath(out))).toEqual(['shard']);
  });
});
