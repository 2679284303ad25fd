import type { LocalizationData, NegationTableData, ProtocolNodeInfo, SuperpositionData } from '@shared';
import type { IntervalPoint, IntervalSeries } from '@shared/charts/interval-lines-options';
import { toCsv } from '../format/csv';

/**
 * Pure helpers of the protocol screens: the stages the node view groups by, status counts, and the
 * report's tables and chart series derived from the analyses' data.
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

type Interval = { estimate: number; low: number; high: number };
const point = (x: number, interval: Interval): IntervalPoint => ({ x, ...interval });

/**
 * P(collect RBᵢ's object) against α, after recovery on RA (default) or right after the arithmetic:
 * one series per variant (negate, add, random), and MA and the recovered-MA control as flat dashed
 * references over the same α range.
 */
export function negationSeries(
  table: NegationTableData,
  rb: string,
  when: 'before' | 'after' = 'after',
): IntervalSeries[] {
  const rows = table.rows.filter((row) => row.rb === rb);
  const alphas = [...new Set(rows.map((row) => row.alpha))].sort((a, b) => a - b);
  const variants = ['negate', 'random', 'add'] as const;
  const series: IntervalSeries[] = variants
    .map((variant) => ({
      name: variant === 'negate' ? 'MA − α·Δ' : variant === 'add' ? 'MA + α·Δ' : 'MA − α·r (random)',
      points: rows
        .filter((row) => row.variant === variant && row[when].targetCollect !== null)
        .sort((a, b) => a.alpha - b.alpha)
        .map((row) => point(row.alpha, row[when].targetCollect as Interval)),
    }))
    .filter((s) => s.points.length > 0);
  const flat = (name: string, interval: Interval | null | undefined): void => {
    if (interval === null || interval === undefined || alphas.length === 0) return;
    series.push({ name, dashed: true, points: alphas.map((alpha) => point(alpha, interval)) });
  };
  flat('control (MA recovered)', table.control.measures[rb]?.targetCollect);
  flat('MA', table.base.measures[rb]?.targetCollect);
  return series;
}

function intervalCells(interval: Interval | null): (number | null)[] {
  return interval === null ? [null, null, null] : [interval.estimate, interval.low, interval.high];
}

/** The negation table as CSV: one line per derived checkpoint, every interval as estimate/low/high. */
export function negationCsv(table: NegationTableData): string {
  const header = [
    'seed',
    'rb',
    'variant',
    'alpha',
    'checkpoint',
    'recovered_checkpoint',
    ...[
      'after_target_collect',
      'after_ra_return',
      'vs_control_target_collect',
      'vs_random_target_collect',
    ].flatMap((name) => [name, `${name}_low`, `${name}_high`]),
  ];
  const rows = table.rows.map((row) => [
    table.seed,
    row.rb,
    row.variant,
    row.alpha,
    row.checkpointId,
    row.recoveredCheckpointId,
    ...intervalCells(row.after.targetCollect),
    ...intervalCells(row.after.raReturn),
    ...intervalCells(row.afterVsControl.targetCollect),
    ...intervalCells(row.afterVsRandom?.targetCollect ?? null),
  ]);
  return toCsv(header, rows);
}

/** Per-tensor shares of |m| of every map (and the null map) beside the parameter share. */
export function concentrationInput(data: SuperpositionData): {
  tensors: string[];
  sizeShare: number[];
  maps: { label: string; share: number[] }[];
} {
  const first = data.maps[0]?.concentration ?? data.nullMap?.concentration ?? [];
  const tensors = first.map((c) => c.tensor);
  const shareOf = (concentration: readonly { tensor: string; share: number }[]): number[] =>
    tensors.map((tensor) => concentration.find((c) => c.tensor === tensor)?.share ?? 0);
  return {
    tensors,
    sizeShare: first.map((c) => c.sizeShare),
    maps: [
      ...data.maps.map((map) => ({ label: map.aggregator, share: shareOf(map.concentration) })),
      ...(data.nullMap === null ? [] : [{ label: 'null drift', share: shareOf(data.nullMap.concentration) }]),
    ],
  };
}

export function concentrationCsv(data: SuperpositionData): string {
  const input = concentrationInput(data);
  return toCsv(
    ['tensor', 'parameter_share', ...input.maps.map((m) => m.label)],
    input.tensors.map((tensor, i) => [
      tensor,
      input.sizeShare[i] ?? null,
      ...input.maps.map((m) => m.share[i] ?? null),
    ]),
  );
}

/** RB_new return after each masked fine-tune against k %, with the full fine-tune and MA as references. */
export function localizationSeries(data: LocalizationData): IntervalSeries[] {
  const ks = [...new Set(data.rows.map((row) => row.kPercent))].sort((a, b) => a - b);
  const series: IntervalSeries[] = (['top', 'random', 'bottom'] as const)
    .map((selection) => ({
      name: `${selection} k %`,
      points: data.rows
        .filter((row) => row.selection === selection)
        .sort((a, b) => a.kPercent - b.kPercent)
        .map((row) => point(row.kPercent, row.rbNewReturn)),
    }))
    .filter((s) => s.points.length > 0);
  series.push({
    name: 'full fine-tune',
    dashed: true,
    points: ks.map((k) => point(k, data.full.rbNewReturn)),
  });
  series.push({ name: 'MA', dashed: true, points: ks.map((k) => point(k, data.base.rbNewReturn)) });
  return series;
}

export function localizationCsv(data: LocalizationData): string {
  return toCsv(
    [
      'seed',
      'selection',
      'k_percent',
      'selected',
      'total',
      'rb_new_return',
      'rb_new_return_low',
      'rb_new_return_high',
      'fraction_of_full',
      'fraction_of_full_low',
      'fraction_of_full_high',
    ],
    data.rows.map((row) => [
      data.seed,
      row.selection,
      row.kPercent,
      row.selected,
      row.total,
      ...intervalCells(row.rbNewReturn),
      ...intervalCells(row.fractionOfFull),
    ]),
  );
}
