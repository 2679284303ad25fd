import { describe, expect, it } from 'vitest';
import { nodeLogLines } from '../../../../src-renderer/models/protocol-node-log';

describe('a protocol node log as lines', () => {
  it('lists every attempt with what it made or its error, line by line', () => {
    const lines = nodeLogLines({
      experimentId: 1,
      nodeId: 's1/finetune/coin',
      entries: [
        {
          artifactId: 7,
          status: 'failed',
          finishedAt: '2026-12-06T09:00:00.000Z',
          outputs: {},
          error: 'INTERNAL: worker exited with code 1\nstderr: out of memory',
        },
        {
          artifactId: 9,
          status: 'done',
          finishedAt: '2026-12-06T09:05:00.000Z',
          outputs: { runId: 3, checkpointId: 12, artifactIds: [20, 21] },
          error: null,
        },
      ],
    });
    expect(lines).toEqual([
      '2026-12-06T09:00:00.000Z  attempt 1: failed  (record #7)',
      '  error: INTERNAL: worker exited with code 1',
      '  error: stderr: out of memory',
      '2026-12-06T09:05:00.000Z  attempt 2: done  (record #9)',
      '  run #3',
      '  checkpoint #12',
      '  artifacts #20, #21',
    ]);
  });

  it('says when nothing is stored yet', () => {
    expect(nodeLogLines({ experimentId: 1, nodeId: 's1/pretrain', entries: [] })).toEqual([
      's1/pretrain: nothing stored yet (the node has not finished).',
    ]);
  });
});
