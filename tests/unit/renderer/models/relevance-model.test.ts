import { describe, expect, it } from 'vitest';
import type { ExperimentNode } from '@shared';
import { AggregatorSpecSchema, weightsMethods, type RelevanceMapSummary } from '@shared/contract-weights';
import {
  AGGREGATORS,
  aggregatePreset,
  buildAggregateFolderRequest,
  buildAggregateRequest,
  defaultAggregateForm,
  defaultGroups,
  describeRecipe,
  MASS_SHARE_COLUMNS,
  massShareBars,
  massShareRows,
  suggestedFolderName,
  type AggregateForm,
} from '../../../../src-renderer/models/relevance-model';
import { defaultDeltaSelection } from '../../../../src-renderer/models/diff-refs';
import { toCsv } from '../../../../src-main/shared/tables/csv';
import { checkpoint, run, sampleTree } from '../sample-tree';

/** Base run 10 (checkpoints 100, 101); fine-tunes 12 (coin, two checkpoints) and 13 (gem) from 101. */
function fineTuneTree(): ExperimentNode[] {
  const tree = sampleTree();
  const experiment = tree[0]!;
  const coin = run(12, [checkpoint(120, 12, 10, 101), checkpoint(121, 12, 20, 120)], 'coin');
  const gem = run(13, [checkpoint(130, 13, 10, 101)], 'gem');
  experiment.runs.push(
    { ...coin, phase: 'finetune', parentCheckpointId: 101, reward: { ...coin.reward, name: 'coin' } },
    { ...gem, phase: 'finetune', parentCheckpointId: 101, reward: { ...gem.reward, name: 'gem' } },
    { ...run(14, [checkpoint(140, 14, 10, 100)], 'early'), phase: 'finetune', parentCheckpointId: 100 },
  );
  return tree;
}

const form = (patch: Partial<AggregateForm>): AggregateForm => ({
  ...defaultAggregateForm(),
  base: 101,
  deltas: [121, 130],
  ...patch,
});

/** The request as the main side will parse it: valid against the contract's own schema. */
const parse = (request: unknown) => weightsMethods['weights.aggregate'].request.parse(request);

describe('the "Aggregate deltas…" form', () => {
  it('pre-checks the last checkpoint of every fine-tune started from the base', () => {
    const tree = fineTuneTree();
    expect(defaultDeltaSelection(tree, 101)).toEqual([121, 130]);
    expect(defaultDeltaSelection(tree, 100)).toEqual([140]);
    expect(defaultDeltaSelection(tree, 130)).toEqual([]);
    expect(defaultGroups(tree, [121, 130])).toEqual({ 121: 'coin', 130: 'gem' });
  });

  it('starts from a diff’s base and compare targets when they are all stored checkpoints', () => {
    const c = (checkpointId: number) => ({ checkpointId });
    expect(aggregatePreset(c(101), [c(121), c(130), c(121), c(101)])).toEqual({
      base: 101,
      deltas: [121, 130],
    });
    expect(aggregatePreset({ file: '/m/a.safetensors' }, [c(121)])).toBeNull();
    expect(aggregatePreset(c(101), [c(121), { file: '/m/b.safetensors' }])).toBeNull();
    expect(aggregatePreset(c(101), [{ artifactId: 3 }])).toBeNull();
    expect(aggregatePreset(c(101), [c(101)])).toBeNull();
  });

  it('builds a request the contract accepts for every aggregator', () => {
    const extras: Partial<Record<AggregateForm['kind'], Partial<AggregateForm>>> = {
      'null-normalized': { nullCheckpoint: 140 },
      'variance-ratio': { groups: { 121: 'coin', 130: 'gem' } },
    };
    for (const { kind } of AGGREGATORS) {
      const request = buildAggregateRequest(form({ kind, ...extras[kind] }));
      expect('error' in request, `${kind}: ${JSON.stringify(request)}`).toBe(false);
      const parsed = parse(request);
      expect(parsed.aggregator.kind).toBe(kind);
      expect(AggregatorSpecSchema.safeParse(parsed.aggregator).success).toBe(true);
    }
  });

  it('carries each aggregator’s parameters', () => {
    expect(buildAggregateRequest(form({ kind: 'ties', density: 0.3, lambda: 2 }))).toMatchObject({
      aggregator: { kind: 'ties', density: 0.3, lambda: 2 },
    });
    expect(
      buildAggregateRequest(form({ kind: 'dare', dropProbability: 0.5, seed: 7, combine: 'sum' })),
    ).toMatchObject({ aggregator: { kind: 'dare', dropProbability: 0.5, seed: 7, combine: 'sum' } });
    expect(buildAggregateRequest(form({ kind: 'null-normalized', nullCheckpoint: 140 }))).toMatchObject({
      aggregator: { kind: 'null-normalized' },
      nullDelta: 140,
    });
    expect(
      buildAggregateRequest(form({ kind: 'variance-ratio', groups: { 121: ' coin ', 130: 'gem' } })),
    ).toMatchObject({ aggregator: { kind: 'variance-ratio', groups: ['coin', 'gem'] } });
    expect(buildAggregateRequest(form({ name: '  my map ' }))).toMatchObject({ name: 'my map' });
    expect(buildAggregateRequest(form({ name: '   ' }))).not.toHaveProperty('name');
  });

  it('says what is missing instead of sending a request the main side would refuse', () => {
    const error = (patch: Partial<AggregateForm>) => {
      const reply = buildAggregateRequest(form(patch));
      return 'error' in reply ? reply.error : null;
    };
    expect(error({ base: null })).toMatch(/base/);
    expect(error({ deltas: [] })).toMatch(/at least one/);
    expect(error({ deltas: [101] })).toMatch(/at least one/);
    expect(error({ kind: 'ties', density: 0 })).toMatch(/density/);
    expect(error({ kind: 'dare', dropProbability: 1 })).toMatch(/drop probability/);
    expect(error({ kind: 'dare', seed: 1.5 })).toMatch(/seed/);
    expect(error({ kind: 'null-normalized' })).toMatch(/null-control/);
    expect(error({ kind: 'null-normalized', nullCheckpoint: 121 })).toMatch(/must differ/);
    expect(error({ kind: 'variance-ratio', groups: { 121: 'coin' } })).toMatch(/checkpoint 130/);
    expect(error({ kind: 'variance-ratio', groups: { 121: 'coin', 130: 'coin' } })).toMatch(
      /two different groups/,
    );
  });
});

describe('"Save as a safetensors folder"', () => {
  const folderForm = (patch: Partial<AggregateForm>) =>
    form({ target: 'folder', folder: '/models/out', ...patch });
  const parseFolder = (request: unknown) =>
    weightsMethods['weights.aggregateToFolder'].request.parse(request);

  it('builds a weights.aggregateToFolder request the contract accepts', () => {
    const request = buildAggregateFolderRequest(
      folderForm({ kind: 'ties', density: 0.3, merge: true, dtype: 'BF16', folder: '  /models/ties ' }),
    );
    expect(request).toEqual({
      base: 101,
      deltas: [121, 130],
      aggregator: { kind: 'ties', density: 0.3, lambda: 1 },
      folder: '/models/ties',
      merge: true,
      dtype: 'BF16',
    });
    expect(parseFolder(request).folder).toBe('/models/ties');
    // The map's name belongs to a stored map; the default dtype is left to the main side.
    const plain = buildAggregateFolderRequest(folderForm({ name: 'ignored' }));
    expect(plain).not.toHaveProperty('name');
    expect(plain).not.toHaveProperty('dtype');
    expect(parseFolder(plain).merge).toBe(false);
  });

  it('says what is missing: the folder, or a merge of an aggregator that gives no weight update', () => {
    const error = (patch: Partial<AggregateForm>) => {
      const reply = buildAggregateFolderRequest(folderForm(patch));
      return 'error' in reply ? reply.error : null;
    };
    expect(error({ folder: '   ' })).toMatch(/Type the folder/);
    expect(error({ kind: 'sign-agreement', merge: true })).toMatch(/Sign agreement gives a relevance map/);
    expect(error({ kind: 'sign-agreement', merge: false })).toBeNull();
    expect(error({ deltas: [] })).toMatch(/at least one/);
  });

  it('suggests a folder name from the recipe', () => {
    expect(suggestedFolderName(form({ kind: 'ties', merge: true }))).toBe('ties-merged-over-101');
    expect(suggestedFolderName(form({ kind: 'mean' }))).toBe('mean-of-2-over-101');
  });
});

describe('a relevance map’s mass shares', () => {
  const map: RelevanceMapSummary = {
    artifactId: 4,
    experimentId: 1,
    name: 'mean of 2 deltas over #101',
    recipe: { aggregator: 'ties', params: { density: 0.2, lambda: 1 }, base: 101, inputs: [121, 130] },
    tensors: [
      { name: 'b.bias', shape: [4], massShare: 0.1, maxAbs: 0.5, mean: 0.01 },
      { name: 'a.kernel', shape: [3, 4], massShare: 0.9, maxAbs: 2, mean: -0.25 },
      { name: 'c.bias', shape: [2], massShare: 0, maxAbs: 0, mean: 0 },
    ],
    paramCount: 18,
    createdAt: '2025-01-01T00:00:00.000Z',
  };

  it('orders tensors by share, largest first, and exports them as CSV', () => {
    expect(massShareBars(map)).toEqual([
      { name: 'a.kernel', value: 0.9 },
      { name: 'b.bias', value: 0.1 },
      { name: 'c.bias', value: 0 },
    ]);
    expect(toCsv(MASS_SHARE_COLUMNS, massShareRows(map))).toBe(
      'tensor,shape,mass_share,max_abs,mean\na.kernel,3x4,0.9,2,-0.25\nb.bias,4,0.1,0.5,0.01\nc.bias,2,0,0,0\n',
    );
  });

  it('describes its recipe', () => {
    expect(describeRecipe(map)).toBe('ties over base #101 of #121, #130 · density 0.2, lambda 1');
  });
});
