import type { z } from 'zod';
import { NodeOutputsSchema, NodeStateSchema } from '../shared/protocol-artifacts';

/**
 * How the protocol's results sit in the store's `artifacts` table: every kind's shape is declared
 * once in shared/artifact-schemas.ts and written/read through shared/artifact-codec.ts (see README.md
 * for each JSON shape). Node states carry no data: their manifest is the `NodeState`.
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

export { NodeOutputsSchema, NodeStateSchema };
export type NodeOutputs = z.output<typeof NodeOutputsSchema>;
export type NodeState = z.output<typeof NodeStateSchema>;

/** The latest state per node id from `protocol-node` manifests in id order (unparseable ones are skipped). */
export function latestNodeStates(manifests: readonly unknown[]): Map<string, NodeState> {
  const states = new Map<string, NodeState>();
  for (const manifest of manifests) {
    const parsed = NodeStateSchema.safeParse(manifest);
    if (parsed.success) states.set(parsed.data.nodeId, parsed.data);
  }
  return states;
}
