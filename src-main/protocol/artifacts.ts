import { z } from 'zod';
import { DeltascopeError } from '../shared/errors';

/**
 * How the protocol's results sit in the store's `artifacts` table (see README.md for each JSON shape).
 * JSON artifacts: manifest = `{ encoding: 'json-utf8', format, summary }`, data = the JSON as UTF-8.
 * Node states carry no data: their manifest is the `NodeState`.
 */

export const PROTOCOL_ARTIFACT_KINDS = {
  graph: 'protocol-graph',
  node: 'protocol-node',
  updateSignals: 'protocol-update-signals',
  negation: 'protocol-negation',
  superposition: 'protocol-superposition',
  knownAnswer: 'protocol-known-answer',
  localization: 'protocol-localization',
  relevanceMap: 'relevance-map',
} as const;

export const NodeOutputsSchema = z
  .object({
    runId: z.number().int().positive().optional(),
    checkpointId: z.number().int().positive().optional(),
    artifactId: z.number().int().positive().optional(),
    artifactIds: z.array(z.number().int().positive()).optional(),
  })
  .strict();
export type NodeOutputs = z.output<typeof NodeOutputsSchema>;

/** One node's outcome, appended as a `protocol-node` artifact; the latest per node wins. */
export const NodeStateSchema = z.object({
  nodeId: z.string().min(1),
  status: z.enum(['done', 'failed']),
  outputs: NodeOutputsSchema,
  error: z.string().nullable(),
  finishedAt: z.string(),
});
export type NodeState = z.output<typeof NodeStateSchema>;

export interface JsonArtifactManifest {
  encoding: 'json-utf8';
  format: string;
  /** Small facts shown without reading the data (counts, pass/fail). */
  summary: Record<string, unknown>;
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Parses a JSON artifact's data; DATABASE_CORRUPT naming the artifact if it is not JSON. */
export function decodeJson(data: Uint8Array | null, where: string): unknown {
  if (data === null) throw new DeltascopeError('DATABASE_CORRUPT', `${where} has no data`);
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new DeltascopeError('DATABASE_CORRUPT', `${where} does not hold JSON`);
  }
}

/** The latest state per node id from `protocol-node` manifests in id order (unparseable ones are skipped). */
export function latestNodeStates(manifests: readonly unknown[]): Map<string, NodeState> {
  const states = new Map<string, NodeState>();
  for (const manifest of manifests) {
    const parsed = NodeStateSchema.safeParse(manifest);
    if (parsed.success) states.set(parsed.data.nodeId, parsed.data);
  }
  return states;
}
