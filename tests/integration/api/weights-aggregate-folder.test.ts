import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../../src-main/shared';
import { openDatabase, type DeltascopeDb } from '../../../src-main/store';
import {
  mapSource,
  openSafetensorsSource,
  sourceToMap,
  tensorMapFromTensors,
  writeSafetensorsFolder,
} from '../../../src-main/weights';
import { runWithCheckpoint, uniforms, writeFixtureDatabase } from '../../fixtures/fixture-kit';
import { deltascope } from '../../helpers/run-cli';
import { baseTensors, DELTA, jobEvents, useWeightsApi, workerWeightsHandlers } from './weights-test-helpers';

/**
 * weights.aggregateToFolder, the app's "Save as a safetensors folder": the same bytes as
 * `deltascope aggregate --out` for the same inputs (inline and in a worker thread, with progress),
 * the base's config.json copied, and a folder that exists and is not empty refused by name.
 */
const api = useWeightsApi('weights-aggregate-folder');
let db: DeltascopeDb;
/** Checkpoints imported from BF16 folders that hold a config.json. */
let imported: { base: number; tuned: number[]; configDir: string };

const workerHandlers = (onEvent: (event: WireEvent) => void) => workerWeightsHandlers(() => db, onEvent);

/** Every file of a folder, by name. */
function filesOf(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
}

function expectSameFolder(actual: string, expected: string): void {
  const a = filesOf(actual);
  const b = filesOf(expected);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, bytes] of b) expect(a.get(name)!.equals(bytes), `${name} differs`).toBe(true);
}

function valuesOf(dir: string): Map<string, number[]> {
  const source = openSafetensorsSource(dir);
  const map = sourceToMap(source);
  source.close();
  return new Map([...map.values()].map((t) => [t.name, [...t.data]]));
}

/** A BF16 model folder with a config.json: the fixture's base plus `scale`·Δ, imported by path. */
async function importFolder(name: string, scale: number): Promise<number> {
  const dir = join(api.dir, name);
  const tensors = baseTensors().map((t) => {
    const data = t.data.slice();
    for (const [index, value] of DELTA[t.name]!) data[index]! += scale * value;
    return { ...t, data };
  });
  writeSafetensorsFolder(dir, mapSource(tensorMapFromTensors(tensors), name), {
    dtype: 'BF16',
    maxShardBytes: 64,
  });
  writeFileSync(join(dir, 'config.json'), '{"model_type":"toy"}\n');
  const reply = await api.call('weights.import', { path: dir, experiment: 'folders' });
  return reply.checkpoint.id;
}

beforeAll(async () => {
  db = openDatabase(api.fixture.path);
  const base = await importFolder('hf-base', 0);
  const tuned = [await importFolder('hf-rl-a', 1), await importFolder('hf-rl-b', 2)];
  imported = { base, tuned, configDir: join(api.dir, 'hf-base') };
});
afterAll(() => db.close());

describe('weights.aggregateToFolder', () => {
  it('writes the mean map of Δ and 2Δ: 1.5·Δ, readable as a sharded folder', async () => {
    const folder = join(api.dir, 'mean-map');
    const result = await api.call('weights.aggregateToFolder', {
      base: api.fixture.a,
      deltas: [api.fixture.b, api.fixture.d],
      aggregator: { kind: 'mean' },
      folder,
    });
    expect(result).toMatchObject({ folder, tensorCount: 3, paramCount: 76, merged: false });
    expect(result.files.map((f) => f.slice(folder.length + 1))).toEqual([
      'model-00001-of-00001.safetensors',
      'model.safetensors.index.json',
    ]);
    expect(result.bytes).toBe(result.files.reduce((sum, f) => sum + readFileSync(f).length, 0));
    const values = valuesOf(folder);
    for (const [name, changes] of Object.entries(DELTA)) {
      const expected = new Array<number>(values.get(name)!.length).fill(0);
      for (const [index, value] of changes) expected[index] = 1.5 * value;
      expect(values.get(name), name).toEqual(expected);
    }
  });

  it('writes the same bytes as `deltascope aggregate --merge --out`, inline and in a worker, config.json copied', async () => {
    const request = {
      base: imported.base,
      deltas: imported.tuned,
      aggregator: { kind: 'ties' as const, density: 0.5 },
      merge: true,
      shardBytes: 1024,
    };
    const cliFolder = join(api.dir, 'ties-cli');
    const cli = await deltascope(
      'aggregate',
      '--base',
      String(imported.base),
      ...imported.tuned.flatMap((id) => ['--delta', String(id)]),
      '--aggregator',
      'ties',
      '--density',
      '0.5',
      '--merge',
      '--shard-size',
      '1024',
      '--out',
      cliFolder,
      '--db',
      api.fixture.path,
    );
    expect(cli.stderr).toContain(`wrote ${cliFolder}`);
    expect(cli.code).toBe(0);

    const inline = join(api.dir, 'ties-app');
    const reply = await api.call('weights.aggregateToFolder', { ...request, folder: inline });
    expect(reply.merged).toBe(true);
    expectSameFolder(inline, cliFolder);
    expect(readFileSync(join(inline, 'config.json'), 'utf8')).toBe('{"model_type":"toy"}\n');
    const index = JSON.parse(readFileSync(join(inline, 'model.safetensors.index.json'), 'utf8')) as {
      metadata: Record<string, unknown>;
    };
    expect(index.metadata).toMatchObject({ merged: 'true', base: String(imported.base) });
    // The base is BF16, so the merged model is too: 76 values × 2 bytes.
    expect(index.metadata.total_size).toBe(152);

    const events: WireEvent[] = [];
    const handlers = workerHandlers((event) => events.push(event));
    const inWorker = join(api.dir, 'ties-worker');
    const jobId = 'folder-in-worker';
    await handlers['weights.aggregateToFolder']({ ...request, folder: inWorker, jobId });
    expectSameFolder(inWorker, cliFolder);
    const { states, progress } = jobEvents(events);
    expect(states).toEqual(['running', 'done']);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.jobId === jobId && p.unit === 'parameters' && p.total === 76)).toBe(true);
    expect(progress.at(-1)!.done).toBe(76);
  });

  it('takes an empty folder (one a folder picker made)', async () => {
    const folder = join(api.dir, 'empty-target');
    mkdirSync(folder);
    await api.call('weights.aggregateToFolder', {
      base: api.fixture.a,
      deltas: [api.fixture.b],
      aggregator: { kind: 'sign-agreement' },
      folder,
    });
    expect(readdirSync(folder).sort()).toEqual([
      'model-00001-of-00001.safetensors',
      'model.safetensors.index.json',
    ]);
  });

  it('refuses a folder that exists and is not empty, naming it, and leaves it as it was', async () => {
    const folder = join(api.dir, 'not-empty');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    const error = await api.fail('weights.aggregateToFolder', {
      base: api.fixture.a,
      deltas: [api.fixture.b],
      aggregator: { kind: 'mean' },
      folder,
    });
    expect(error.code).toBe('FILE_EXISTS');
    expect(error.message).toContain(`${folder} already exists and is not empty`);
    expect(error.message).toContain('notes.txt');
    expect(readdirSync(folder)).toEqual(['notes.txt']);
    expect(readdirSync(api.dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('refuses a relative path and a missing parent folder, by name', async () => {
    const params = { base: api.fixture.a, deltas: [api.fixture.b], aggregator: { kind: 'mean' as const } };
    const relative = await api.fail('weights.aggregateToFolder', { ...params, folder: 'out/merged' });
    expect(relative.code).toBe('INVALID_PAYLOAD');
    expect(relative.message).toContain('absolute path');
    expect(relative.message).toContain('"out/merged"');
    const orphan = join(api.dir, 'no-such-parent', 'merged');
    const missing = await api.fail('weights.aggregateToFolder', { ...params, folder: orphan });
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain(join(api.dir, 'no-such-parent'));
  });

  it('stops on diff.cancel with CANCELLED and leaves neither the folder nor its temporary', async () => {
    const folder = join(api.dir, 'cancelled');
    const handlers = workerHandlers(({ event, payload }) => {
      const { state, jobId } = payload as { state?: string; jobId: string };
      if (event === 'job.state' && state === 'running') void handlers['diff.cancel']({ jobId });
    });
    await expect(
      handlers['weights.aggregateToFolder']({
        base: imported.base,
        deltas: imported.tuned,
        aggregator: { kind: 'mean' },
        folder,
        merge: false,
        jobId: 'folder-to-cancel',
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(folder)).toBe(false);
    await expect
      .poll(() => readdirSync(api.dir).filter((name) => name.includes('cancelled')), { timeout: 5_000 })
      .toEqual([]);
  });

  it('stopped in the middle of writing, removes its temporary folder and leaves no folder', async () => {
    // 3 checkpoints of 32 tensors × 128 Ki values: the worker reports its first tensor long before it
    // has written the 32nd, so the Stop sent on the first progress lands mid-write.
    const path = join(api.dir, 'larger.deltascope');
    const ids = writeFixtureDatabase(path, (fixtureDb) => {
      const experimentId = fixtureDb.experiments.create({ name: 'larger' }).id;
      const put = (name: string, seed: number, parent: number | null) => {
        const next = uniforms(seed);
        const tensors = Array.from({ length: 32 }, (_, t) => ({
          name: `layers.${t}.weight`,
          shape: [128, 1024],
          data: Float32Array.from({ length: 128 * 1024 }, () => next() - 0.5),
        }));
        return runWithCheckpoint(
          fixtureDb,
          'larger',
          experimentId,
          { name, reward: 'coin', seed, parent },
          tensors,
        );
      };
      const base = put('base', 1, null);
      return { base, deltas: [put('a', 2, base), put('b', 3, base)] };
    });
    const larger = openDatabase(path);
    const folder = join(api.dir, 'stopped');
    const seen: string[] = [];
    const handlers = workerWeightsHandlers(
      () => larger,
      ({ event }) => {
        if (event !== 'job.progress' || seen.length > 0) return;
        seen.push(...readdirSync(api.dir).filter((name) => name.includes('stopped')));
        void handlers['diff.cancel']({ jobId: 'stop-mid-write' });
      },
    );
    try {
      await expect(
        handlers['weights.aggregateToFolder']({
          ...ids,
          aggregator: { kind: 'mean' },
          folder,
          merge: true,
          jobId: 'stop-mid-write',
        }),
      ).rejects.toMatchObject({ code: 'CANCELLED' });
      // While it was being written, the folder existed only under its hidden temporary name.
      expect(seen).toEqual([`.stopped.${process.pid}.partial`]);
      await expect
        .poll(() => readdirSync(api.dir).filter((name) => name.includes('stopped')), { timeout: 10_000 })
        .toEqual([]);
    } finally {
      larger.close();
    }
  }, 60_000);
});
