import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenSafetensorsCorpus, brokenTfjsCorpus } from '../../fixtures/broken-files';
import { baseTensors, useWeightsApi } from './weights-test-helpers';

const api = useWeightsApi('weights-files');

/** sha256 of the database file and its WAL: what "byte-identical" means for an open WAL database. */
function databaseBytes(): string {
  const hash = createHash('sha256');
  for (const suffix of ['', '-wal']) {
    const path = `${api.fixture.path}${suffix}`;
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  return hash.digest('hex');
}

describe('export and import round trips', () => {
  for (const format of ['safetensors', 'tfjs'] as const) {
    it(`keeps tensor names, shapes and values through ${format}`, async () => {
      const path = join(api.dir, format === 'tfjs' ? 'agent-tfjs' : 'agent.safetensors');
      const exported = await api.call('weights.export', { checkpointId: api.fixture.a, path, format });
      expect(exported).toMatchObject({ format, tensorCount: 3, paramCount: 76 });
      if (format === 'tfjs') expect(exported.paths[0]).toBe(join(path, 'model.json'));

      const inspected = await api.call('weights.inspect', { path });
      expect(inspected.tensors.map((t) => [t.name, t.shape])).toEqual(
        baseTensors().map((t) => [t.name, t.shape]),
      );

      const imported = await api.call('weights.import', { path });
      expect(imported.format).toBe(format);
      const db = api.service.database();
      const run = db.runs.get(imported.runId);
      expect(run).toMatchObject({ phase: 'imported', name: format === 'tfjs' ? 'agent-tfjs' : 'agent' });
      expect(db.experiments.get(imported.experimentId).name).toBe('imported');
      expect(imported.checkpoint.provenance.kind).toBe('import');
      // Same names, shapes and float32 values in the same order: the same BLOB, hence the same sha256.
      expect(imported.checkpoint.sha256).toBe(db.checkpoints.get(api.fixture.a).sha256);
      const tensors = db.checkpoints.readTensors(imported.checkpoint.id);
      expect([...tensors.keys()]).toEqual(['dense.kernel', 'dense.bias', 'conv.kernel']);
    });
  }

  it('refuses to overwrite an existing file unless asked', async () => {
    const path = join(api.dir, 'once.safetensors');
    await api.call('weights.export', { checkpointId: api.fixture.b, path });
    const error = await api.fail('weights.export', { checkpointId: api.fixture.b, path });
    expect(error.code).toBe('FILE_EXISTS');
    expect(error.message).toContain(path);
    await api.call('weights.export', { checkpointId: api.fixture.b, path, overwrite: true });
  });

  it('adds a re-import of the same file to its run as the next checkpoint', async () => {
    const path = join(api.dir, 'twice.safetensors');
    await api.call('weights.export', { checkpointId: api.fixture.d, path });
    const first = await api.call('weights.import', { path });
    const second = await api.call('weights.import', { path, label: 'again' });
    expect(second.runId).toBe(first.runId);
    expect([first.checkpoint.step, second.checkpoint.step]).toEqual([0, 1]);
    expect(second.checkpoint.label).toBe('again');
    // Labelled by the file unless named; the provenance says it was copied in, from where.
    expect(first.checkpoint.label).toBe('twice.safetensors');
    expect(second.checkpoint.provenance).toMatchObject({
      kind: 'import',
      description: `imported from ${path} (safetensors)`,
      details: { file: path, format: 'safetensors', sourceDtypes: { 'dense.kernel': 'F32' } },
    });
    expect(second.checkpoint.provenance.details).not.toHaveProperty('reference');
  });
});

describe('inspecting a model file', () => {
  it('lists a safetensors model from its header: one over the cap on models read whole is listed, not refused', async () => {
    const path = join(api.dir, 'inspected.safetensors');
    await api.call('weights.export', { checkpointId: api.fixture.a, path });
    const previous = process.env.DELTASCOPE_MAX_MODEL_FILE_BYTES;
    // Far below the file's size: a read of its values would be refused.
    process.env.DELTASCOPE_MAX_MODEL_FILE_BYTES = '64';
    try {
      const inspected = await api.call('weights.inspect', { path });
      expect(inspected).toMatchObject({ format: 'safetensors', paramCount: 76 });
      expect(inspected.tensors.map((t) => [t.name, t.shape, t.sourceDtype])).toEqual(
        baseTensors().map((t) => [t.name, t.shape, 'F32']),
      );
    } finally {
      if (previous === undefined) delete process.env.DELTASCOPE_MAX_MODEL_FILE_BYTES;
      else process.env.DELTASCOPE_MAX_MODEL_FILE_BYTES = previous;
    }
  });
});

describe('importing a malformed file', () => {
  it('returns INVALID_FILE naming the file and the problem, and writes nothing (safetensors)', async () => {
    const corpus = brokenSafetensorsCorpus();
    expect(corpus.length).toBeGreaterThan(3);
    const before = databaseBytes();
    const counts = api.service.database().info(false).counts;
    for (const broken of corpus) {
      const path = join(api.dir, `broken-${broken.name.replace(/[^a-z0-9]+/gi, '-')}.safetensors`);
      writeFileSync(path, broken.bytes);
      const error = await api.fail('weights.import', { path });
      expect(error.code, broken.name).toBe('INVALID_FILE');
      expect(error.message, broken.name).toContain('broken-');
      expect(error.message, broken.name).toMatch(broken.problem);
    }
    expect(api.service.database().info(false).counts).toEqual(counts);
    expect(databaseBytes()).toBe(before);
  });

  it('returns INVALID_FILE for a broken tfjs model and writes nothing', async () => {
    const before = databaseBytes();
    for (const [i, broken] of brokenTfjsCorpus().entries()) {
      const dir = join(api.dir, `broken-tfjs-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.json'), broken.modelJson);
      for (const [name, bytes] of broken.shards) writeFileSync(join(dir, name), bytes);
      const error = await api.fail('weights.import', { path: dir });
      expect(error.code, broken.name).toBe('INVALID_FILE');
      expect(error.message, broken.name).toMatch(broken.problem);
    }
    expect(databaseBytes()).toBe(before);
  });

  it('names a missing file, and a file of another kind', async () => {
    const missing = await api.fail('weights.import', { path: join(api.dir, 'nowhere.safetensors') });
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain('nowhere.safetensors');
    const text = join(api.dir, 'notes.txt');
    writeFileSync(text, 'not weights');
    const other = await api.fail('weights.import', { path: text });
    expect(other.code).toBe('INVALID_FILE');
    expect(other.message).toContain('notes.txt');
  });
});
