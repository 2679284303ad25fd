import type { CheckpointSummary, ExperimentNode, RunNode } from '@shared';

/** A small tree: experiment 1 with runs 10 (checkpoints 100, 101) and 11 (none); experiment 2 empty. */
export function checkpoint(
  id: number,
  runId: number,
  step: number,
  parent: number | null = null,
): CheckpointSummary {
  return {
    id,
    runId,
    step,
    label: `ckpt-${id}`,
    parentCheckpointId: parent,
    tensorCount: 2,
    paramCount: 10,
    byteLength: 40,
    sha256: 'ab'.repeat(32),
    provenance: { kind: 'fixture', description: 'test', inputs: [], details: {} },
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

export function run(id: number, checkpoints: CheckpointSummary[], name = `run-${id}`): RunNode {
  return {
    id,
    experimentId: 1,
    name,
    phase: 'pretrain',
    reward: { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} },
    seed: 1,
    status: 'done',
    backend: 'cpu',
    parentCheckpointId: null,
    config: {},
    createdAt: '2025-01-01T00:00:00.000Z',
    checkpointCount: checkpoints.length,
    lastStep: checkpoints.at(-1)?.step ?? null,
    checkpoints,
  };
}

export function sampleTree(): ExperimentNode[] {
  return [
    {
      id: 1,
      name: 'maze',
      description: '',
      createdAt: '2025-01-01T00:00:00.000Z',
      runs: [run(10, [checkpoint(100, 10, 0), checkpoint(101, 10, 500, 100)]), run(11, [])],
    },
    { id: 2, name: 'empty', description: '', createdAt: '2025-01-01T00:00:00.000Z', runs: [] },
  ];
}
