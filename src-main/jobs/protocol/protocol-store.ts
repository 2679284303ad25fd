import { decodeArtifact, encodeArtifact } from '../../shared/artifact-codec';
import { DeltascopeError } from '../../shared/errors';
import { ExperimentSpecSchema, type ExperimentSpec } from '../../shared/experiment-spec';
import { describeIssues } from '../../shared/validate';
import {
  buildJobGraph,
  countByKind,
  JOB_GRAPH_FORMAT,
  PROTOCOL_ARTIFACT_KINDS,
  latestNodeStates,
  NodeStateSchema,
  type JobGraph,
  type NodeOutputs,
  type NodeState,
} from '../../protocol';
import type { DeltascopeDb } from '../../store';
import { tensorMapFromManifest, type TensorMap } from '../../weights';
import { checkTrainingMemory } from '../spec-memory';

/**
 * The protocol in the store: the experiment row holds the resolved spec (experiments.spec), one
 * `protocol-graph` artifact holds the job graph, and every finished or failed node appends a
 * `protocol-node` artifact (its NodeState as the manifest). Nothing is updated in place, so a kill at
 * any moment leaves a graph that resumes from the last node written.
 */

export interface StoredProtocol {
  experimentId: number;
  spec: ExperimentSpec;
  graph: JobGraph;
  graphArtifactId: number;
}

/** Parses an experiment spec; INVALID_SPEC naming every invalid field (e.g. `spec.rbs.0.name`). */
export function parseExperimentSpec(raw: unknown, root = 'spec'): ExperimentSpec {
  const result = ExperimentSpecSchema.safeParse(raw);
  if (!result.success) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `Invalid experiment spec: ${describeIssues(result.error, root)}`,
    );
  }
  return result.data;
}

/**
 * Parses a spec for a new experiment: parseExperimentSpec, then INVALID_SPEC naming the fields if
 * `concurrent` of its trainings at once do not fit the memory budget (spec-memory.ts).
 */
export function parseNewExperimentSpec(raw: unknown, root = 'spec', concurrent = 1): ExperimentSpec {
  const spec = parseExperimentSpec(raw, root);
  try {
    checkTrainingMemory(spec, root, undefined, concurrent);
  } catch (error) {
    if (error instanceof DeltascopeError) {
      throw new DeltascopeError(error.code, `Invalid experiment spec: ${error.message}`, error.details);
    }
    throw error;
  }
  return spec;
}

/**
 * Creates the experiment (its name must be new) with its spec and job graph; nothing runs yet.
 * `concurrent`: trainings that will run at once (for the memory check).
 */
export function createProtocolExperiment(db: DeltascopeDb, raw: unknown, concurrent = 1): StoredProtocol {
  const spec = parseNewExperimentSpec(raw, 'spec', concurrent);
  const graph = buildJobGraph(spec);
  return db.transaction(() => {
    const experiment = db.experiments.create({
      name: spec.name,
      description: `objective-isolation protocol: ${spec.rbs.length} RBs, ${spec.seeds} seed(s), ${graph.nodes.length} nodes`,
      spec,
    });
    const { id } = db.artifacts.put(
      encodeArtifact(
        PROTOCOL_ARTIFACT_KINDS.graph,
        { experimentId: experiment.id, name: `job graph of "${spec.name}"` },
        {
          recipe: { format: JOB_GRAPH_FORMAT, specVersion: spec.version },
          manifest: {
            encoding: 'json-utf8',
            format: JOB_GRAPH_FORMAT,
            summary: { nodes: graph.nodes.length, byKind: countByKind(graph) },
          },
          data: graph,
        },
      ),
    );
    return { experimentId: experiment.id, spec, graph, graphArtifactId: id };
  });
}

/** The stored spec and graph of a protocol experiment; NOT_FOUND if it is not one. */
export function loadProtocol(db: DeltascopeDb, experimentId: number): StoredProtocol {
  const experiment = db.experiments.get(experimentId);
  const graphArtifact = db.artifacts.list(experimentId).find((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.graph);
  if (graphArtifact === undefined) {
    throw new DeltascopeError(
      'NOT_FOUND',
      `experiment ${experimentId} ("${experiment.name}") was not made by \`deltascope run\`: it has no job graph.`,
      { experimentId },
    );
  }
  const spec = parseExperimentSpec(db.experiments.getSpec(experimentId), `experiment ${experimentId} spec`);
  const graph: JobGraph = decodeArtifact(
    PROTOCOL_ARTIFACT_KINDS.graph,
    db.artifacts.get(graphArtifact.id),
  ).data;
  return { experimentId, spec, graph, graphArtifactId: graphArtifact.id };
}

/** The latest state of every node that has finished or failed. */
export function readNodeStates(db: DeltascopeDb, experimentId: number): Map<string, NodeState> {
  return latestNodeStates(
    db.artifacts
      .list(experimentId)
      .filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.node)
      .map((a) => a.manifest),
  );
}

/** Every stored state of one node, oldest first, with the record it is stored in (unparseable ones skipped). */
export function readNodeHistory(
  db: DeltascopeDb,
  experimentId: number,
  nodeId: string,
): (NodeState & { artifactId: number })[] {
  return db.artifacts
    .list(experimentId)
    .filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.node)
    .flatMap((a) => {
      const parsed = NodeStateSchema.safeParse(a.manifest);
      return parsed.success && parsed.data.nodeId === nodeId ? [{ ...parsed.data, artifactId: a.id }] : [];
    });
}

/**
 * Writes a node's results and its `done` state in one transaction: `write` puts what the node made
 * (checkpoints, artifacts) and returns the outputs. A kill before the commit leaves neither.
 */
export function completeNode(
  db: DeltascopeDb,
  experimentId: number,
  nodeId: string,
  write: () => NodeOutputs,
): NodeOutputs {
  return db.transaction(() => {
    const outputs = write();
    putNodeState(db, experimentId, {
      nodeId,
      status: 'done',
      outputs,
      error: null,
      finishedAt: new Date().toISOString(),
    });
    return outputs;
  });
}

export function failNode(db: DeltascopeDb, experimentId: number, nodeId: string, error: string): void {
  putNodeState(db, experimentId, {
    nodeId,
    status: 'failed',
    outputs: {},
    error,
    finishedAt: new Date().toISOString(),
  });
}

function putNodeState(db: DeltascopeDb, experimentId: number, state: NodeState): void {
  db.artifacts.put(
    encodeArtifact(
      PROTOCOL_ARTIFACT_KINDS.node,
      { experimentId, name: state.nodeId },
      { recipe: { experimentId, nodeId: state.nodeId }, manifest: state, data: null },
    ),
  );
}

/** A checkpoint's tensors as a map of views into one copy of its weights. */
export function checkpointMap(db: DeltascopeDb, checkpointId: number): TensorMap {
  const { manifest, weights } = db.checkpoints.readWeights(checkpointId);
  return tensorMapFromManifest(manifest, weights, `checkpoint ${checkpointId}`);
}
