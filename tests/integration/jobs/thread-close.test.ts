import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolNodeThread } from '../../../src-main/jobs/protocol/protocol-node-thread';
import { ProtocolRunner } from '../../../src-main/jobs/protocol/protocol-runner';
import { createProtocolExperiment, readNodeStates } from '../../../src-main/jobs/protocol/protocol-store';
import type { NodeOutputs } from '../../../src-main/protocol';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { seedTrainingNodes, sourceQueue, tinyExperiment } from './protocol-test-helpers';

/**
 * The protocol's worker thread has its own connection to the database. Ending the thread must close
 * that connection before the runner returns: otherwise the thread's teardown closes it later, the
 * runner's close is not the last one (the WAL stays), and a caller reopening the file at once races
 * the thread's checkpoint (once seen as "truncated" by the store's preflight).
 */

const temp = makeTempDir('thread-close');
afterAll(() => temp.cleanup());

async function seededExperiment(
  name: string,
): Promise<{ path: string; experimentId: number; maskNode: string }> {
  const path = join(temp.dir, name);
  const db = createDatabase(path);
  const { experimentId, graph } = createProtocolExperiment(
    db,
    tinyExperiment({ name, knownAnswer: { tensor: 'policy.kernel' }, alphas: [1], evalEpisodes: 8 }),
  );
  db.close();
  await seedTrainingNodes(path, experimentId);
  const maskNode = graph.nodes.find((node) => node.params.kind === 'mask')!.id;
  return { path, experimentId, maskNode };
}

describe('closing a protocol worker thread', () => {
  it('closes its connection before close() resolves: the file reopens at once with no WAL left, every time', async () => {
    const { path, experimentId, maskNode } = await seededExperiment('nodes.deltascope');
    for (let round = 0; round < 5; round++) {
      const db = openDatabase(path);
      const outputs = new Map<string, NodeOutputs>();
      for (const [nodeId, state] of readNodeStates(db, experimentId)) {
        if (state.status === 'done') outputs.set(nodeId, state.outputs);
      }
      const thread = new ProtocolNodeThread({ dbPath: path, experimentId });
      const made = await thread.run(maskNode, outputs, () => undefined).result;
      await thread.close();
      db.close();
      // The last connection to close folds the WAL back: here that must be ours, after the thread's.
      expect(existsSync(`${path}-wal`), `round ${round}`).toBe(false);
      const reopened = openDatabase(path);
      expect(readNodeStates(reopened, experimentId).get(maskNode)?.outputs).toEqual(made);
      reopened.close();
    }
  });

  it('lets a finished protocol run be reopened at once, whole', async () => {
    const { path, experimentId } = await seededExperiment('run.deltascope');
    const queue = sourceQueue(1);
    try {
      const summary = await new ProtocolRunner(path, experimentId, { queue, emit: () => undefined }).run();
      expect(summary.failed).toEqual([]);
      expect(existsSync(`${path}-wal`)).toBe(false);
      const reopened = openDatabase(path);
      const states = [...readNodeStates(reopened, experimentId).values()];
      expect(states.every((state) => state.status === 'done')).toBe(true);
      reopened.close();
    } finally {
      await queue.dispose();
    }
  });
});
