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
  timing: StageTiming;
}

/** Seconds a node took (or has taken so far, if running); null when its start is unknown. */
export function nodeSeconds(
  node: Pick<ProtocolNodeInfo, 'startedAt' | 'finishedAt' | 'status'>,
  nowMs: number,
): number | null {
  if (node.startedAt === null) return null;
  const start = Date.parse(node.startedAt);
  const end =
    node.finishedAt !== null ? Date.parse(node.finishedAt) : node.status === 'running' ? nowMs : NaN;
  const seconds = (end - start) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

export interface StageTiming {
  /** Sum of the stage's node times (nodes that ran side by side count each). */
  nodeSeconds: number;
  /** From the first node's start to the last node's end (or now while one runs); null before any start. */
  wallSeconds: number | null;
  /** Nodes whose time is known. */
  timed: number;
}

/** How long a stage's nodes took, alone and from first start to last end. */
export function stageTiming(nodes: readonly ProtocolNodeInfo[], nowMs: number): StageTiming {
  let sum = 0;
  let timed = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const node of nodes) {
    const seconds = nodeSeconds(node, nowMs);
    if (seconds === null || node.startedAt === null) continue;
    sum += seconds;
    timed += 1;
    const start = Date.parse(node.startedAt);
    first = Math.min(first, start);
    last = Math.max(last, start + seconds * 1000);
  }
  return { nodeSeconds: sum, wallSeconds: timed === 0 ? null : (last - first) / 1000, timed };
}

/** Where a node's result is seen: its run, its checkpoint, or the report (evaluations, analyses). */
export interface NodeTarget {
  kind: 'run' | 'checkpoint' | 'report';
  id: number | null;
  label: string;
}

export function nodeTargets(node: Pick<ProtocolNodeInfo, 'kind' | 'outputs' | 'status'>): NodeTarget[] {
  const targets: NodeTarget[] = [];
  if (node.outputs.runId !== undefined)
    targets.push({ kind: 'run', id: node.outputs.runId, label: 'Open its run' });
  if (node.outputs.checkpointId !== undefined) {
    targets.push({ kind: 'checkpoint', id: node.outputs.checkpointId, label: 'Open its checkpoint' });
  }
  if ((node.kind === 'evaluate' || node.kind === 'analysis') && node.status === 'done') {
    targets.push({ kind: 'report', id: null, label: 'Open the report' });
  }
  return targets;
}

/** The nodes grouped by stage in protocol order; empty stages are left out. */
export function groupNodesByStage(nodes: readonly ProtocolNodeInfo[], nowMs = Date.now()): StageGroup[] {
  return PROTOCOL_STAGES.map((stage) => {
    const members = nodes.filter((node) => nodeStage(node) === stage.id);
    return {
      id: stage.id,
      label: stage.label,
      nodes: members,
      counts: statusCounts(members),
      timing: stageTiming(members, nowMs),
    };
  }).filter((group) => group.nodes.length > 0);
}
