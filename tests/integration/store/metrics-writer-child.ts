/**
 * Child process for multi-process.test.ts: a stand-in for the training worker. Appends `batches`
 * batches of `batchSize` metric rows to one run, pausing halfway until the parent says "continue"
 * so that the parent provably reads while this process is still writing.
 *
 *   node --import tsx metrics-writer-child.ts <db> <runId> <key> <batches> <batchSize>
 */
import { once } from 'node:events';
import { openDatabase } from '../../../src-main/store';

async function main(): Promise<void> {
  const [path, runIdText, key, batchesText, batchSizeText] = process.argv.slice(2);
  if (path === undefined || key === undefined || process.send === undefined)
    throw new Error('run me with fork() and a database path');
  const runId = Number(runIdText);
  const batches = Number(batchesText);
  const batchSize = Number(batchSizeText);
  const db = openDatabase(path);
  try {
    for (let batch = 0; batch < batches; batch++) {
      if (batch === batches / 2) {
        process.send({ type: 'half', rows: batch * batchSize });
        await once(process, 'message');
      }
      const rows = Array.from({ length: batchSize }, (_, i) => {
        const step = batch * batchSize + i;
        return { step, key, value: step * 0.5 };
      });
      db.metrics.append(runId, rows);
      // Like a training worker between rollouts: give the reader room to interleave.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    db.close();
  }
  process.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
