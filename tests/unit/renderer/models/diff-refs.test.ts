import { describe, expect, it } from 'vitest';
import {
  checkpointChoices,
  defaultCompareTargets,
  defaultDeltaSelection,
  fileBaseName,
  filterChoices,
  groupDeltaCandidates,
  refKey,
  refLabel,
} from '../../../../src-renderer/models/diff-refs';
import { buildTreeIndex } from '../../../../src-renderer/models/runs-tree-model';
import { checkpoint, run, sampleTree } from '../sample-tree';
import type { ExperimentNode, RunNode } from '@shared';

/** Base run 10 (checkpoints 100, 101); fine-tunes 12 and 13 started from 101; run 14 from 100. */
function fineTuneTree(): ExperimentNode[] {
  const tree = sampleTree();
  const experiment = tree[0]!;
  experiment.runs.push(
    {
      ...run(12, [checkpoint(120, 12, 10, 101), checkpoint(121, 12, 20, 120)], 'coin'),
      phase: 'finetune',
      parentCheckpointId: 101,
    },
    { ...run(13, [checkpoint(130, 13, 10, 101)], 'gem'), phase: 'finetune', parentCheckpointId: 101 },
    { ...run(14, [checkpoint(140, 14, 10, 100)], 'early'), phase: 'finetune', parentCheckpointId: 100 },
  );
  return tree;
}

describe('diff sides', () => {
  it('keys and names checkpoints, files and relevance maps', () => {
    const index = buildTreeIndex(sampleTree());
    expect(refKey({ checkpointId: 7 })).toBe('c:7');
    expect(refKey({ file: '/m/a.safetensors' })).toBe('f:/m/a.safetensors');
    expect(refLabel({ checkpointId: 101 }, index)).toBe('run-10 / ckpt-101');
    expect(refLabel({ checkpointId: 999 }, index)).toBe('checkpoint 999');
    expect(refLabel({ file: 'C:\\models\\tuned.safetensors' }, index)).toBe('tuned.safetensors');
    expect(fileBaseName('/a/b/model.json')).toBe('model.json');
    expect(refKey({ artifactId: 3 })).toBe('m:3');
    expect(refLabel({ artifactId: 3 }, index)).toBe('relevance map 3');
  });

  it('lists every checkpoint for a picker and filters on all typed words', () => {
    const choices = checkpointChoices(fineTuneTree());
    expect(choices.map((c) => c.id)).toEqual([100, 101, 120, 121, 130, 140]);
    expect(choices[2]?.text).toBe('maze / coin / ckpt-120');
    expect(filterChoices(choices, 'COIN 121').map((c) => c.id)).toEqual([121]);
    expect(filterChoices(choices, '   ')).toHaveLength(6);
    expect(filterChoices(choices, 'nothing')).toEqual([]);
  });

  it('suggests B and the last checkpoint of every run started from A', () => {
    const targets = defaultCompareTargets(fineTuneTree(), { checkpointId: 101 }, { checkpointId: 120 });
    expect(targets).toEqual([{ checkpointId: 120 }, { checkpointId: 121 }, { checkpointId: 130 }]);
    // A file as A has no runs started from it.
    expect(defaultCompareTargets(fineTuneTree(), { file: '/x.safetensors' }, { checkpointId: 101 })).toEqual([
      { checkpointId: 101 },
    ]);
  });

  it('groups the deltas of a protocol base by phase and pre-checks only its fine-tunes', () => {
    const tree = fineTuneTree();
    const from101 = (id: number, name: string, phase: RunNode['phase']): RunNode => ({
      ...run(id, [checkpoint(id * 10, id, 10, 101)], name),
      phase,
      parentCheckpointId: 101,
    });
    tree[0]!.runs.push(
      from101(50, 's1/null/0', 'control'),
      from101(51, 's1/localize/top/1', 'finetune'),
      from101(52, 's1/derive/random', 'derived'),
      from101(53, 's1/control/recover', 'retrain'),
    );
    const groups = groupDeltaCandidates(tree, 101);
    expect(groups.map((g) => [g.phase, g.choices.map((c) => c.id)])).toEqual([
      ['finetune', [121, 130]],
      ['control', [500]],
      ['derived', [520]],
      ['recovery', [530]],
      ['localization', [510]],
      ['other', [100, 120, 140]],
    ]);
    expect(defaultDeltaSelection(tree, 101)).toEqual([121, 130]);
    expect(defaultCompareTargets(tree, { checkpointId: 101 }, { checkpointId: 500 })).toEqual([
      { checkpointId: 500 },
      { checkpointId: 121 },
      { checkpointId: 130 },
    ]);
  });
});
