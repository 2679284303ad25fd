import type { ProtocolNodeInfo } from '@shared';

/**
 * Pure helpers of the protocol screens: the stages the node view groups by and status counts. The
 * report's chart series are `@shared/charts/protocol-series`, its tables `@shared/tables/protocol-tables`.
 */

export const PROTOCOL_STAGES = [
  { id: 'pretrain', label: 'Pretraining' },
  { id: 'finetune', label: 'Fine-tunes and null controls' },
  { id: 'derive', label: 'Derived checkpoints' },
  { id: 'recover', label: 'Recovery' },
  { id: 'evaluate', label: 'Evaluations' },
  { id: 'localize', label: 'Localization' },
  { id: 'analysis', label: 'Analyses' },
] as const;
export type ProtocolStage = (typeof PROTOCOL_STAGES)[number]['id'];

/** The stage of a node, from its kind and its id (`s1/finetune/coin`, `s1/derive/…/recover`). */
export function nodeStage(node: Pick<ProtocolNodeInfo, 'id' | 'kind'>): ProtocolStage {
  switch (node.kind) {
    case 'evaluate':
      return 'evaluate';
    case 'analysis':
      return 'analysis';
    case 'derive':
      return 'derive';
    case 'relevance-mask':
      return 'localize';
    case 'mask':
      return 'pretrain';
    case 'train':
      break;
  }
  const parts = node.id.split('/');
  if (parts[1] === 'localize') return 'localize';
  if (parts[parts.length - 1] === 'recover') return 'recover';
  if (parts[1] === 'finetune' || parts[1] === 'null') return 'finetune';
  return 'pretrain';
}

export type StatusCounts = Record<ProtocolNodeInfo['status'], number>;

export function statusCounts(nodes: readonly ProtocolNodeInfo[]): StatusCounts {
  const counts: StatusCounts = { pending: 0, ready: 0, running: 0, done: 0, failed: 0, blocked: 0 };
  for (const node of nodes) counts[node.status] += 1;
  return counts;
}

export interface StageGroup {
  id: ProtocolStage;
  label: string;
  nodes: ProtocolNodeInfo[];
  counts: StatusCounts;
}

/** The nodes grouped by stage in protocol order; empty stages are left out. */
export function groupNodesByStage(nodes: readonly ProtocolNodeInfo[]): StageGroup[] {
  return PROTOCOL_STAGES.map((stage) => {
    const members = nodes.filter((node) => nodeStage(node) === stage.id);
    return { id: stage.id, label: stage.label, nodes: members, counts: statusCounts(members) };
  }).filter((group) => group.nodes.length > 0);
}
