// Entry of the worker thread that runs a protocol's non-training nodes (bundled to
// out/main/protocol-worker.cjs): masks, derived checkpoints, evaluations and analyses, off the event
// loop of the runner's process (the server, the CLI). It opens its own connection to the database and
// writes each node's results with its `done` state in one transaction, exactly as the runner did.
import { workerData } from 'node:worker_threads';
import type { JobNode, NodeOutputs, NodeParams } from '../../protocol';
import { DeltascopeError } from '../../shared/errors';
import { openDatabase } from '../../store';
import { runAnalysisNode } from './protocol-analyses';
import { runGradientNode } from './protocol-gradient';
import {
  runDeriveNode,
  runEvaluateNode,
  runMaskNode,
  runRelevanceMaskNode,
  type NodeContext,
} from './protocol-nodes';
import { loadProtocol } from './protocol-store';
import type { ProtocolNodeRequest, ProtocolWorkerData } from './protocol-node-thread';
import { serveTasks } from '../task-thread-worker';

const { dbPath, experimentId } = workerData as ProtocolWorkerData;
const db = openDatabase(dbPath);
const protocol = loadProtocol(db, experimentId);

async function runNode(ctx: NodeContext, node: JobNode): Promise<NodeOutputs> {
  const params: NodeParams = node.params;
  switch (params.kind) {
    case 'mask':
      return runMaskNode(ctx, node, params);
    case 'relevance-mask':
      return runRelevanceMaskNode(ctx, node, params);
    case 'derive':
      return runDeriveNode(ctx, node, params);
    case 'evaluate':
      return runEvaluateNode(ctx, node, params);
    case 'analysis':
      return params.analysis === 'gradient' ? runGradientNode(ctx, node) : runAnalysisNode(ctx, node, params);
    case 'train':
      throw new DeltascopeError('INTERNAL', `node ${node.id} is a training node; it runs in the job queue`);
  }
}

serveTasks<ProtocolNodeRequest, NodeOutputs>(
  ({ nodeId, outputs }, progress) => {
    const node = protocol.graph.nodes.find((n) => n.id === nodeId);
    if (node === undefined) throw new DeltascopeError('INTERNAL', `the protocol graph has no node ${nodeId}`);
    return runNode({ db, protocol, outputs: new Map(outputs), onProgress: progress }, node);
  },
  // The runner awaits this before it closes its own connection and returns: its caller may reopen
  // the file at once, with no connection of this thread still checkpointing it.
  () => db.close(),
);
